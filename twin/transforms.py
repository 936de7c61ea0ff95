"""Small rigid-transform helpers. Quaternions are MuJoCo's (w, x, y, z); angles in radians."""

from __future__ import annotations

import numpy as np

IDENTITY_QUAT = (1.0, 0.0, 0.0, 0.0)


def quat_from_axis_angle(axis: tuple[float, float, float], angle: float) -> tuple[float, float, float, float]:
    """Quaternion (w, x, y, z) of a rotation by ``angle`` rad about ``axis`` (need not be unit length)."""
    axis = np.asarray(axis, dtype=float)
    norm = np.linalg.norm(axis)
    if norm == 0:
        raise ValueError("rotation axis must be non-zero")
    half = 0.5 * angle
    xyz = np.sin(half) * axis / norm
    return (float(np.cos(half)), float(xyz[0]), float(xyz[1]), float(xyz[2]))


def yaw_quat(yaw: float) -> tuple[float, float, float, float]:
    """Quaternion of a rotation by ``yaw`` rad about +z."""
    return quat_from_axis_angle((0.0, 0.0, 1.0), yaw)


def quat_to_matrix(quat) -> np.ndarray:
    """(3, 3) rotation matrix of a unit quaternion (w, x, y, z)."""
    w, x, y, z = np.asarray(quat, dtype=float) / np.linalg.norm(quat)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def check_transform(matrix, name: str = "transform", *, atol: float = 1e-6) -> np.ndarray:
    """Validate a 4x4 rigid transform (orthonormal rotation, det +1, last row 0 0 0 1).

    Args:
        matrix: The transform.
        name: What it is, for the message.
        atol: Tolerance of the rotation's orthonormality (the last row gets ``atol / 1000``, at least 1e-9).

    Returns:
        The (4, 4) float array.

    Raises:
        ValueError: naming ``name`` and what is wrong.
    """
    m = np.asarray(matrix, dtype=float)
    if m.shape != (4, 4):
        raise ValueError(f"{name} must be 4x4, got shape {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError(f"{name} contains NaN or infinity")
    if not np.allclose(m[3], (0, 0, 0, 1), atol=max(atol / 1000, 1e-9)):
        raise ValueError(f"{name} last row must be 0 0 0 1, got {m[3].tolist()}")
    r = m[:3, :3]
    det = float(np.linalg.det(r))
    if abs(det) < 1e-6:
        raise ValueError(f"{name} is not invertible (rotation determinant {det:.3g})")
    if not np.allclose(r @ r.T, np.eye(3), atol=atol) or det < 0:
        raise ValueError(f"{name} rotation is not orthonormal with det +1 (det {det:.4f})")
    return m
