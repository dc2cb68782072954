"""The established HumanML3D evaluator loader, tested with files written in Guo's layouts.

The checkpoint is built from a key -> shape table written out by hand from Guo's ``networks/modules.py``
(not from our modules), saved with ``torch.save`` and read back with ``torch.load(weights_only=True)``.
"""

import os
import pickle

import numpy as np
import pytest
import torch

from motionbase.errors import CheckpointError, FormatError, MotionbaseError
from motionbase.evaluate.evaluator import GuoDims
from motionbase.evaluate.safe_pickle import load_plain_pickle, loads_plain_pickle
from motionbase.evaluate.t2m_loader import (
    POS_ENUMERATOR,
    T2MEvaluator,
    WordVectorizer,
    guo_crop_length,
    load_t2m_evaluator,
    t2m_std,
)
from motionbase.formats.text_tokens import RuleTagger

from .conftest import DATA, load_hml


def gru_shapes(prefix: str, inp: int, hid: int) -> dict:
    out = {}
    for sfx in ("", "_reverse"):
        out[f"{prefix}weight_ih_l0{sfx}"] = (3 * hid, inp)
        out[f"{prefix}weight_hh_l0{sfx}"] = (3 * hid, hid)
        out[f"{prefix}bias_ih_l0{sfx}"] = (3 * hid,)
        out[f"{prefix}bias_hh_l0{sfx}"] = (3 * hid,)
    return out


def head_shapes(hid: int, out: int) -> dict:
    return {"output_net.0.weight": (hid, 2 * hid), "output_net.0.bias": (hid,), "output_net.1.weight": (hid,),
            "output_net.1.bias": (hid,), "output_net.3.weight": (out, hid), "output_net.3.bias": (out,)}


# Guo's finest.tar for HumanML3D: dim_word 300, POS 15, text hidden 512, co-embedding 512,
# movement encoder 263-4 -> 512 -> 512, motion hidden 1024.
GUO_SHAPES = {
    "text_encoder": {"pos_emb.weight": (300, 15), "pos_emb.bias": (300,), "input_emb.weight": (512, 300),
                     "input_emb.bias": (512,), "hidden": (2, 1, 512), **gru_shapes("gru.", 512, 512),
                     **head_shapes(512, 512)},
    "movement_encoder": {"main.0.weight": (512, 259, 4), "main.0.bias": (512,), "main.3.weight": (512, 512, 4),
                         "main.3.bias": (512,), "out_net.weight": (512, 512), "out_net.bias": (512,)},
    "motion_encoder": {"input_emb.weight": (1024, 512), "input_emb.bias": (1024,), "hidden": (2, 1, 1024),
                       **gru_shapes("gru.", 1024, 1024), **head_shapes(1024, 512)},
}
WORDS = ["sos", "eos", "unk", "a", "man", "kick", "something", "or", "someone", "with", "his", "left", "leg",
         "walk", "person", "forward"]


def guo_state(seed=0, shapes=GUO_SHAPES) -> dict:
    g = torch.Generator().manual_seed(seed)
    state = {k: {n: torch.randn(s, generator=g) * 0.05 for n, s in v.items()} for k, v in shapes.items()}
    state["epoch"] = 42
    state["opt_text_encoder"] = {"state": {}, "param_groups": [{"lr": 2e-4, "params": [0, 1]}]}
    return state


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("t2m")
    torch.save(guo_state(), root / "finest.tar")
    (root / "meta").mkdir()
    mean = np.load(DATA / "humanml3d" / "Mean.npy")
    np.save(root / "meta" / "mean.npy", mean)
    np.save(root / "meta" / "std.npy", t2m_std(np.load(DATA / "humanml3d" / "Std.npy")))
    (root / "glove").mkdir()
    vectors = np.random.default_rng(0).normal(size=(len(WORDS), 300)).astype(np.float32)
    np.save(root / "glove" / "our_vab_data.npy", vectors)
    with open(root / "glove" / "our_vab_words.pkl", "wb") as f:
        pickle.dump(WORDS, f, protocol=2)
    with open(root / "glove" / "our_vab_idx.pkl", "wb") as f:
        pickle.dump({w: np.int64(i) if i % 2 else i for i, w in enumerate(WORDS)}, f)  # ints and numpy ints
    return root


@pytest.fixture(scope="module")
def evaluator(files):
    """Guo's conventions on a small random-weight model (the full-size load is tested separately)."""
    torch.manual_seed(0)
    mean, std = (np.load(files / "meta" / f"{n}.npy") for n in ("mean", "std"))
    return T2MEvaluator(mean, std, WordVectorizer.from_dir(files / "glove"), dims=GuoDims(32, 32, 32, 48), embed_dim=16).eval()


def clips():
    return [load_hml(n, "new_joint_vecs") for n in ("000000", "000612", "012314")]


def hml_tokens():
    lines = (DATA / "humanml3d" / "texts" / "000000.txt").read_text().splitlines()
    return [line.split("#")[1].split(" ") for line in lines]


def test_checkpoint_loads_strictly_with_weights_only(files):
    evaluator = load_t2m_evaluator(files / "finest.tar", files / "glove", files / "meta", device="cpu")
    state = torch.load(files / "finest.tar", weights_only=True)
    for key, shapes in GUO_SHAPES.items():
        loaded = getattr(evaluator, key).state_dict()
        assert {n: tuple(t.shape) for n, t in loaded.items()} == shapes
        torch.testing.assert_close(loaded["output_net.3.weight" if key != "movement_encoder" else "out_net.weight"],
                                   state[key]["output_net.3.weight" if key != "movement_encoder" else "out_net.weight"])
    assert evaluator.encode_motion(clips()[:1]).shape == (1, 512)
    assert evaluator.encode_text(hml_tokens()[:1]).shape == (1, 512)


def test_motion_conventions(evaluator):
    c = clips()
    emb = evaluator.encode_motion(c)
    assert emb.shape == (3, 16)
    # foot contacts are dropped: changing them changes nothing
    no_contacts = [x.copy() for x in c]
    for x in no_contacts:
        x[:, -4:] = 1.0 - x[:, -4:]
    np.testing.assert_allclose(evaluator.encode_motion(no_contacts), emb, atol=1e-5)
    # at most 196 frames (000612 has 199) and a multiple of 4 (000000 has 116 = 29 * 4; 115 -> 112)
    np.testing.assert_allclose(evaluator.encode_motion([c[1][:196]])[0], emb[1], atol=1e-5)
    np.testing.assert_allclose(evaluator.encode_motion([c[0][:115]])[0],
                               evaluator.encode_motion([c[0][:112]])[0], atol=1e-5)
    # batch company does not matter (everything is padded to 196 frames, as Guo's loader does)
    np.testing.assert_allclose(evaluator.encode_motion([c[2]])[0], emb[2], atol=1e-5)
    # the meta statistics are used: root std scaled by feat_bias makes the root matter 5x more
    assert not np.allclose(evaluator.encode_motion([c[0] + np.r_[np.zeros(3), 0.05, np.zeros(259)]])[0], emb[0])


def test_guo_random_crop():
    rng = np.random.default_rng(0)
    lengths = [guo_crop_length(199, rng) for _ in range(300)]
    assert set(lengths) == {196, 192}
    assert 0.25 < lengths.count(192) / 300 < 0.42  # the "double" coin: 1/3
    assert guo_crop_length(5, rng) == 4


def test_text_conventions(evaluator):
    toks = hml_tokens()
    emb = evaluator.encode_text(toks)
    assert emb.shape == (4, 16)
    # sos/eos wrapping, at most 20 words: a 25-word caption equals its first 20 words
    long = toks[0] * 3
    np.testing.assert_allclose(evaluator.encode_text([long])[0], evaluator.encode_text([long[:20]])[0], atol=1e-5)
    # VIP words take their category whatever the tagger said; other words keep their POS
    v = evaluator.vectorizer
    assert np.argmax(v["walk/NOUN"][1]) == np.argmax(v["walk/VERB"][1]) == POS_ENUMERATOR["Act_VIP"]
    assert np.argmax(v["man/VERB"][1]) == POS_ENUMERATOR["VERB"]
    # out-of-vocabulary words are unk/OTHER
    word, pos = v["zebra/NOUN"]
    np.testing.assert_array_equal(word, v["unk/OTHER"][0])
    assert np.argmax(pos) == POS_ENUMERATOR["OTHER"]
    # order and company do not matter
    np.testing.assert_allclose(evaluator.encode_text([toks[3]])[0], emb[3], atol=1e-5)


class UpperTagger:
    """A stand-in PosTagger that tags every word NOUN with an upper-cased lemma."""

    name = "upper"

    def analyse(self, sentence):
        return [(w, "NOUN", w.upper()) for w in sentence.split()]


def test_plain_captions_are_tagged_as_humanml3d(evaluator):
    # the built-in rule tagger reproduces HumanML3D's own tokens for 000000's first caption
    evaluator.tagger = RuleTagger()
    try:
        plain = evaluator.encode_text(["A man kicks something or someone with his left leg."])
        np.testing.assert_allclose(plain, evaluator.encode_text(hml_tokens()[:1]), atol=1e-6)
        evaluator.tagger = UpperTagger()  # any PosTagger; nouns take their lemma, lower-cased
        assert evaluator.tokens("walk left") == ["walk/NOUN", "left/NOUN"]
    finally:
        evaluator.tagger = None


def test_t2m_std_scales_root_and_contacts():
    std = np.load(DATA / "humanml3d" / "Std.npy")
    s = t2m_std(std)
    np.testing.assert_allclose(s[:4], std[:4] / 5)
    np.testing.assert_allclose(s[259:], std[259:] / 5)
    np.testing.assert_array_equal(s[4:259], std[4:259])


def test_loader_errors(files, tmp_path):
    with pytest.raises(CheckpointError, match="missing; expected Guo's"):
        load_t2m_evaluator(tmp_path / "nope.tar", files / "glove", files / "meta")
    with pytest.raises(CheckpointError, match="mean.npy: missing"):
        load_t2m_evaluator(files / "finest.tar", files / "glove", tmp_path)
    with pytest.raises(CheckpointError, match="our_vab_data.npy: missing"):
        load_t2m_evaluator(files / "finest.tar", tmp_path, files / "meta")
    state = guo_state()
    del state["motion_encoder"]
    torch.save(state, tmp_path / "partial.tar")
    with pytest.raises(CheckpointError, match="no 'motion_encoder' entry"):
        load_t2m_evaluator(tmp_path / "partial.tar", None, files / "meta")
    # a KIT evaluator (251-dim features: movement input 247) against HumanML3D statistics
    kit = {k: dict(v) for k, v in GUO_SHAPES.items()}
    kit["movement_encoder"]["main.0.weight"] = (512, 247, 4)
    torch.save(guo_state(shapes=kit), tmp_path / "kit.tar")
    with pytest.raises(CheckpointError, match="movement_encoder does not fit"):
        load_t2m_evaluator(tmp_path / "kit.tar", None, files / "meta")
    # a checkpoint that needs arbitrary code to unpickle is refused, not executed
    torch.save({"text_encoder": Exploit(tmp_path / "pwned")}, tmp_path / "evil.tar")
    with pytest.raises(CheckpointError, match="weights_only=True"):
        load_t2m_evaluator(tmp_path / "evil.tar", None, files / "meta")
    assert not (tmp_path / "pwned").exists()


def test_motion_only_evaluator_and_feature_errors(files):
    mean, std = (np.load(files / "meta" / f"{n}.npy") for n in ("mean", "std"))
    ev = T2MEvaluator(mean, std, dims=GuoDims(8, 8, 8, 8), embed_dim=8)
    assert ev.encode_motion(clips()[:1]).shape == (1, 8)
    with pytest.raises(MotionbaseError, match="without its GloVe vocabulary"):
        ev.encode_text([["a/DET"]])
    with pytest.raises(CheckpointError, match="251-dim features"):
        ev.encode_motion([clips()[0][:, :251]])


# -- the restricted unpickler -------------------------------------------------------------------------------
class Exploit:
    """Unpickling this runs ``touch path``: what a malicious checkpoint or vocabulary file could do."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def test_safe_pickle_admits_plain_data_and_arrays(tmp_path):
    data = {"words": ["a", "b"], "idx": {"a": 0, "b": np.int64(1)}, "vec": np.arange(6.0).reshape(2, 3),
            "set": {1, 2}, "t": (1.5, None, True)}
    for protocol in (2, 4, 5):
        out = loads_plain_pickle(pickle.dumps(data, protocol=protocol))
        assert out["words"] == ["a", "b"] and out["idx"] == {"a": 0, "b": 1} and out["set"] == {1, 2}
        np.testing.assert_array_equal(out["vec"], data["vec"])
    (tmp_path / "w.pkl").write_bytes(pickle.dumps(["x"]))
    assert load_plain_pickle(tmp_path / "w.pkl") == ["x"]


def test_safe_pickle_refuses_code(tmp_path):
    target = tmp_path / "pwned"
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(Exploit(target)))
    with pytest.raises(FormatError, match=r"evil.pkl: pickle references (posix|os|nt)\.system"):
        load_plain_pickle(tmp_path / "evil.pkl")
    assert not target.exists()
    with pytest.raises(FormatError, match="not a readable pickle"):
        loads_plain_pickle(pickle.dumps([1, 2, 3])[:-3], "cut.pkl")
    with pytest.raises(FormatError, match="cannot read pickle"):
        load_plain_pickle(tmp_path / "missing.pkl")


def test_word_vectorizer_file_errors(files, tmp_path):
    for name in ("our_vab_data.npy", "our_vab_words.pkl", "our_vab_idx.pkl"):
        (tmp_path / name).write_bytes((files / "glove" / name).read_bytes())
    assert len(WordVectorizer.from_dir(tmp_path)) == len(WORDS)
    with open(tmp_path / "our_vab_idx.pkl", "wb") as f:
        pickle.dump({w: 999 for w in WORDS}, f)
    with pytest.raises(FormatError, match="row 999"):
        WordVectorizer.from_dir(tmp_path)
    with open(tmp_path / "our_vab_words.pkl", "wb") as f:
        pickle.dump({"not": "a list"}, f)
    with pytest.raises(FormatError, match="expected a list of words"):
        WordVectorizer.from_dir(tmp_path)
