"""Write a compiled MuJoCo model as a UsdPhysics scene (``.usda``), with ``pxr`` from ``usd-core``.

The compiled ``mujoco.MjModel`` is the source of truth; poses are taken at ``qpos0``. The stage has
``metersPerUnit`` 1, ``upAxis`` Z, ``kilogramsPerUnit`` 1, default prim ``/World`` and a ``PhysicsScene``
with MuJoCo's gravity. The layout is flat, so no rigid body is nested under another::

    /World/world                      the world body's geoms (static)
    /World/<tree>/<body>              one Xform per body of each kinematic tree, posed in world
    /World/<tree>/<body>/<geom>       its geoms, posed in the body frame
    /World/<tree>/Joints/<joint>      the tree's joints
    /World/PhysicsMaterials/friction_<i>

Mapping:

- A body that moves (``body_weldid != 0``) gets ``RigidBodyAPI`` and ``MassAPI`` (mass, centre of mass,
  diagonal inertia, principal axes); a body welded to the world is static structure: colliders, no
  ``RigidBodyAPI``. A mocap body is a kinematic rigid body.
- Geoms: box, sphere, capsule, cylinder, plane map to UsdGeom shapes; meshes (and ellipsoids, tessellated)
  to ``UsdGeom.Mesh`` colliding as their convex hull, as in MuJoCo. Geoms with ``contype`` and
  ``conaffinity`` both 0 are visual only. Sliding friction goes to a shared physics material.
- Joints: hinge -> ``RevoluteJoint``, slide -> ``PrismaticJoint``, ball -> ``SphericalJoint``, a moving body
  without a joint -> ``FixedJoint`` to its parent, free -> no joint prim. Limits in degrees (revolute) or
  metres (prismatic). ``ArticulationRootAPI`` goes on the group of every tree with a hinge, slide or ball.
- A joint actuator with a fixed gain (position, velocity, motor) becomes a ``DriveAPI`` of type force.
- MuJoCo data with no UsdPhysics attribute is kept as custom attributes: ``mjc:damping``, ``mjc:armature``,
  ``mjc:frictionloss`` on every hinge/slide/ball joint, ``mjc:actuator``, ``mjc:gear``, ``mjc:ctrlrange``,
  ``mjc:forcerange`` on driven joints, ``mjc:name`` (the MuJoCo name) on named bodies, geoms and joints, and
  ``mjc:unmappedActuators`` on ``/World``.
- Contact filtering: ``<exclude>`` pairs and MuJoCo's implicit parent/child filtering become
  ``FilteredPairsAPI`` or a joint's ``collisionEnabled``.

Not mapped: general ``contype``/``conaffinity`` bitmasks (only "collides at all" is kept), explicit
``<pair>`` contacts, ``condim``, torsional and rolling friction, ``solref``/``solimp``, ``margin``/``gap``,
the friction combination rule (MuJoCo takes the maximum), joint springs (``stiffness``, ``springref``),
equality constraints, tendons, sites, sensors, height-field and SDF geoms (a :class:`ModelError`), bodies
with several joints (a :class:`ModelError`), actuators on tendons/sites/bodies or with non-fixed gains
(listed in ``mjc:unmappedActuators``). A ball joint's total-angle limit becomes a swing cone (twist free).
"""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np

from twin.extras import require

_OBJ = mujoco.mjtObj


def write_usd(model: mujoco.MjModel, path: str | Path, *, meshes_dir: str | None = None) -> None:
    """Write ``model`` as a UsdPhysics stage to ``path`` (``.usda``), atomically and deterministically.

    Args:
        model: The compiled model; its ``qpos0`` configuration gives the poses.
        path: The output ``.usda`` file.
        meshes_dir: If given, each mesh is written once to ``<meshes_dir>/<mesh>.usda`` (a directory absolute
            or relative to ``path``'s directory) and referenced by a relative asset path; by default meshes
            are written inline.

    Raises:
        MissingExtraError: ``usd-core`` is not installed.
        ModelError: The model holds something this writer refuses to approximate (see the module docstring).
        OutputError: ``path`` or a mesh layer cannot be written.
    """
    require("pxr.Usd", "usd", "writing scene.usda")
    from pxr import Sdf, Usd, UsdGeom, UsdPhysics

    from twin.atomic import atomic_file
    from twin.errors import OutputError
    from twin.usd_geometry import Materials, MeshLayers, write_geom
    from twin.usd_joints import drive_mapped, write_joints
    from twin.usd_prims import PrimNames, mj_name, quatf, set_custom, set_pose, vec3f

    path = Path(path).absolute()
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)  # world poses, joint anchors and axes at qpos0

    stage = Usd.Stage.CreateInMemory()
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
    world = UsdGeom.Xform.Define(stage, "/World")
    stage.SetDefaultPrim(world.GetPrim())
    scene = UsdPhysics.Scene.Define(stage, "/World/PhysicsScene")
    gravity = np.asarray(model.opt.gravity, dtype=float)
    magnitude = float(np.linalg.norm(gravity))
    scene.CreateGravityDirectionAttr(vec3f(gravity / magnitude if magnitude > 0 else (0.0, 0.0, -1.0)))
    scene.CreateGravityMagnitudeAttr(magnitude)

    names = PrimNames()
    names.reserve("/World", ["PhysicsScene", "PhysicsMaterials"])
    body_paths, group_paths = [], []
    for body in range(model.nbody):
        bname = mj_name(model, _OBJ.mjOBJ_BODY, body)
        root = int(model.body_rootid[body])
        if body == 0:
            group = "/World"
        elif root == body:
            group = names.child("/World", bname, f"body_{body}")
            UsdGeom.Xform.Define(stage, group)
        else:
            group = group_paths[root]
        group_paths.append(group)
        body_paths.append(names.child(group, bname, f"body_{body}"))
        xform = UsdGeom.Xform.Define(stage, body_paths[body])
        set_pose(xform, data.xpos[body], data.xquat[body])
        prim = xform.GetPrim()
        if bname and body != 0:
            set_custom(prim, "mjc:name", Sdf.ValueTypeNames.String, bname)
        mocap = model.body_mocapid[body] >= 0
        if model.body_weldid[body] == 0 and not mocap:
            continue  # static structure: colliders only, never dynamic
        rigid = UsdPhysics.RigidBodyAPI.Apply(prim)
        if mocap:
            rigid.CreateKinematicEnabledAttr(True)  # moved by the user, not by forces
        mass = UsdPhysics.MassAPI.Apply(prim)
        mass.CreateMassAttr(float(model.body_mass[body]))
        mass.CreateCenterOfMassAttr(vec3f(model.body_ipos[body]))
        mass.CreateDiagonalInertiaAttr(vec3f(model.body_inertia[body]))
        mass.CreatePrincipalAxesAttr(quatf(model.body_iquat[body]))

    materials = Materials(stage, "/World/PhysicsMaterials")
    meshes = MeshLayers(model, path.parent, meshes_dir)
    for geom in range(model.ngeom):
        body = int(model.geom_bodyid[geom])
        gpath = names.child(body_paths[body], mj_name(model, _OBJ.mjOBJ_GEOM, geom), f"geom_{geom}")
        write_geom(stage, model, geom, gpath, materials, meshes)

    jointed = write_joints(stage, model, data, body_paths, group_paths, names)
    articulated = {
        int(model.body_rootid[model.jnt_bodyid[j]])
        for j in range(model.njnt)
        if int(model.jnt_type[j]) != mujoco.mjtJoint.mjJNT_FREE
    }
    for root in sorted(articulated):
        # On the tree's group, an ancestor of all its bodies: the tree's base may be static or free.
        UsdPhysics.ArticulationRootAPI.Apply(stage.GetPrimAtPath(group_paths[root]))

    for body, others in sorted(_filtered_pairs(model, jointed).items()):
        api = UsdPhysics.FilteredPairsAPI.Apply(stage.GetPrimAtPath(body_paths[body]))
        api.CreateFilteredPairsRel().SetTargets([Sdf.Path(body_paths[o]) for o in sorted(others)])

    unmapped = [
        mj_name(model, _OBJ.mjOBJ_ACTUATOR, act) or f"actuator_{act}"
        for act in range(model.nu)
        if not drive_mapped(model, act)
    ]
    if unmapped:
        set_custom(world.GetPrim(), "mjc:unmappedActuators", Sdf.ValueTypeNames.StringArray, unmapped)

    text = stage.GetRootLayer().ExportToString()
    if meshes.references:
        # Added on a copy of the layer that no stage composes: resolving them from the anonymous in-memory
        # stage would fail and print a warning. They resolve next to the written file.
        layer = Sdf.Layer.CreateAnonymous(".usda")
        layer.ImportFromString(text)
        for prim_path, asset in meshes.references:
            layer.GetPrimAtPath(prim_path).referenceList.Prepend(Sdf.Reference(asset))
        text = layer.ExportToString()
    for file, content in [*meshes.files.items(), (path, text)]:  # the scene last: it references the meshes
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            with atomic_file(file) as tmp:
                tmp.write_text(content)
        except OSError as exc:
            raise OutputError(f"cannot write the USD scene: {exc.strerror}", file) from None


def _filtered_pairs(model: mujoco.MjModel, jointed: set[tuple[int, int]]) -> dict[int, set[int]]:
    """Body pairs USD must be told not to collide: ``<exclude>`` pairs and MuJoCo's implicit filtering.

    A pair already disabled by the joint between them, or between two static bodies (which USD never
    collides), is left out.

    Returns:
        Lower body id -> the higher body ids it must not collide with.
    """
    from twin.usd_joints import contact_filtered

    from twin.model_queries import excluded_body_pairs

    pairs = excluded_body_pairs(model)
    moving = np.flatnonzero(model.body_weldid != 0)
    for i, b1 in enumerate(moving):
        for b2 in moving[i + 1 :]:
            if model.body_rootid[b1] == model.body_rootid[b2] and contact_filtered(model, int(b1), int(b2)):
                pairs.add((int(b1), int(b2)))
    result: dict[int, set[int]] = {}
    for b1, b2 in sorted(pairs):
        static = model.body_weldid[b1] == 0 and model.body_weldid[b2] == 0
        if (b1, b2) in jointed or (b2, b1) in jointed or static:
            continue
        result.setdefault(b1, set()).add(b2)
    return result
