"""The onset constraint: generated motions begin with codes training clips begin with (motionbase.lm.onset)."""

import json

import numpy as np
import pytest
import torch

from motionbase.errors import CheckpointError
from motionbase.lm.generate import GenerationOptions, MotionConstraint, MotionRequest, generate, text_to_motion
from motionbase.lm.model import MotionLM
from motionbase.lm.onset import onset_codes, onset_from_dict, onset_to_dict, onset_token_mask

from .lm_support import one_thread, tiny_lm  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

HOT = GenerationOptions(temperature=3.0, seed=0)  # flat distributions: only the constraint keeps the onset


@pytest.fixture(scope="module")
def lm_sep():
    return tiny_lm("tiny-gpt2", K=16, P=3, part_tokens="separate")


def test_onset_codes_are_the_first_steps_of_the_records():
    codes = [np.array([[1, 2], [9, 9]]), np.array([[3, 2], [1, 1], [0, 0]]), np.zeros((0, 2), np.int64)]
    table = onset_codes(codes, tokens_per_step=2, codebook_size=5)
    assert table.shape == (2, 5)
    assert onset_to_dict(table) == [[1, 3], [2]]  # never a later step's code (9, 0), never the empty clip
    assert (onset_from_dict([[1, 3], [2]], 2, 5, "x") == table).all()
    assert not onset_codes([], 2, 5).any()


@pytest.mark.parametrize("rows,match", [([[1]], "each of the 2"), ([[1], []], "position 1"),
                                        ([[1], [5]], r"\[0, 5\)"), ([[-1], [0]], "position 0"),
                                        ("1,2", "each of the 2")])
def test_a_malformed_onset_table_is_one_clear_error(rows, match):
    with pytest.raises(CheckpointError, match=match):
        onset_from_dict(rows, 2, 5, "motion_lm.json")


def test_token_mask_for_separate_and_shared_part_tokens():
    table = np.array([[True, False, True], [False, True, False]])
    separate = onset_token_mask(table, np.array([[10, 11, 12], [20, 21, 22]]), width=25)
    assert np.flatnonzero(separate[0]).tolist() == [10, 12] and np.flatnonzero(separate[1]).tolist() == [21]
    shared = onset_token_mask(table, np.array([[10, 11, 12]]), width=25)
    assert np.flatnonzero(shared[0]).tolist() == [10, 12] and np.flatnonzero(shared[1]).tolist() == [11]


def test_constraint_holds_only_the_first_step_of_motions_from_nothing(lm_sep):
    v, V = lm_sep.vocab, len(lm_sep.tokenizer)
    table = np.zeros((3, 16), dtype=bool)
    table[0, [1, 2]], table[1, 3], table[2, [4, 5]] = True, True, True
    proc = MotionConstraint(v, V, prompt_length=2, motion_rows=torch.tensor([True, True]),
                            min_codes=torch.tensor([3, 3]), max_codes=torch.tensor([9, 9]),
                            eos_id=lm_sep.tokenizer.eos_token_id, pad_id=lm_sep.tokenizer.pad_token_id,
                            onset=table, onset_rows=torch.tensor([True, False]))
    a, b, c = (int(v.code_ids[p, 7]) for p in range(3))
    seq = torch.tensor([[9, 9, v.start_id, a, b, c, a]] * 2)

    def allowed(n, row):
        return set(torch.nonzero(proc(seq[:, :n], torch.zeros(2, V))[row].isfinite()).ravel().tolist())

    for n, p in ((3, 0), (4, 1), (5, 2)):
        assert allowed(n, 0) == set(v.code_ids[p, table[p]].tolist())  # the onset row: only onset codes
        assert allowed(n, 1) == set(v.code_ids[p].tolist())  # a continuation: any code of the part
    assert allowed(6, 0) == set(v.code_ids[0].tolist()) | {v.end_id}  # the second step is free


def test_generated_motions_start_with_onset_codes_and_only_when_asked(lm_sep, tmp_path):
    lm = lm_sep
    lm.onset = np.zeros((3, 16), dtype=bool)
    lm.onset[:, 4] = True  # every clip started with code 4
    try:
        captions = [f"a person walks {k}" for k in range(8)]
        held = text_to_motion(lm, captions, HOT)
        assert all(r.codes[0].tolist() == [4, 4, 4] for r in held)
        assert any((r.codes[1:] != 4).any() for r in held)  # after the onset the LM is free
        free = text_to_motion(lm, captions, GenerationOptions(temperature=3.0, seed=0, onset=False))
        assert sum(r.codes[0].tolist() != [4, 4, 4] for r in free) >= 6
        prefix = np.full((2, 3), 9)  # a continuation starts mid-motion: not held
        cont = generate(lm, [MotionRequest("prediction", caption="a person walks", prefix=prefix)] * 8, HOT)
        assert sum(r.codes[0].tolist() != [4, 4, 4] for r in cont) >= 6
        # the table travels with the checkpoint
        lm.save_pretrained(tmp_path / "lm")
        stored = json.loads((tmp_path / "lm" / "motion_lm.json").read_text())["onset"]
        assert stored == [[4], [4], [4]]
        assert (MotionLM.from_pretrained(tmp_path / "lm").onset == lm.onset).all()
    finally:
        lm.onset = None
    lm.save_pretrained(tmp_path / "old")  # a checkpoint without a table starts anywhere
    assert "onset" not in json.loads((tmp_path / "old" / "motion_lm.json").read_text())
    assert MotionLM.from_pretrained(tmp_path / "old").onset is None
