"""Simulated sensors over a :class:`~scans.synth.geometry.SceneMesh`: a Kinect-like depth camera and a LiDAR.

Rays are cast with Open3D's ``RaycastingScene`` (CPU, Embree). The depth noise follows Nguyen et al.
(2012), "Modeling Kinect sensor noise for improved 3D reconstruction and tracking": axial standard deviation
``0.0012 + 0.0019 (z - 0.4)^2`` m at depth z, a lateral jitter of about half a pixel (each ray leaves through
a point drawn around its pixel centre), plus random dropout and no return at grazing incidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scans.capture import Intrinsics
from scans.synth.geometry import SceneMesh
from twin.errors import ModelError
from twin.extras import require

_LIGHT = (np.array([0.3, 0.5, 0.81]) / np.linalg.norm([0.3, 0.5, 0.81])).astype(np.float32)


@dataclass(frozen=True)
class DepthNoise:
    """Kinect-like depth noise.

    Args:
        axial_base: Axial sigma at 0.4 m, m.
        axial_quadratic: Growth of the axial sigma, m per m^2 of (z - 0.4).
        lateral_px: Sigma of the lateral jitter, pixels.
        dropout: Fraction of valid pixels randomly lost.
        min_depth: Nearer surfaces give no depth, m.
        max_depth: Farther surfaces give no depth, m.
        max_incidence_deg: Surfaces seen more obliquely than this give no depth, degrees.
        color_sigma: Sigma of the colour noise, in 0-255 units.
    """

    axial_base: float = 0.0012
    axial_quadratic: float = 0.0019
    lateral_px: float = 0.5
    dropout: float = 0.01
    min_depth: float = 0.3
    max_depth: float = 6.0
    max_incidence_deg: float = 82.0
    color_sigma: float = 2.0

    def __post_init__(self) -> None:
        if not 0 <= self.dropout < 1 or self.min_depth >= self.max_depth or min(self.axial_base, self.lateral_px) < 0:
            raise ModelError(f"invalid depth noise model {self}")

    def axial_sigma(self, z: np.ndarray) -> np.ndarray:
        """Axial standard deviation (m) at depth ``z`` (m)."""
        return self.axial_base + self.axial_quadratic * (np.asarray(z) - 0.4) ** 2


class Raycaster:
    """Casts rays against a scene mesh and shades the hits.

    Args:
        mesh: The scene in the world frame.
    """

    def __init__(self, mesh: SceneMesh):
        self._o3d = require("open3d", "scan", "rendering synthetic captures")
        self.mesh = mesh
        self._face_rgb = mesh.face_rgb.astype(np.float32)
        self._scene = self._o3d.t.geometry.RaycastingScene()
        self._scene.add_triangles(mesh.vertices.astype(np.float32), mesh.faces.astype(np.uint32))

    def cast(self, origins: np.ndarray, directions: np.ndarray) -> dict[str, np.ndarray]:
        """Cast (N, 3) rays; ``t`` is in units of each direction's length (inf on a miss).

        Returns:
            ``{"t": (N,), "face": (N,) int (-1 on a miss), "normal": (N, 3) unit, world}``.
        """
        rays = np.concatenate([np.broadcast_to(origins, directions.shape), directions], axis=1).astype(np.float32)
        hit = self._scene.cast_rays(self._o3d.core.Tensor(rays))
        face = hit["primitive_ids"].numpy().astype(np.int64)
        face[face == self._scene.INVALID_ID] = -1
        return {"t": hit["t_hit"].numpy(), "face": face, "normal": hit["primitive_normals"].numpy()}

    def shade(self, points: np.ndarray, face: np.ndarray, normal: np.ndarray, view: np.ndarray) -> np.ndarray:
        """Colours (N, 3) in [0, 1] of hits: albedo times a sun and a headlight, with a 5 cm speckle texture.

        Args:
            points: (N, 3) world hit points.
            face: (N,) face ids (all valid).
            normal: (N, 3) unit normals.
            view: (N, 3) unit directions from the sensor to the points.
        """
        albedo = self._face_rgb[face]
        cells = np.floor(points * np.float32(20.0)).astype(np.int64)
        speckle = ((cells[:, 0] * 73856093) ^ (cells[:, 1] * 19349663) ^ (cells[:, 2] * 83492791)) % 1024
        light = 0.35 + 0.4 * np.abs(normal @ _LIGHT) + 0.25 * np.abs(np.einsum("ij,ij->i", normal, view))
        light *= np.float32(0.9) + speckle.astype(np.float32) * np.float32(0.2 / 1023)
        return np.clip(albedo * light[:, None], 0.0, 1.0)


def pixel_rays(intrinsics: Intrinsics, jitter: np.ndarray | None = None) -> np.ndarray:
    """Camera-frame ray directions (H*W, 3) with z = 1 through pixel centres (plus ``jitter``, (H*W, 2) px)."""
    v, u = np.mgrid[0 : intrinsics.height, 0 : intrinsics.width].astype(np.float32)
    u, v = u.ravel(), v.ravel()
    if jitter is not None:
        u, v = u + jitter[:, 0], v + jitter[:, 1]
    x = (u - np.float32(intrinsics.cx)) / np.float32(intrinsics.fx)
    y = (v - np.float32(intrinsics.cy)) / np.float32(intrinsics.fy)
    return np.column_stack([x, y, np.ones_like(x)])


def render_rgbd(caster: Raycaster, pose: np.ndarray, intrinsics: Intrinsics, noise: DepthNoise | None,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Render one noisy RGB-D frame.

    Args:
        pose: Camera-to-world (4, 4), OpenCV axes, in the mesh's (world) frame.
        noise: The noise model; None renders exact depth (no jitter, dropout or colour noise).

    Returns:
        Depth (H, W) float32 in m (0 = no depth) and colour (H, W, 3) uint8.
    """
    n = intrinsics.width * intrinsics.height
    jitter = None
    if noise is not None and noise.lateral_px > 0:
        jitter = rng.standard_normal((n, 2), dtype=np.float32) * np.float32(noise.lateral_px)
    dirs = pixel_rays(intrinsics, jitter) @ pose[:3, :3].T.astype(np.float32)
    hit = caster.cast(pose[:3, 3], dirs)
    valid = hit["face"] >= 0
    z = np.where(valid, hit["t"], np.float32(0.0))  # the rays' camera-frame z is 1, so t is the depth
    view = dirs / np.sqrt(np.einsum("ij,ij->i", dirs, dirs))[:, None]
    points = pose[:3, 3].astype(np.float32) + dirs * z[:, None]
    color = caster.shade(points, np.maximum(hit["face"], 0), hit["normal"], view) * valid[:, None]
    if noise is None:
        depth, color = z, color * np.float32(255.0)
    else:
        cos_incidence = np.abs(np.einsum("ij,ij->i", hit["normal"], view))
        valid &= cos_incidence >= np.cos(np.radians(noise.max_incidence_deg))
        depth = z + rng.standard_normal(n, dtype=np.float32) * noise.axial_sigma(z).astype(np.float32)
        valid &= (depth >= noise.min_depth) & (depth <= noise.max_depth)
        valid &= rng.random(n, dtype=np.float32) >= noise.dropout
        depth = np.where(valid, depth, np.float32(0.0))
        sensor_noise = rng.standard_normal(color.shape, dtype=np.float32) * np.float32(noise.color_sigma)
        color = color * np.float32(255.0) + sensor_noise
    shape = (intrinsics.height, intrinsics.width)
    return depth.reshape(shape).astype(np.float32), np.clip(np.rint(color), 0, 255).astype(np.uint8).reshape(*shape, 3)


def lidar_scan(caster: Raycaster, stations: np.ndarray, rng: np.random.Generator, *, step_deg: float = 0.5,
               elevation_deg=(-60.0, 60.0), range_sigma: float = 0.003,
               max_range: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """A terrestrial-LiDAR-like scan from each station: a full turn in azimuth, ``elevation_deg`` in elevation.

    Args:
        stations: (S, 3) scanner centres, world frame, m.
        step_deg: Angular step in azimuth and elevation, degrees.
        range_sigma: Gaussian range noise, m.

    Returns:
        World points (N, 3) and their colours (N, 3) in [0, 1].
    """
    azimuth = np.radians(np.arange(0.0, 360.0, step_deg))
    elevation = np.radians(np.arange(elevation_deg[0], elevation_deg[1] + 1e-9, step_deg))
    az, el = (a.ravel() for a in np.meshgrid(azimuth, elevation))
    dirs = np.column_stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    points, colors = [], []
    for station in np.asarray(stations, dtype=float):
        hit = caster.cast(station, dirs)
        ok = (hit["face"] >= 0) & (hit["t"] < max_range)
        r = hit["t"][ok] + rng.normal(0.0, range_sigma, int(ok.sum()))
        p = station + dirs[ok] * r[:, None]
        points.append(p)
        colors.append(caster.shade(p, hit["face"][ok], hit["normal"][ok], dirs[ok]))
    return np.concatenate(points), np.concatenate(colors)
