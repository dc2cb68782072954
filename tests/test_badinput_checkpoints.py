"""Bad-input corpus, checkpoints: a damaged motion tokenizer, motion LM or evaluator folder is refused with one
line naming the folder or file (a :class:`MotionbaseError`), never a traceback; a pickle — planted beside
the weights, named as the weights, or reached through a shard index — is never unpickled."""

import shutil
import traceback

import pytest

from motionbase.errors import MotionbaseError

from .badinput import checkpoints as ck
from .generation_support import tiny_models

KNOWN: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    lm, tok = tiny_models(root, captions=False)
    return {"lm": lm, "tokenizer": tok, "evaluator": ck.tiny_evaluator(root / "evaluator")}


def _load(kind, dirs):
    if kind == "evaluator":
        from motionbase.evaluate.evaluator import TextMotionEvaluator

        return TextMotionEvaluator.from_pretrained(dirs["evaluator"], device="cpu")
    from motionbase.generation import MotionGenerator

    return MotionGenerator.load(dirs["lm"], dirs["tokenizer"], device="cpu")


def _params():
    for kind in ("tokenizer", "lm", "evaluator"):
        for name in ck.cases(kind):
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN[kind, name])] if (kind, name) in KNOWN else []
            yield pytest.param(kind, name, id=f"{kind}-{name}", marks=marks)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind,case", _params())
def test_checkpoint_case(kind, case, models, tmp_path):
    dirs = {k: shutil.copytree(v, tmp_path / "ck" / k) for k, v in models.items()}
    ck.cases(kind)[case](dirs[kind])
    try:
        _load(kind, dirs)
        error = None
    except MotionbaseError as exc:
        error = str(exc)
    except BaseException as exc:  # noqa: BLE001 - anything else is the bug this corpus looks for
        pytest.fail("traceback instead of one line:\n" + "".join(traceback.format_exception(exc))[-2500:])
    marker = tmp_path / "ck" / ck.MARKER
    assert not marker.exists(), "a pickle was unpickled"
    if case in ck.VALID:
        assert error is None, error
        return
    assert error is not None, "a damaged checkpoint loaded without an error"
    assert "\n" not in error.strip(), f"more than one line:\n{error}"
    assert str(dirs[kind].name) in error or str(dirs[kind]) in error, f"the message does not name the folder: {error}"
