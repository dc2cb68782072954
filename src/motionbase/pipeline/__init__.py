"""Video / image -> MotionBase-style clips: read and cut, detect and track people, 2D/3D pose, lift to SMPL-22,
clean (smoothing, bone lengths, rejection), optional SMPL-X fit, captions, clip store.

Stages, one module each (see docs/PIPELINE.md): :mod:`.video`, :mod:`.detect`, :mod:`.track`, :mod:`.pose`,
:mod:`.lift`, :mod:`.ground`, :mod:`.clean`, :mod:`.bodymodel`, ``caption/``; :mod:`.process` runs them on
one input, :mod:`.run` over many into a clip store (serial, process pool or Ray), :mod:`.stats` plots a store.
Nothing is imported eagerly: OpenCV and MediaPipe (the ``[video]`` extra) load only where a stage needs them.
"""
