"""Run INSIDE Blender: import a BVH with Blender's own importer and dump world joint positions.

    blender -b --factory-startup --python blender_import_check.py -- IN.bvh OUT.json

OUT.json: {"names": [...], "fps": float, "positions": [[[x, y, z], ...], ...]} with one row per
frame and one point per bone head, in the BVH file's own axes and units (Blender's Y-up -> Z-up
conversion is undone here). Used by tests/test_bvh_blender.py as an independent reader.
Blender 3.4's add-on opens files with mode "rU", which Python 3.11 refuses; ``open`` is patched.
"""

import builtins
import json
import sys

_open = builtins.open


def _open_without_U(file, mode="r", *args, **kwargs):
    return _open(file, mode.replace("U", "") if isinstance(mode, str) else mode, *args, **kwargs)


def main(argv: list[str]) -> None:
    import bpy  # only inside Blender

    src, out = argv[argv.index("--") + 1:][:2]
    builtins.open = _open_without_U
    try:
        bpy.ops.import_anim.bvh(filepath=src, axis_forward="-Z", axis_up="Y", global_scale=1.0,
                                frame_start=1, use_fps_scale=False, update_scene_fps=True,
                                update_scene_duration=True, rotate_mode="NATIVE")
    finally:
        builtins.open = _open
    obj = bpy.context.selected_objects[0]
    scene = bpy.context.scene
    names = [pb.name for pb in obj.pose.bones]
    frames = []
    first, last = (int(round(x)) for x in obj.animation_data.action.frame_range)
    for f in range(first, last + 1):
        scene.frame_set(f)
        heads = [obj.matrix_world @ pb.head for pb in obj.pose.bones]
        frames.append([[h.x, h.z, -h.y] for h in heads])  # Blender Z-up back to the file's Y-up
    with _open(out, "w") as fh:
        json.dump({"names": names, "fps": scene.render.fps / scene.render.fps_base, "positions": frames}, fh)


if __name__ == "__main__":
    main(sys.argv)
