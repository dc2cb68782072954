"""Option declarations that several commands share: the flag, its type and its help, declared once.

Use them as annotations (``store: Store``, ``device: Device = None``); a command gives the default. Options whose
meaning differs per command (batch sizes, learning rates, step counts) stay with their command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# inputs and outputs
Store = Annotated[Path, typer.Option("--store", help="clip store directory")]
RunDir = Annotated[Path, typer.Option("--out", help="run directory (re-run the same command to resume)")]
TokenizerDir = Annotated[Path, typer.Option("--tokenizer", help="motion tokenizer checkpoint directory")]
JsonOut = Annotated[Path | None, typer.Option("--json", help="write the numbers as JSON here")]
TrainSplit = Annotated[str, typer.Option(help="store split to train on ('' for all clips)")]
LengthFilter = Annotated[bool | None, typer.Option("--length-filter/--no-length-filter",
                                                   help="HumanML3D's 40-199-frame filter (default: on for "
                                                   "HumanML3D stores)")]

# how it runs
Device = Annotated[str | None, typer.Option(help="torch device: cpu | cuda | cuda:N (default: cuda where there "
                                            "is one, else cpu)")]
CpuDevice = Annotated[str | None, typer.Option(help="torch device: cpu | cuda | cuda:N (default: cpu)")]
Seed = Annotated[int, typer.Option(help="random seed")]
OptionalSeed = Annotated[int | None, typer.Option(help="random seed (default: the run config's)")]
Progress = Annotated[bool, typer.Option(help="progress bar")]

# a training run's settings that override its run config (None: the config's value)
Lr = Annotated[float | None, typer.Option(help="learning rate (default: the run config's)")]
Steps = Annotated[int | None, typer.Option(help="optimizer steps in total (default: the run config's)")]
Window = Annotated[int | None, typer.Option(help="frames per training window (default: the run config's)")]
Width = Annotated[int | None, typer.Option(help="conv channels (default: the run config's)")]
WindowBatch = Annotated[int | None, typer.Option(help="windows per step and process (default: the run "
                                                 "config's)")]
RunSplit = Annotated[str | None, typer.Option(help="store split to train on (default: the run config's, "
                                              "train; '' for all clips)")]
