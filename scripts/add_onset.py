"""Give an LM checkpoint trained before session 16 its onset table (motionbase.lm.onset), from its run's records.

``lm train`` writes the table itself now; this adds it to an older checkpoint the way training would have (the codes
the records begin with), without touching the weights. The shipped default's was added so, from the records of
its last training round (``lm_sides0/records.npz`` of ``scripts/train_default.py``'s work directory).

Usage: ``python scripts/add_onset.py RECORDS.npz MODEL_DIR``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from motionbase.io import atomic_write_text
from motionbase.lm.data import load_records
from motionbase.lm.model import LM_FILE, read_lm_record
from motionbase.lm.onset import onset_codes, onset_to_dict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path)
    parser.add_argument("model", type=Path)
    args = parser.parse_args()
    record = read_lm_record(args.model)
    codec = record["codec"]
    records = load_records(args.records)
    table = onset_codes([r.codes for r in records], int(codec["tokens_per_step"]), int(codec["codebook_size"]))
    record["onset"] = onset_to_dict(table)
    atomic_write_text(args.model / LM_FILE, json.dumps(record))
    print(f"{args.model / LM_FILE}: onset codes per position {table.sum(1).tolist()} from {len(records)} records")


if __name__ == "__main__":
    main()
