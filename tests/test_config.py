"""The config base (motionbase.config): unknown keys, nested round trips, declared range checks, frozen configs,
old file layouts."""

import dataclasses
import importlib
import json
import warnings

import pytest

from motionbase.config import Config, ConfigError, setting
from motionbase.errors import MotionbaseError
from motionbase.evaluate.evaluator import EvaluatorConfig, GuoDims
from motionbase.lm.config import (
    DATA_KEYS,
    LMConfig,
    LMDataConfig,
    LMTrainConfig,
    LoRAConfig,
    TinyBackboneConfig,
    legacy_data,
)
from motionbase.tokenizer.config import LOSS_KEYS, DenoisingConfig, TokenizerConfig, TokenizerLossConfig, preset
from motionbase.tokenizer.perceptual import PerceptualConfig
from motionbase.tokenizer.run import TokenizerRunConfig
from motionbase.tokenizer.train import TokenizerTrainConfig

# every module that defines a config class (imported so that Config.__subclasses__ sees them all)
CONFIG_MODULES = [
    "motionbase.tokenizer.config", "motionbase.tokenizer.train", "motionbase.tokenizer.run",
    "motionbase.tokenizer.perceptual", "motionbase.tokenizer.augment", "motionbase.lm.config",
    "motionbase.lm.prompt_map", "motionbase.evaluate.evaluator", "motionbase.evaluate.evaluator_train",
    "motionbase.evaluate.evaluator_tmr", "motionbase.evaluate.run", "motionbase.prior.model", "motionbase.prior.train",
    "motionbase.prior.vertical", "motionbase.pipeline.process", "motionbase.pipeline.track",
    "motionbase.pipeline.clean", "motionbase.pipeline.caption.kinematics_summary", "motionbase.pipeline.caption.rules",
    "motionbase.pipeline.caption.lmm", "motionbase.pipeline.refine.cleanup", "motionbase.pipeline.bodymodel",
    "motionbase.pipeline.pose", "motionbase.pipeline.detect", "motionbase.viz.render",
    "motionbase.defaults.familiarity", "motionbase.bodymodels.datasets", "motionbase.bodymodels.fit",
    "motionbase.experiments.questions", "motionbase.generation", "motionbase.data.length_filter",
]


def all_configs() -> list[type]:
    for name in CONFIG_MODULES:
        importlib.import_module(name)
    seen, todo = [], list(Config.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.append(cls)
            todo.extend(cls.__subclasses__())
    return seen


def test_every_config_is_a_frozen_config_dataclass():
    configs = all_configs()
    assert len(configs) >= 35
    names = {c.__name__ for c in configs}
    assert {"TokenizerConfig", "TokenizerTrainConfig", "LMConfig", "LMTrainConfig", "EvaluatorConfig",
            "EvaluatorTrainConfig", "PriorConfig", "PriorTrainConfig", "PerceptualConfig", "PipelineConfig",
            "RulesConfig", "RenderConfig"} <= names
    for cls in configs:
        assert cls.__dataclass_params__.frozen, cls.__name__
        if any(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               for f in dataclasses.fields(cls)):
            continue  # sizes without defaults (experiment presets): test_experiment_sizes_round_trip
        cfg = cls()
        first = dataclasses.fields(cls)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(cfg, first, getattr(cfg, first))
        assert cls.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg, cls.__name__  # JSON round trip


def test_experiment_sizes_round_trip():
    from motionbase.experiments.questions import LM_SIZES, TOKENIZER_SIZES, LMSizes, TokenizerSizes

    for sizes in TOKENIZER_SIZES.values():
        assert TokenizerSizes.from_dict(json.loads(json.dumps(sizes.to_dict()))) == sizes
    for sizes in LM_SIZES.values():
        again = LMSizes.from_dict(json.loads(json.dumps(sizes.to_dict())))
        assert again == sizes and isinstance(again.tokenizer, TokenizerSizes)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sizes.steps = 1


def test_no_two_configs_share_a_name():
    names = [c.__name__ for c in all_configs()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert "TrainConfig" not in names


def test_unknown_keys_name_the_key_and_the_config():
    with pytest.raises(ConfigError, match=r"^run\.json: unknown tokenizer config key\(s\) \['colour'\]; known: "):
        TokenizerConfig.from_dict({"colour": "red"}, source="run.json")
    with pytest.raises(ConfigError, match=r"^x: lora: unknown LoRAConfig key\(s\) \['rank'\]"):
        LMTrainConfig.from_dict({"lora": {"rank": 4}}, source="x")
    with pytest.raises(ConfigError, match=r"^tokenizer preset 'vq': unknown tokenizer config key\(s\) "
                                          r"\['entropy_weight'\]"):
        preset("vq", entropy_weight=1.0)  # a loss weight is no model setting
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['depht'\]"):
        TokenizerConfig().replace(depht=2)


def test_nested_round_trip():
    train = LMTrainConfig(lr=1e-3, lora=LoRAConfig(r=4, target_modules=("c_attn",)))
    d = json.loads(json.dumps(train.to_dict()))
    assert d["lora"] == {"r": 4, "alpha": 32, "dropout": 0.05, "target_modules": ["c_attn"]}
    assert LMTrainConfig.from_dict(d) == train and isinstance(LMTrainConfig.from_dict(d).lora, LoRAConfig)
    lm = LMTrainConfig(data=LMDataConfig(task_weights={"t2m": 1.0}, max_length=64))
    assert LMTrainConfig.from_dict(json.loads(json.dumps(lm.to_dict()))) == lm
    model = LMConfig(tiny=TinyBackboneConfig(hidden=32))
    assert LMConfig.from_dict(json.loads(json.dumps(model.to_dict()))) == model
    ev = EvaluatorConfig(arch="guo", guo=GuoDims(16, 16, 16, 24))
    assert EvaluatorConfig.from_dict(json.loads(json.dumps(ev.to_dict()))).guo == GuoDims(16, 16, 16, 24)
    run = TokenizerRunConfig(preset="vq", model={"width": 64}, steps=10,
                    train=TokenizerTrainConfig(lr_milestones=(5,), loss=TokenizerLossConfig(entropy_weight=0.3)))
    again = TokenizerRunConfig.from_dict(json.loads(json.dumps(run.to_dict())))
    assert again == run and again.train.lr_milestones == (5,) and again.train.loss.entropy_weight == 0.3
    assert TokenizerConfig.from_dict({"method": "fsq", "fsq_levels": [8, 5, 5]}).fsq_levels == (8, 5, 5)


def test_range_checks_are_declared_and_read_in_one_line():
    with pytest.raises(ConfigError, match=r"^tokenizer: width=0: expected at least 1$"):
        TokenizerConfig(width=0)
    with pytest.raises(ConfigError, match=r"^LMTrainConfig: batch_size=0: expected at least 1$"):
        LMTrainConfig(batch_size=0)
    with pytest.raises(ConfigError, match=r"^tokenizer: method='lqf': expected one of vq, rvq, lfq, fsq$"):
        TokenizerConfig(method="lqf")
    with pytest.raises(ConfigError, match=r"part_kernel=2: expected an odd number"):
        TokenizerConfig(part_kernel=2)
    with pytest.raises(ConfigError, match=r"^c\.json: width: 'wide' is not an integer$"):
        TokenizerConfig.from_dict({"width": "wide"}, source="c.json")
    with pytest.raises(ConfigError, match=r"^tokenizer: width='wide': expected a number$"):
        TokenizerConfig(width="wide")  # in code, the range check still reads in one line
    with pytest.raises(ConfigError, match="alpha must be a power of two"):
        TokenizerConfig(alpha=3)
    assert LMTrainConfig(max_steps=None).max_steps is None  # None passes an optional field's checks
    with pytest.raises(ConfigError, match=r"^c\.json: data: task_weights: \[1, 2\] is not a JSON object$"):
        LMTrainConfig.from_dict({"data": {"task_weights": [1, 2]}}, source="c.json")
    with pytest.raises(ConfigError, match=r"^c\.json: kmeans_init: 1 is not true or false$"):
        TokenizerConfig.from_dict({"kmeans_init": 1}, source="c.json")
    assert TokenizerConfig.from_dict({"fps": 30}).fps == 30  # an integer is a number
    for bad in (lambda: LMDataConfig(task_weights={"dance": 1.0}), lambda: TokenizerLossConfig(entropy_weight=-1)):
        with pytest.raises(MotionbaseError) as info:
            bad()
        assert "\n" not in str(info.value)


def test_setting_declares_checks_for_a_new_config():
    @dataclasses.dataclass(frozen=True)
    class Sizes(Config):
        width: int = setting(8, min=1, max=64)
        mode: str = setting("a", choices=("a", "b"))

    assert Sizes(width=64).width == 64
    with pytest.raises(ConfigError, match=r"^Sizes: width=65: expected at most 64$"):
        Sizes(width=65)
    with pytest.raises(ConfigError, match=r"^s: Sizes: mode='c': expected one of a, b$"):
        Sizes.from_dict({"mode": "c"}, source="s")
    with pytest.raises(ConfigError, match="expected a JSON object for the Sizes config, got list"):
        Sizes.from_dict([1], source="s.json")


def test_old_tokenizer_layouts_load():
    """Checkpoints written before the split carried the loss weights: they load, the weights are dropped."""
    old = {**TokenizerConfig(width=32).to_dict(), **TokenizerLossConfig().to_dict()}
    assert set(LOSS_KEYS) <= set(old)
    assert TokenizerConfig.from_dict(old) == TokenizerConfig(width=32)
    assert not set(LOSS_KEYS) & set(TokenizerConfig().to_dict())
    # a run.json with loss weights under "model": moved to train.loss with one deprecation line
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = TokenizerRunConfig.from_dict({"preset": "vq", "model": {"width": 32, "trajectory_loss_weight": 2.0},
                                   "train": {"lr": 1e-3}}, source="old/run.json")
    assert run.model == {"width": 32} and run.train.loss.trajectory_loss_weight == 2.0 and run.train.lr == 1e-3
    assert len(caught) == 1 and "old/run.json" in str(caught[0].message) and "train.loss" in str(caught[0].message)
    # the perceptual encoder's training noise: out of its config.json, and out of a run's model section
    old = {**PerceptualConfig(width=16).to_dict(), "noise_std": 0.3, "frame_dropout": 0.2}
    assert PerceptualConfig.from_dict(old) == PerceptualConfig(width=16)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        run = TokenizerRunConfig.from_dict({"preset": "perceptual", "model": {"width": 16, "noise_std": 0.3}})
    assert run.model == {"width": 16} and run.train.denoising == DenoisingConfig(noise_std=0.3)


def test_old_lm_layouts_load():
    """LM checkpoints written before the split carried the training examples' settings in their config."""
    data = LMDataConfig(loss_on="motion", max_length=64).to_dict()
    old = {**LMConfig(part_tokens="separate").to_dict(), **{k: data[k] for k in DATA_KEYS}}  # keys of that time
    assert set(DATA_KEYS) <= set(old)
    assert LMConfig.from_dict(old) == LMConfig(part_tokens="separate")
    assert LMDataConfig.from_dict(legacy_data(old)) == LMDataConfig(loss_on="motion", max_length=64)
    assert legacy_data(LMConfig().to_dict()) == {}


def test_config_files_round_trip_and_fail_in_one_line(tmp_path):
    path = tmp_path / "train.json"
    TokenizerTrainConfig(lr=3e-4).save(path)
    assert TokenizerTrainConfig.load(path) == TokenizerTrainConfig(lr=3e-4)
    path.write_text("{nope")
    with pytest.raises(ConfigError, match=r"train\.json: not valid JSON"):
        TokenizerTrainConfig.load(path)
    with pytest.raises(ConfigError, match=r"missing\.json: missing"):
        TokenizerTrainConfig.load(tmp_path / "missing.json")
    (tmp_path / "v.json").write_text(json.dumps({"config_version": 7}))
    with pytest.raises(ConfigError, match="config_version 7, expected 1"):
        TokenizerConfig.load(tmp_path / "v.json")
