"""The experiment runner at the tiny preset (a training step or two per arm) on real clips: reports, traces,
resuming, refusing another experiment's folder, LM questions through the evaluator, FINDINGS.md."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.errors import MotionbaseError
from motionbase.experiments import QUESTIONS, question, run_experiment
from motionbase.experiments.report import write_findings

from .eval_support import make_world
from .lm_support import one_thread  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root, _ = make_world(tmp_path_factory.mktemp("exp"))
    return root


def test_questions_build_at_every_preset():
    for name in QUESTIONS:
        for preset in ("tiny", "small", "full"):
            q = question(name, preset)
            assert q.arms and q.metric and q.paper
    with pytest.raises(MotionbaseError, match="unknown experiment 'size'; expected one of .*model_scale"):
        question("size")
    with pytest.raises(MotionbaseError, match="--backbone is an arm of the model_scale experiment"):
        question("loss", backbone="somewhere")
    with pytest.raises(MotionbaseError, match="--preset 'huge'"):
        question("loss", "huge")


def test_tokenizer_question_runs_resumes_and_traces(world, tmp_path):
    out = tmp_path / "lfq_dim"
    said: list[str] = []
    run_experiment("lfq_dim", world / "store", out, preset="tiny", only=("lfq2d-*",), progress=said.append)
    first = json.loads((out / "report.json").read_text())
    assert first["finished"] == 1 and first["verdict"] == "not run" and first["missing"] == ["lfq1d-K32-s0"]
    run_experiment("lfq_dim", world / "store", out, preset="tiny", max_arms=0, progress=said.append)
    assert "stopping after 0 arm(s)" in " ".join(said)
    said.clear()
    report = run_experiment("lfq_dim", world / "store", out, preset="tiny", progress=said.append)
    assert any("done before (kept)" in s for s in said)
    r = json.loads((out / "report.json").read_text())
    assert r["finished"] == r["arms"] == 2 and r["verdict"] in ("agrees", "disagrees", "inconclusive")
    arm = json.loads((out / "arms" / "lfq2d-K32-s0" / "result.json").read_text())
    assert arm["data_hash"] == r["trace"]["data_hash"] and arm["code_version"].startswith("motionbase ")
    assert arm["config"]["preset"] == "lfq2d" and arm["metrics"]["mpjpe_root_aligned_mm"] > 0
    assert "| K=32, method=lfq2d | 1 |" in report.read_text() and (out / "plot.png").stat().st_size > 1000
    with pytest.raises(MotionbaseError, match="with other settings or data; choose another --out"):
        run_experiment("lfq_dim", world / "store", out, preset="small")


def test_lm_question_through_the_evaluator_and_findings(world, tmp_path):
    out = tmp_path / "loss"
    res = CliRunner().invoke(app, ["experiment", "loss", "--store", str(world / "store"), "--out", str(out),
                                   "--preset", "tiny", "--tokenizer", str(world / "tokenizer"),
                                   "--evaluator", str(world / "evaluator")])
    assert res.exit_code == 0, res.output + repr(res.exception)
    r = json.loads((out / "report.json").read_text())
    assert r["finished"] == 2 and r["metric"] == "r_precision_top3"
    whole = r["groups"]["loss_on=whole"]
    assert 0 <= whole["r_precision_top3"][0] <= 1 and whole["test_clips"][0] > 0
    arm = json.loads((out / "arms" / "motion-s0" / "result.json").read_text())
    assert arm["config"]["lm"]["loss_on"] == "motion" and arm["config"]["train"]["max_steps"] == 1
    partial = tmp_path / "lfq_dim"
    run_experiment("lfq_dim", world / "store", partial, preset="tiny", only=("lfq2d-*",))
    findings = write_findings([out, partial, tmp_path / "absent"], tmp_path / "docs" / "FINDINGS.md").read_text()
    assert "| lfq_dim (tiny) |" in findings and "| not finished | 1/2 |" in findings and "## lfq_dim" not in findings
    assert "| loss (tiny) |" in findings and "| codebook | — | not run | not run |" in findings
    assert "| ood | — | not run | not run |" in findings and (tmp_path / "docs" / "findings" / "loss.png").is_file()
