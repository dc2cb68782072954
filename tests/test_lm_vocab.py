"""Motion vocabulary: added vs reused tokens, code <-> id mapping with P parts per step."""

import numpy as np
import pytest

from motionbase.errors import MotionbaseError, ShapeError
from motionbase.lm.text_tokenizer import train_bpe
from motionbase.lm.vocab import MOT_END, MOT_START, MotionVocab, reusable_token_ids, token_counts

from .lm_support import corpus, one_thread  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture()
def bpe():
    return train_bpe(corpus(), vocab_size=400)


def test_bpe_is_byte_level_and_round_trips_unseen_text(bpe):
    text = "a person does a cartwheel — très vite!"
    ids = bpe(text, add_special_tokens=False)["input_ids"]
    assert bpe.decode(ids) == text
    assert len(bpe) <= 400 and bpe.pad_token_id != bpe.eos_token_id


def test_added_tokens_extend_the_vocabulary(bpe):
    before = len(bpe)
    vocab = MotionVocab.added(bpe, codebook_size=32, tokens_per_step=3, part_tokens="separate")
    assert len(bpe) == before + 3 * 32 + 2
    assert bpe.convert_ids_to_tokens([vocab.start_id, vocab.end_id]) == [MOT_START, MOT_END]
    ids = vocab.all_ids
    assert len(set(ids.tolist())) == len(ids) and ids.min() >= before
    # the markers are whole tokens when a text contains them, and skipped as special tokens on decode
    assert bpe("x <mot> y", add_special_tokens=False)["input_ids"].count(vocab.start_id) == 1
    with pytest.raises(MotionbaseError, match="already has motion token"):
        MotionVocab.added(bpe, 32, 3, "separate")


@pytest.mark.parametrize("part_tokens", ["shared", "separate"])
def test_codes_ids_round_trip_with_parts(bpe, part_tokens):
    vocab = MotionVocab.added(bpe, codebook_size=8, tokens_per_step=3, part_tokens=part_tokens)
    codes = np.random.default_rng(0).integers(0, 8, (5, 3))
    ids = vocab.codes_to_ids(codes)
    assert ids.shape == (15,)
    np.testing.assert_array_equal(vocab.ids_to_codes(ids, len(bpe)), codes)
    # time-major: the first three ids are step 0's parts 0, 1, 2
    assert ids[1] == vocab.code_ids[vocab.group_of_part(1), codes[0, 1]]
    if part_tokens == "separate":  # same code, different part -> different token
        assert vocab.code_ids[0, 3] != vocab.code_ids[1, 3]
        with pytest.raises(MotionbaseError, match="position 0 .*not a motion code of that part"):
            vocab.ids_to_codes(np.roll(ids, 1), len(bpe))
    with pytest.raises(MotionbaseError, match="whole number of 3-part time steps"):
        vocab.ids_to_codes(ids[:-1], len(bpe))


def test_out_of_range_codes_are_refused(bpe):
    vocab = MotionVocab.added(bpe, codebook_size=8, tokens_per_step=2)
    with pytest.raises(ShapeError, match=r"code 8 at step 1, part 0 is outside \[0, 8\)"):
        vocab.codes_to_ids(np.array([[0, 1], [8, 2]]))
    with pytest.raises(ShapeError, match=r"expected \(N, 2\)"):
        vocab.codes_to_ids(np.zeros((4, 3), int))
    with pytest.raises(MotionbaseError, match="token .* at position 1"):
        vocab.ids_to_codes([vocab.code_ids[0, 0], vocab.start_id], len(bpe))


def test_reuse_takes_the_least_frequent_reusable_tokens(bpe):
    texts = corpus()
    vocab = MotionVocab.reused(bpe, codebook_size=40, tokens_per_step=1, corpus=texts)
    assert len(bpe) == len(bpe.get_vocab())  # nothing was added
    counts = token_counts(bpe, texts)
    chosen = vocab.all_ids
    others = np.setdiff1d(reusable_token_ids(bpe), chosen)
    assert counts[chosen].max() <= counts[others].min()  # the defining property
    banned = set(bpe.all_special_ids)
    assert not banned & set(chosen.tolist())
    assert all(len(t) > 1 for t in bpe.convert_ids_to_tokens(chosen.tolist()))  # never a byte symbol
    # a corpus that uses a token makes it less likely to be reused
    common = int(np.argmax(counts))
    assert common not in chosen


def test_reuse_counts_over_the_given_corpus(bpe):
    plain = MotionVocab.reused(bpe, 60, corpus=corpus())
    # a token reused under the caption corpus, whose text encodes back to exactly that token
    token = next(int(t) for t in plain.code_ids.ravel()
                 if bpe(bpe.decode([int(t)]), add_special_tokens=False)["input_ids"] == [int(t)])
    heavy = MotionVocab.reused(bpe, 60, corpus=list(corpus()) + [bpe.decode([token])] * 500)
    assert token not in heavy.all_ids
    assert len(set(plain.all_ids.tolist()) ^ set(heavy.all_ids.tolist())) == 2  # one swapped for another


def test_reuse_refuses_a_vocabulary_too_small(bpe):
    with pytest.raises(MotionbaseError, match=r"reusable tokens .* but 16386 are needed .*vocab_mode='added'"):
        MotionVocab.reused(bpe, codebook_size=16384, corpus=corpus())


def test_vocab_serialises(bpe):
    vocab = MotionVocab.added(bpe, 8, 2, "separate")
    again = MotionVocab.from_dict(vocab.to_dict())
    np.testing.assert_array_equal(again.code_ids, vocab.code_ids)
    assert (again.start_id, again.end_id, again.part_tokens, again.num_groups) == \
        (vocab.start_id, vocab.end_id, "separate", 2)
