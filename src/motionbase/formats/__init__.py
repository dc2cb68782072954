"""File formats: every importer ends in joints (SMPL-22, metres, Y up), every exporter starts from them."""
