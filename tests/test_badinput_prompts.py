"""Bad-input corpus, prompts and generation options (``motionbase generate`` with tiny real models, in process).

Expected: exit 0 with every output of every prompt complete, or exit 2 with one line; never a traceback, never
a partial set of files or a temp file in ``--out``, and an existing file at ``--out`` is left as it was.
"""

import pytest

from .badinput.support import DATA_LOST, assert_clean, assert_no_leftovers, cli
from .generation_support import tiny_models

SUFFIXES = (".npy", ".codes.npy", ".mp4", ".gif", ".bvh", ".json")
OK = "a person walks forward"
# name -> (prompts, extra options, exit codes a correct generate may give)
CASES = {
    "empty": ([""], [], (2,)),
    "whitespace-only": (["  \t  "], [], (2,)),
    "100-kB": (["walk " * 20_000], [], (0, 2)),
    "non-utf8-bytes": (["a person \udcff\udcfe walks"], [], (0, 2)),
    "control-characters": (["a person\x00 walks\x1b[31m\r\x07"], [], (0, 2)),
    "rtl-and-emoji": (["a person \u202e walks 🏃‍♀️ forward"], [], (0,)),
    "path-separators": (["../../etc/passwd"], [], (0,)),
    "same-prompt-twice": ([OK, OK], [], (0,)),
    "size-0": ([OK], ["--size", "0"], (2,)),
    "size-negative": ([OK], ["--size", "-5"], (2,)),
    "size-100000": ([OK], ["--size", "100000"], (2,)),
    "seconds-negative": ([OK], ["--seconds", "-1"], (2,)),
    "seconds-1e9": ([OK], ["--seconds", "1e9"], (2,)),
    "seconds-nan": ([OK], ["--seconds", "nan"], (2,)),
    "temperature-negative": ([OK], ["--temperature", "-1"], (2,)),
    "top-p-2": ([OK], ["--top-p", "2"], (2,)),
    "top-k-0": ([OK], ["--top-k", "0"], (0, 2)),  # 0 may mean "no top-k", as in transformers
    "guidance-negative-unknown": ([OK], ["--guidance-negative", "sideways"], (2,)),
    "device-bogus": ([OK], ["--device", "tpu:9"], (2,)),
    "device-cuda-99": ([OK], ["--device", "cuda:99"], (2,)),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory.mktemp("models"))


def _complete_sets(out):
    """(stems with any output, stems missing one of the six outputs)."""
    names = [p.name for p in out.iterdir() if p.is_file()] if out.exists() else []
    stems = {n[: -len(s)] for n in names for s in SUFFIXES
             if n.endswith(s) and not (s == ".npy" and n.endswith(".codes.npy"))}
    return stems, [s for s in stems if not all((out / f"{s}{x}").is_file() for x in SUFFIXES)]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", list(CASES))
def test_prompt_case(case, models, tmp_path):
    prompts, options, codes = CASES[case]
    lm, tok = models
    out = tmp_path / "out"
    o = cli("generate", *prompts, "--lm", lm, "--tokenizer", tok, "--out", out, "--seed", "0", "--size", "48",
            "--seconds", "1", "--device", "cpu", *options)
    assert_clean(o, codes)
    stems, partial = _complete_sets(out)
    assert not partial, f"{DATA_LOST}: partial outputs for {partial}: {sorted(p.name for p in out.iterdir())}"
    if o.code == 0:
        assert len(stems) == len(prompts), stems
        assert all(out.resolve() in (out / s).resolve().parents for s in stems), "an output outside --out"
    else:
        assert not stems, f"a refused generate wrote {stems}"
    assert_no_leftovers(out)


def test_out_naming_an_existing_file(models, tmp_path):
    lm, tok = models
    out = tmp_path / "taken"
    out.write_text("keep me\n")
    o = cli("generate", OK, "--lm", lm, "--tokenizer", tok, "--out", out, "--seconds", "1", "--device", "cpu")
    assert_clean(o, (2,), says=str(out))
    assert out.read_text() == "keep me\n", f"{DATA_LOST}: the existing file was changed"
