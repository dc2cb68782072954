"""Body-model datasets in and out: AMASS (SMPL-H ``.npz``), Motion-X (SMPL-X, 322 values per frame), and
joints -> SMPL-X parameters. The licensed model files are the user's own (see docs/BODY_MODELS.md)."""
