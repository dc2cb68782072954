"""Text -> motion for people: ``motionbase generate`` / ``caption-motion``, the MotionGenerator facade, part
edits, the familiarity check, the shipped-model lookup and the app's handlers and server checks.

Models are tiny and untrained (tests/generation_support.py): what is checked is the plumbing and the
guarantees that do not need a trained model (lengths, files, code swaps, errors)."""

import json
import socket
import sys

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from motionbase.cli import app as cli_app
from motionbase.defaults.familiarity import CAPTIONS_FILE, CaptionIndex, save_training_captions, stem
from motionbase.defaults.paths import MODELS_ENV, default_checkpoints
from motionbase.errors import CheckpointError, MotionbaseError
from motionbase.features.humanml3d import features_to_joints
from motionbase.features.plant import plant_feet
from motionbase.formats.bvh import read_bvh
from motionbase.generation import MotionGenerator, slug, tokens_text
from motionbase.skeleton import SMPL22

from .generation_support import HML, tiny_models, tiny_tokenizer
from .lm_support import one_thread  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")
PROMPT = "a person waves the left hand"
OFF_DOMAIN = "a cat plays the piano underwater"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory.mktemp("gen"))


@pytest.fixture(scope="module")
def gen(models):
    return MotionGenerator.load(*models, device="cpu")


def cli(*args, ok=True):
    result = CliRunner().invoke(cli_app, [str(a) for a in args])  # .output: stdout and stderr, .stdout: stdout
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def cli_error(*args) -> str:
    """The one-line MotionbaseError message a command fails with (what ``motionbase`` prints after 'error:')."""
    result = cli(*args, ok=False)
    assert isinstance(result.exception, MotionbaseError), result.output + repr(result.exception)
    message = str(result.exception)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- motionbase generate

def test_generate_writes_joints_video_bvh_of_the_asked_length(models, gen, tmp_path):
    lm, tok = models
    out = cli("generate", PROMPT, "--seconds", 2, "--lm", lm, "--tokenizer", tok, "--out", tmp_path,
              "--seed", 3, "--size", 64).output
    stem_ = slug(PROMPT)
    assert stem_ == "a-person-waves-the-left-hand" and "2.00 s" in out
    codes = np.load(tmp_path / f"{stem_}.codes.npy")
    joints = np.load(tmp_path / f"{stem_}.npy")
    assert codes.shape == (10, 6)  # 2 s x 5 steps/s, one code per body part
    assert joints.shape == (41, 22, 3)  # 10 steps x 4 frames + the final frame: 2.00 s at 20 fps
    # the joints are the tokenizer's decoding of the saved codes, feet planted (no other path in between)
    feats = gen.tokenizer.decode(torch.from_numpy(codes)).numpy()
    np.testing.assert_allclose(joints, features_to_joints(plant_feet(feats).astype(np.float64), final_frame=True),
                               atol=1e-4)
    cli("generate", PROMPT, "--seconds", 2, "--lm", lm, "--tokenizer", tok, "--out", tmp_path / "raw",
        "--seed", 3, "--size", 64, "--no-plant-feet")
    np.testing.assert_allclose(np.load(tmp_path / "raw" / f"{stem_}.npy"),
                               features_to_joints(feats.astype(np.float64), final_frame=True), atol=1e-4)
    assert iio.imread(tmp_path / f"{stem_}.mp4", index=None, plugin="FFMPEG").shape[:3] == (41, 64, 64)
    assert iio.imread(tmp_path / f"{stem_}.gif", index=None).shape[:3] == (41, 64, 64)
    bvh = read_bvh(tmp_path / f"{stem_}.bvh")
    assert sorted(bvh.names) == sorted(SMPL22.names) and bvh.frame_time == pytest.approx(0.05)
    bvh_joints = bvh.joint_positions()[:, [bvh.names.index(n) for n in SMPL22.names]] / 100  # centimetres
    np.testing.assert_allclose(bvh_joints[:, 0], joints[:, 0], atol=1e-5)  # root: position channels
    assert np.abs(bvh_joints - joints).max() < 0.1  # the rest: best-fit rotations of median-length bones
    meta = json.loads((tmp_path / f"{stem_}.json").read_text())
    assert meta["closed"] and meta["code_steps"] == 10 and meta["familiarity"]["familiar"]


def test_lengths_follow_seconds_and_free_length_is_the_models(gen):
    short, longer = gen.text_to_motion([PROMPT, "a person walks"], 1.0, seed=0)
    assert short.codes.shape == longer.codes.shape == (5, 6) and len(short.joints) == 21 and short.seconds == 1.0
    for s, steps in ((0.4, 2), (2.4, 12)):
        [m] = gen.text_to_motion([PROMPT], s, seed=1)
        assert len(m.codes) == steps and m.features.shape == (steps * 4, 263) and m.closed
    [free] = gen.text_to_motion([PROMPT], seed=0)  # the model decides: its own </mot>, or cut at the context
    assert 1 <= len(free.codes) <= gen.max_seconds(PROMPT) * 5 + 1
    assert len(free.joints) == 4 * len(free.codes) + 1
    # the same seed gives the same motion; greedy needs none
    [again] = gen.text_to_motion([PROMPT], seed=0)
    assert np.array_equal(again.codes, free.codes)
    g1, g2 = (gen.text_to_motion([PROMPT], 1.0, temperature=0)[0] for _ in range(2))
    assert np.array_equal(g1.codes, g2.codes)


def test_tokens_text_names_the_parts(gen):
    text = tokens_text(np.array([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]), gen.part_names)
    assert text.splitlines() == ["step   0  root=1 torso_head=2 left_arm=3 right_arm=4 left_leg=5 right_leg=6",
                                 "step   1  root=7 torso_head=8 left_arm=9 right_arm=10 left_leg=11 right_leg=12"]


def test_decoded_motions_have_their_feet_planted_unless_asked_not_to(models, gen, monkeypatch):
    import motionbase.features.plant as plant

    raw = MotionGenerator.load(*models, device="cpu", plant_feet=False)
    assert gen.plant_feet and not raw.plant_feet
    codes = gen.text_to_motion([PROMPT], 2.0, seed=0)[0].codes
    np.testing.assert_array_equal(gen.from_codes(codes).features, plant.plant_feet(raw.from_codes(codes).features))
    monkeypatch.setattr(plant, "plant_feet", lambda f: f + np.float32(1))   # what the generator calls, seen
    on, off = gen.from_codes(codes), raw.from_codes(codes)
    np.testing.assert_allclose(on.features, off.features + 1)
    np.testing.assert_allclose(on.joints, features_to_joints(on.features.astype(np.float64), final_frame=True),
                               atol=1e-5)


# ---------------------------------------------------------------- part edits

def test_candidates_keep_the_one_the_model_captions_closest(gen):
    """--candidates N: N draws at seeds seed .. seed + N - 1; the kept one is the draw whose codes make the prompt most
    likely as the LM's own caption; N = 1 is the plain draw."""
    from motionbase.lm.rerank import caption_logprob

    prompt = "a person waves the right hand"  # canonical side: the LM reads it as typed, no mirroring
    drawn = [gen.text_to_motion([prompt], 1.0, seed=5 + n)[0] for n in range(3)]
    assert len({d.codes.tobytes() for d in drawn}) == 3  # the draws differ: the choice means something
    scores = caption_logprob(gen.lm, prompt, [d.codes for d in drawn])
    [best] = gen.text_to_motion([prompt], 1.0, seed=5, candidates=3)
    np.testing.assert_array_equal(best.codes, drawn[int(np.argmax(scores))].codes)
    np.testing.assert_array_equal(gen.text_to_motion([prompt], 1.0, seed=5, candidates=1)[0].codes, drawn[0].codes)
    for bad in (0, -1, 1.5):
        with pytest.raises(MotionbaseError, match="candidates"):
            gen.text_to_motion([prompt], 1.0, seed=5, candidates=bad)


def test_sampling_record_replaces_the_separate_options(gen):
    """text_to_motion(sampling=Sampling(...)) draws what the same options given one by one draw (the CLI passes the
    record), and the record wins over the separate options."""
    from motionbase.generation import Sampling

    options = {"seed": 4, "temperature": 0.8, "top_k": 50, "guidance": 2.0, "guidance_warmup": 0.2}
    [one] = gen.text_to_motion([PROMPT], 1.0, **options)
    [rec] = gen.text_to_motion([PROMPT], 1.0, seed=99, temperature=0.0, sampling=Sampling(**options))
    np.testing.assert_array_equal(rec.codes, one.codes)
    [other] = gen.text_to_motion([PROMPT], 1.0, sampling=Sampling(**{**options, "seed": 5}))
    assert other.codes.tobytes() != one.codes.tobytes()  # the record's seed is used, not ignored


def test_caption_logprob_batches_candidates_of_any_length_as_one_by_one(gen):
    from motionbase.lm.rerank import caption_logprob

    short = gen.text_to_motion([PROMPT], 0.8, seed=1)[0].codes
    long = gen.text_to_motion([PROMPT], 2.0, seed=2)[0].codes
    together = caption_logprob(gen.lm, PROMPT, [short, None, long])
    alone = [caption_logprob(gen.lm, PROMPT, [c])[0] for c in (short, long)]
    np.testing.assert_allclose(together[[0, 2]], alone, rtol=1e-5)  # right padding changes nothing
    assert together[1] == -np.inf and np.all(together[[0, 2]] < 0)
    assert caption_logprob(gen.lm, PROMPT, [short])[0] != caption_logprob(gen.lm, "a person runs", [short])[0]


def test_edit_keeps_a_legs_and_takes_b_arms(gen):
    edit = gen.edit_parts("a person walks forward", PROMPT, ["arms"], seconds=2.0, seed=4)
    assert edit.parts == ("left_arm", "right_arm")
    arms = [gen.part_names.index(p) for p in edit.parts]
    rest = [i for i in range(6) if i not in arms]
    mixed = edit.motion.codes
    assert mixed.shape == edit.a.codes.shape == edit.b.codes.shape == (10, 6)
    assert np.array_equal(mixed[:, arms], edit.b.codes[:, arms])
    assert np.array_equal(mixed[:, rest], edit.a.codes[:, rest])  # legs, root and torso stay A's
    assert not np.array_equal(edit.a.codes[:, arms], edit.b.codes[:, arms])  # the swap changed something
    assert edit.motion.joints.shape == (41, 22, 3)
    # without seconds, B follows A's (model-chosen) length
    free = gen.edit_parts("a person walks forward", PROMPT, ["legs", "left_arm"], seed=5)
    assert len(free.b.codes) == len(free.a.codes) and free.parts == ("left_leg", "right_leg", "left_arm")


def test_edit_errors(gen):
    with pytest.raises(MotionbaseError, match="unknown body part 'tail'; this tokenizer has: arms, legs, root"):
        gen.edit_parts("a", "b", ["tail"])
    with pytest.raises(MotionbaseError, match="no body parts"):
        gen.edit_parts("a", "b", [])


# ---------------------------------------------------------------- familiarity

def test_familiarity_index_on_bandai_style_captions():
    idx = CaptionIndex(["A person waves the left hand.", "Someone walks forward.", "An old person slowly runs.",
                        "A person raises both hands."], topics=["walk", "run", "wave a hand", "raise hands"])
    assert stem("waving") == stem("waves") == stem("waved") and stem("running") == stem("runs") == "run"
    assert idx.check("someone is waving with the left hand").score == pytest.approx(1.0)
    near = idx.check("an old man runs")
    assert near.familiar and near.nearest[0] == "An old person slowly runs."
    far = idx.check(OFF_DOMAIN)
    assert not far.familiar and far.score == 0 and far.nearest == []
    assert "it knows: walk, run, wave a hand, raise hands" in far.message()
    # unknown words dilute a match instead of being ignored
    mixed = idx.check("a person waves the left hand while juggling knives")
    assert 0 < mixed.score < 0.7 and idx.check(PROMPT).score == pytest.approx(1.0)


def test_generate_warns_about_an_off_domain_prompt(models, gen, tmp_path):
    lm, tok = models
    out = cli("generate", OFF_DOMAIN, PROMPT, "--seconds", 0.4, "--lm", lm, "--tokenizer", tok,
              "--out", tmp_path, "--size", 32).output
    assert f'warning: "{OFF_DOMAIN}" is far from what this model was trained on (similarity 0.00)' in out
    assert "it knows: " in out and out.count("warning:") == 1  # the in-domain prompt is not flagged
    [m] = gen.text_to_motion([OFF_DOMAIN], 0.4)
    assert not m.familiarity.familiar and m.familiarity.known  # still generated: a warning, not an error


def test_without_training_captions_the_check_is_skipped_with_a_note(models, tmp_path):
    lm, tok = models
    bare = tmp_path / "lm"
    bare.mkdir()
    for f in lm.iterdir():
        if f.name != CAPTIONS_FILE:
            (bare / f.name).symlink_to(f)
    g = MotionGenerator.load(bare, tok, device="cpu")
    assert g.check_prompt(OFF_DOMAIN) is None and CAPTIONS_FILE in g.familiarity_note
    [m] = g.text_to_motion([OFF_DOMAIN], 0.4, seed=0)
    assert m.familiarity is None
    (bare / CAPTIONS_FILE).write_text('{"captions": 3}')
    with pytest.raises(MotionbaseError, match="expected a list of caption strings"):
        MotionGenerator.load(bare, tok, device="cpu")
    save_training_captions(bare, ["a person walks", "a person walks", " "], topics=["walk"])
    assert json.loads((bare / CAPTIONS_FILE).read_text()) == {"captions": ["a person walks"], "topics": ["walk"]}


# ---------------------------------------------------------------- shipped defaults

def test_defaults_are_used_without_lm_or_tokenizer(models, tmp_path, monkeypatch):
    lm, tok = models
    shipped = tmp_path / "models"
    shipped.mkdir()
    (shipped / "lm").symlink_to(lm)
    (shipped / "tokenizer").symlink_to(tok)
    monkeypatch.setenv(MODELS_ENV, str(shipped))
    found = default_checkpoints()
    assert (found.lm, found.tokenizer, found.evaluator) == (shipped / "lm", shipped / "tokenizer", None)
    cli("generate", PROMPT, "--seconds", 0.4, "--out", tmp_path / "out", "--size", 32)
    assert (tmp_path / "out" / f"{slug(PROMPT)}.bvh").is_file()
    # an LFS pointer instead of weights is named as such
    (shipped / "evaluator").mkdir()
    (shipped / "evaluator" / "model.safetensors").write_text("version https://git-lfs.github.com/spec/v1\n")
    with pytest.raises(CheckpointError, match="Git LFS pointer"):
        default_checkpoints()


def test_no_shipped_models_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(MODELS_ENV, str(tmp_path))
    message = cli_error("generate", PROMPT, "--out", tmp_path / "out")
    assert message.startswith("no default model shipped in this install; pass --lm/--tokenizer")


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("args,expected", [
    (["", "--seconds", 2], "the prompt is empty; describe a motion"),
    ([" ".join(["wave"] * 400)], "too long for this model's 160-token context; shorten it"),
    ([PROMPT, "--seconds", 0], "seconds=0: expected a positive, finite length"),
    ([PROMPT, "--seconds", -2], "seconds=-2: expected a positive, finite length"),
    ([PROMPT, "--temperature", -1], "temperature=-1"),
])
def test_generate_bad_input(models, tmp_path, args, expected):
    lm, tok = models
    assert expected in cli_error("generate", *args, "--lm", lm, "--tokenizer", tok, "--out", tmp_path)
    assert not any(tmp_path.iterdir())  # nothing written


def test_generate_bad_checkpoints(models, tmp_path):
    lm, tok = models
    other = tiny_tokenizer(tmp_path / "other", codebook_size=32)
    cases = [
        (["--lm", lm, "--tokenizer", tmp_path / "nope"], "nope"),
        (["--lm", tmp_path / "missing-lm", "--tokenizer", tok], "no such LM checkpoint directory"),
        (["--lm", tok, "--tokenizer", tok], "LM checkpoint is missing motion_lm.json"),  # not an LM
        (["--lm", lm, "--tokenizer", other], "trained with a motion tokenizer of 16 codes x 6 part(s)"),
    ]
    for flags, expected in cases:
        assert expected in cli_error("generate", PROMPT, *flags, "--out", tmp_path / "out")


# ---------------------------------------------------------------- caption-motion

def test_caption_motion(models, gen, tmp_path):
    lm, tok = models
    joints = np.load(HML / "new_joints" / "000000.npy")[:41]  # 2 s
    clip = tmp_path / "clip.npy"
    np.save(clip, joints)
    out = cli("caption-motion", clip, "--lm", lm, "--tokenizer", tok, "--temperature", 1, "--seed", 7).stdout
    assert out.strip() == gen.motion_to_text(joints, seed=7, temperature=1.0).strip()
    # features (T, 263) and the joints they come from are one motion to the captioner
    feats = np.load(HML / "new_joint_vecs" / "000000.npy")[:40]
    assert gen.motion_to_text(feats) == gen.motion_to_text(features_to_joints(feats, final_frame=True))
    cli("caption-motion", clip, "--lm", lm, "--tokenizer", tok, "--part", "upper_body")
    assert "part='hands'" in cli_error("caption-motion", clip, "--lm", lm, "--tokenizer", tok, "--part", "hands")
    whole = HML / "new_joints" / "000000.npy"  # 5.8 s: more than the tiny context holds
    assert "the motion is 5.8 s (29 code steps); this model captions at most" in cli_error(
        "caption-motion", whole, "--lm", lm, "--tokenizer", tok)
    with pytest.raises(MotionbaseError, match=r"expected joints \(T, 22, 3\)"):
        gen.motion_to_text(np.zeros((5, 7)))


# ---------------------------------------------------------------- the app, without a browser

def test_app_handlers_answer_errors_with_a_status_line(gen, tmp_path):
    from motionbase.app import AppHandlers
    from motionbase.viz.render import RenderConfig

    h = AppHandlers(gen, tmp_path, RenderConfig(size_px=32))
    bad = h.generate("", 2, 0, 1.0)
    assert bad.video is None and bad.status.startswith("error: the prompt is empty")
    too_long = h.generate(PROMPT, 60, 0, 1.0)
    assert too_long.status.startswith("error: seconds=60 is beyond this model's context")
    good = h.generate(OFF_DOMAIN, 1.0, 0, 1.0)  # still served after the errors
    assert good.video.is_file() and good.bvh.suffix == ".bvh" and len(good.tokens.splitlines()) == 5
    assert good.status.startswith("1.00 s, 5 code steps") and "warning:" in good.status
    edit = h.edit("a person walks forward", PROMPT, ["arms"], 0.8, 1, 0.0)
    assert edit.video.name == "edit.mp4" and len(edit.tokens.splitlines()) == 4, edit.status
    assert h.edit("a", "b", ["tail"], 1, 0, 1.0).status.startswith("error: unknown body part")


def test_serve_refuses_a_port_in_use_and_says_so_without_gradio(monkeypatch):
    from motionbase.app import check_port, require_gradio

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(MotionbaseError, match=f"port {port} on 127.0.0.1 is already in use; pass another --port"):
            check_port("127.0.0.1", port)
        assert "already in use" in cli_error("serve", "--port", port)  # before any model is loaded
    assert check_port("127.0.0.1", 0) > 0
    monkeypatch.setitem(sys.modules, "gradio", None)  # as if the app extra were not installed
    with pytest.raises(MotionbaseError, match=r"needs gradio, which is not installed.*motionbase\[app\]"):
        require_gradio()
