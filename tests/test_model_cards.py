"""Model cards of the default models: licence, what the model knows, budget, metrics table."""

import json

from motionbase.defaults.cards import write_model_cards

METRICS = {"info": {"replications": 5}, "rows": [
    {"name": "real motion", "metrics": {"r_precision": {"mean": [0.9, 0.95, 0.97], "ci95": [0.01, 0.0, 0.0]},
                                        "fid": {"mean": 0.001, "ci95": 0.0}}},
    {"name": "generated", "metrics": {"r_precision": {"mean": [0.5, 0.6, 0.7], "ci95": [0.02, 0.02, 0.02]},
                                      "fid": {"mean": 0.25, "ci95": 0.01}, "mpjpe_mm": None}}]}


def test_cards_say_licence_knowledge_budget_and_metrics(tmp_path):
    assets, work = tmp_path / "assets", tmp_path / "work"
    for name in ("tokenizer", "lm", "evaluator"):
        (assets / name).mkdir(parents=True)
    work.mkdir()
    (work / "metrics.json").write_text(json.dumps(METRICS))
    budgets = {"tokenizer": {"steps": 1200}, "lm": {"hidden": 192}, "lm_steps": 3000, "evaluator_minutes": 10,
               "eval": {"guidance": 4.0, "guidance_negative": "unconditional"}, "lm_sides_rounds": [600]}
    write_model_cards(assets, work, budgets, {"tokenizer": 600.0, "lm_base": 1800.0, "lm_sides": 300.0})
    lm = (assets / "lm" / "README.md").read_text()
    assert "NON-COMMERCIAL" in lm and "CC BY-NC 4.0" in lm
    assert "walk-turn-left" in lm and "elderly" in lm
    assert '"lm_steps": 3000' in lm and "30.0 min" in lm
    assert "| generated | 0.500 ± 0.020 | 0.600 ± 0.020 | 0.700 ± 0.020 | 0.250 ± 0.010 |" in lm
    assert "| real motion | 0.900 ± 0.010 |" in lm
    assert "5 replications; generated with guidance 4 against the unconditional prompt" in lm
    assert "30.0 min base training, then 5.0 min fine-tuning at a lower learning rate" in lm
    assert "motionbase.lm.sides" in lm
    assert "every\ntraining stage): 55.0 min (45.0 min recorded, plus the evaluator's 10-min budget" in lm
    evaluator = (assets / "evaluator" / "README.md").read_text()
    assert '"evaluator_minutes": 10' in evaluator and "not recorded" in evaluator
    assert "10.0 min" in (assets / "tokenizer" / "README.md").read_text()
    assert "motionbase.lm.contrast" not in lm  # named only when the recipe uses it
    write_model_cards(assets, work, {**budgets, "lm_contrast": 1.0}, {})
    assert "caption contrast (motionbase.lm.contrast)" in (assets / "lm" / "README.md").read_text()
