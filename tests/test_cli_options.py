"""Every command keeps its options (names, flags, required, defaults) across the move of shared option
declarations into motionbase.cli.options. tests/data/cli_options.json was written from the commands as they were
on main (a5a1cf5) before that move; help texts may change, the options may not. Since then `experiment` gained
`--backbone` and `--dry-run` (issue 13), and `lm train` `--balance-captions` (issue 16) and `--contrast`, `--contrast-margin` (session 15): added to the file, nothing
removed; `generate --guidance` defaults to 3 since session 8 (was 4); `generate` and `evaluate` gained
`--plant-feet/--no-plant-feet` (session 10), `generate` `--candidates` (session 11), `generate` and `evaluate` `--guidance-warmup` (session 12; `generate`'s defaults to 0.5 since session 13), `generate` `--onset/--no-onset` (session 16)."""

import json
from pathlib import Path

import typer

from motionbase.cli import app

EXPECTED = Path(__file__).parent / "data" / "cli_options.json"


def option_sets(cmd, path: list[str]) -> dict:
    out = {}
    if hasattr(cmd, "commands"):
        for name, sub in sorted(cmd.commands.items()):
            out.update(option_sets(sub, path + [name]))
        return out
    params = []
    for p in cmd.params:
        default = p.default if isinstance(p.default, (str, int, float, bool, type(None))) else repr(p.default)
        params.append({"name": p.name, "opts": sorted(p.opts), "secondary": sorted(getattr(p, "secondary_opts", [])),
                       "kind": type(p).__name__, "required": p.required, "default": default,
                       "multiple": getattr(p, "multiple", False), "is_flag": getattr(p, "is_flag", False),
                       "type": str(getattr(p, "type", ""))})
    out[" ".join(path)] = sorted(params, key=lambda d: d["name"])
    return out


def test_every_command_keeps_its_options():
    now = json.loads(json.dumps(option_sets(typer.main.get_command(app), []), default=str))
    before = json.loads(EXPECTED.read_text())
    assert sorted(now) == sorted(before)  # the same commands
    for command, params in before.items():
        assert now[command] == params, command
    assert sum(len(p) for p in before.values()) >= 250


def test_shared_options_are_declared_once():
    from motionbase.cli import evaluator, lm, tokenizer

    for module in (tokenizer, lm, evaluator):
        text = Path(module.__file__).read_text()
        assert 'typer.Option(..., "--store"' not in text and '"--length-filter/--no-length-filter"' not in text
