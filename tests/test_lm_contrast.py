"""Caption contrast: groups of records, hard negatives, the paired examples and rows, the hinge, and training."""

import dataclasses

import numpy as np
import pytest
import torch

from motionbase.lm.config import LMDataConfig, LMTrainConfig
from motionbase.lm.contrast import NegativeCaptions, caption_groups, contrast_loss, masked_logprob, nearest_groups
from motionbase.lm.data import IGNORE_INDEX, Collator, InstructionDataset
from motionbase.lm.model import MotionLM
from motionbase.lm.prompts import ROLE_RESPONSE_MOTION
from motionbase.lm.train import prepare_run, train

from .lm_support import fake_records, one_thread, tiny_lm  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

BOTH = "an energetic person briskly raises both hands"
RIGHT = "an energetic person briskly raises the right hand"
WAVE = "an energetic person waves both hands"
WALK = "an old man slowly walks forward"


def test_records_that_share_a_caption_are_one_group_transitively():
    groups = caption_groups([["a", "b"], ["b", "c"], ["d"], [], ["c"], ["e", "d"]])
    assert groups[0] == groups[1] == groups[4]  # 0-1 share b, 1-4 share c
    assert groups[2] == groups[5] != groups[0]
    assert len(set(groups.tolist())) == 3  # the record without captions is a group of its own


def test_nearest_groups_are_the_most_alike_in_words_and_skip_empty_groups():
    near = nearest_groups([[BOTH], [RIGHT], [WALK], [], [WAVE]], neighbours=2)
    assert set(near[0].tolist()) == {1, 4}  # raises both hands: raises the right hand, waves both hands
    assert near[1][0] == 0 and near[4][0] == 0 and 2 not in near[0]
    assert 3 not in np.concatenate(near).tolist() and len(near[3]) == 0
    assert len(nearest_groups([[BOTH], [RIGHT]], neighbours=5)[0]) == 1  # capped at the other usable groups


def test_a_negative_never_describes_the_records_own_group():
    captions = [[BOTH, BOTH + " again"], [BOTH + " again"], [RIGHT], [WAVE], [WALK], []]
    neg = NegativeCaptions(captions, neighbours=2)
    rng = np.random.default_rng(0)
    own = {0: {BOTH, BOTH + " again"}, 1: {BOTH, BOTH + " again"}, 2: {RIGHT}, 3: {WAVE}, 4: {WALK}}
    for i, mine in own.items():
        drawn = {neg.draw(i, rng) for _ in range(40)}
        assert drawn and not drawn & mine, i
    assert {neg.draw(0, rng) for _ in range(40)} == {RIGHT, WAVE}  # its two nearest groups
    assert neg.draw(5, rng) is None or neg.draw(5, rng) not in own[0]


@pytest.fixture(scope="module")
def lm():
    return tiny_lm("tiny-gpt2", K=16, P=2, part_tokens="separate")


def _dataset(lm, records, **overrides):
    data = LMDataConfig(task_weights={"t2m": 0.7, "m2t": 0.3}, caption_levels={"whole": 0.7, "all": 0.3},
                        **overrides)
    return InstructionDataset(records, lm.encoder, data, lm.example_length(data), lm.codec.codes_per_second, seed=3)


def test_contrast_pairs_share_the_motion_and_leave_the_examples_unchanged(lm):
    records = fake_records(30, K=16, P=2)
    plain, paired = _dataset(lm, records), _dataset(lm, records, contrast=1.0)
    n_pairs = 0
    for i in range(len(records)):
        encoded, task, negative = paired.contrast_example(i)
        assert np.array_equal(encoded.ids, plain.example(i)[0].ids)  # the contrast draws after the example
        if negative is None:
            continue
        n_pairs += 1
        assert task == "t2m"
        motion = encoded.ids[encoded.roles == ROLE_RESPONSE_MOTION]
        assert np.array_equal(negative.ids[negative.roles == ROLE_RESPONSE_MOTION], motion)
        text = lm.tokenizer.decode(negative.ids[negative.roles != ROLE_RESPONSE_MOTION])
        record = records[int(paired.order[i])]
        assert not any(c in text for c in record.captions.whole)  # the negative names another group's caption
    assert n_pairs >= 8  # t2m with a whole-body caption: about half of the examples
    item = paired[0]
    assert item["motion_mask"].dtype == torch.bool and "motion_mask" not in plain[0]


def test_collator_appends_negatives_as_rows_without_labels(lm):
    ds = _dataset(lm, fake_records(30, K=16, P=2), contrast=1.0)
    items = [ds[i] for i in range(12)]
    batch = Collator(lm.tokenizer.pad_token_id)(items)
    with_neg = [i for i, it in enumerate(items) if "negative_ids" in it]
    assert with_neg and batch["input_ids"].shape[0] == 12 + len(with_neg)
    assert batch["contrast_pairs"].tolist() == [[r, 12 + k] for k, r in enumerate(with_neg)]
    assert (batch["labels"][12:] == IGNORE_INDEX).all() and (batch["labels"][:12] != IGNORE_INDEX).any()
    for row, neg in batch["contrast_pairs"].tolist():
        assert batch["motion_mask"][row].sum() == batch["motion_mask"][neg].sum() > 0
    plain = Collator(lm.tokenizer.pad_token_id)([{k: it[k] for k in ("input_ids", "labels")} for it in items])
    assert set(plain) == {"input_ids", "attention_mask", "labels"}


def test_hinge_and_share_on_known_values():
    loss, right = contrast_loss(torch.tensor([-10.0, -5.0, -3.0]), torch.tensor([-12.0, -4.0, -3.3]),
                                torch.tensor([10.0, 5.0, 3.0]), margin=0.1)
    # d = 0.2, -0.2, 0.1: hinge 0, 0.3, 0 (a pair exactly at the margin costs nothing)
    assert loss.item() == pytest.approx(0.1, abs=1e-6) and right.item() == pytest.approx(2 / 3)


def test_masked_logprob_sums_the_masked_next_token_logprobs():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 5, 7, generator=gen)
    ids = torch.randint(0, 7, (2, 5), generator=gen)
    mask = torch.tensor([[0, 0, 1, 1, 0], [0, 1, 1, 1, 1]], dtype=torch.bool)
    lp, n = masked_logprob(logits, ids, mask)
    logp = torch.log_softmax(logits, -1)
    expect = [sum(logp[b, t - 1, ids[b, t]].item() for t in range(1, 5) if mask[b, t]) for b in range(2)]
    assert lp.tolist() == pytest.approx(expect, abs=1e-5) and n.tolist() == [2.0, 4.0]


def _mean_ratio(model_dir, lm, records, data):
    """Mean per-token log-likelihood ratio, own caption against the negative, over the dataset's pairs."""
    trained = MotionLM.from_pretrained(model_dir, lm.codec)
    trained.backbone.eval()
    ds = InstructionDataset(records, trained.encoder, data, trained.example_length(data),
                            trained.codec.codes_per_second, seed=11)
    items = [it for it in (ds[i] for i in range(len(ds))) if "negative_ids" in it]
    batch = Collator(trained.tokenizer.pad_token_id)(items)
    pairs, motion = batch.pop("contrast_pairs"), batch.pop("motion_mask")
    with torch.inference_mode():
        logits = trained.backbone(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    lp, n = masked_logprob(logits, batch["input_ids"], motion)
    return float(((lp[pairs[:, 0]] - lp[pairs[:, 1]]) / n[pairs[:, 0]]).mean())


def test_training_with_the_contrast_makes_captions_matter_more(tmp_path):
    """The same tiny run with and without the term: the motions' own captions end up likelier against their
    negatives with it (and its log reports the hinge and the share of pairs ordered right)."""
    lm = tiny_lm("tiny-gpt2", K=16, P=2)
    records = fake_records(12, K=16, P=2)
    base = LMDataConfig(task_weights={"t2m": 1.0}, caption_levels={"whole": 1.0})
    ratios = {}
    for weight in (0.0, 5.0):
        data = dataclasses.replace(base, contrast=weight, contrast_margin=1.0)
        cfg = LMTrainConfig(lr=3e-3, batch_size=4, max_steps=80, log_every=10, save_every=80, progress=False,
                            data=data)
        run = prepare_run(tmp_path / f"w{weight}", lm, records, cfg)
        model_dir = train(run)
        log = (run / "log.jsonl").read_text()
        assert ("contrast_right" in log) == (weight > 0)
        ratios[weight] = _mean_ratio(model_dir, lm, records, dataclasses.replace(base, contrast=1.0))
    assert ratios[5.0] > ratios[0.0] + 0.05, ratios
