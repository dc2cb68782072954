"""The LMM captioner against a local OpenAI-compatible server on 127.0.0.1 (a thread in this process).

The server speaks ``POST /v1/chat/completions`` and answers from a per-test script: good replies,
malformed ones, 429 and 500. Nothing here talks to any non-loopback address.
"""

import base64
import io
import json
import socket
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

from motionbase.clip import Captions, Clip, ClipMeta
from motionbase.errors import MotionbaseError, ShapeError
from motionbase.pipeline.caption import Captioner, CaptionError, get_captioner
from motionbase.pipeline.caption.cache import RateLimiter
from motionbase.pipeline.caption.lmm import LMMCaptioner, LMMConfig
from motionbase.pipeline.caption.prompt import JSON_REPLY, PAPER_EXAMPLE, PAPER_PROMPT, build_prompt
from motionbase.pipeline.caption.reply import ReplyError, parse_reply

from .conftest import load_hml
from .http_support import QuietServer

GOOD = {"whole_body": "A person raises the left hand and waves.",
        "upper_body": "The left arm rises above the head and the hand waves side to side.",
        "lower_body": "Both feet stay planted; the weight is evenly balanced."}
# The example LMM output printed in the MotionBase paper (appendix A.2, Fig. 8), abridged.
PAPER_REPLY = """The person is standing within the designated area, engaging in a conversation seemingly directed toward someone positioned off-camera to the left.

****Upper Body:****

*****Arms:**** Initially held loosely at the sides, the arms transition to various positions throughout the interaction.

*****Torso:**** The torso largely remains stationary, facing forward.

****Lower Body:****

*****Feet:**** Feet remain planted on the ground, primarily shoulder-width apart.

*****Overall Balance:**** The individual appears balanced and at ease throughout the interaction."""


def completion(content: str) -> tuple[int, dict, bytes]:
    body = {"id": "x", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}
    return 200, {}, json.dumps(body).encode()


OK = completion(json.dumps(GOOD))
MALFORMED = completion("Sorry, I can only describe the motion in general terms.")
NOT_A_COMPLETION = (200, {}, b'{"error": "nope"}')
TOO_MANY = (429, {"Retry-After": "0"}, b'{"error": {"message": "rate limit"}}')
BROKEN = (500, {}, b"internal\nerror")


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        srv = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        srv.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status, headers, payload = srv.script.pop(0) if srv.script else srv.default
        if status == "slow":  # answer after a delay (seconds in ``headers``)
            time.sleep(headers)
            status, headers = 200, {}
        if self.path != "/v1/chat/completions":
            status, headers, payload = 404, {}, b"not found"
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **headers}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = QuietServer(_Handler)
    srv.script, srv.seen, srv.default = [], [], OK
    yield srv
    srv.close()


def make(server, **options) -> LMMCaptioner:
    assert urlsplit(server.base_url).hostname == "127.0.0.1"
    sleeps = []
    cap = LMMCaptioner(LMMConfig(base_url=server.base_url, **{"model": "test-vlm", **options}), sleep=sleeps.append)
    cap.sleeps = sleeps
    return cap


def video(n=5, h=120, w=160):
    """n frames of a grey picture with a red person-sized box at [40, 20, 90, 110] (x0, y0, x1, y1)."""
    frames = np.full((n, h, w, 3), 90, np.uint8)
    frames[:, 20:110, 40:90] = (220, 30, 30)
    return list(frames), [[40, 20, 90, 110]] * n


def clip(boxes=None, cid="clip-7") -> Clip:
    return Clip(load_hml("000000", "new_joints"), meta=ClipMeta(id=cid, bbox_track=boxes))


def decode(data_url: str) -> np.ndarray:
    head, b64 = data_url.split(",", 1)
    assert head == "data:image/jpeg;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB"))


def test_prompt_quotes_the_paper():
    prompt = build_prompt(8, 5.8)
    assert prompt.startswith("Begin by providing a general overview of the person's current action (e.g., walking, "
                             "sitting, interacting) within the BBOX area.")
    assert "For the lower body, detail the position and movement of the legs, feet, and overall balance." in prompt
    assert PAPER_EXAMPLE in prompt and "- **Lower body:** Both feet are planted firmly" in prompt
    assert "8 frame(s)" in prompt and "5.8 seconds" in prompt and prompt.endswith(JSON_REPLY)
    assert JSON_REPLY not in build_prompt(1, 1.0, json_reply=False)


def test_good_reply_and_request_format(server, monkeypatch):
    monkeypatch.setenv("MB_TEST_KEY", "sk-test-123")
    cap = make(server, api_key_env="MB_TEST_KEY", max_frames=3, image_size=64)
    assert isinstance(cap, Captioner)
    frames, boxes = video(n=5)
    got = cap.caption(clip(boxes), frames)
    assert got == Captions(whole=[GOOD["whole_body"]], parts={"upper_body": GOOD["upper_body"],
                                                              "lower_body": GOOD["lower_body"]})
    (req,) = server.seen
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test-123"
    body = req["body"]
    assert body["model"] == "test-vlm" and body["response_format"] == {"type": "json_object"}
    text, *images = body["messages"][0]["content"]
    assert text["type"] == "text" and text["text"].startswith(PAPER_PROMPT) and "3 frame(s)" in text["text"]
    assert [im["type"] for im in images] == ["image_url"] * 3  # frames 0, 2, 4 of 5
    # each image is the bbox crop (50 x 90 px, plus 10 % a side = 60 x 108), shrunk to <= 64 px
    img = decode(images[0]["image_url"]["url"])
    assert img.shape == (64, 36, 3)
    assert np.abs(img[20:44, 8:28].astype(int) - (220, 30, 30)).max() < 40  # the red person fills it
    assert cap.stats == {"requests": 1, "retries": 0, "cache_hits": 0}


def test_retries_on_429_500_and_malformed_then_succeeds(server):
    server.script = [TOO_MANY, BROKEN, MALFORMED, NOT_A_COMPLETION, OK]
    cap = make(server, max_retries=4, backoff_s=0.5)
    frames, boxes = video()
    assert cap.caption(clip(boxes), frames).whole == [GOOD["whole_body"]]
    assert len(server.seen) == 5 and cap.stats["retries"] == 4
    assert cap.sleeps == [0.0, 1.0, 2.0, 4.0]  # Retry-After: 0 honoured, then 0.5 s doubling


def test_gives_up_with_one_line_error(server):
    server.default = BROKEN
    cap = make(server, max_retries=2, backoff_s=0.01)
    frames, boxes = video()
    with pytest.raises(CaptionError) as err:
        cap.caption(clip(boxes, cid="clip-42"), frames)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("clip-42: lmm http://127.0.0.1:")
    assert "HTTP 500: internal error" in msg and msg.endswith("(after 3 attempts)")
    assert len(server.seen) == 3 and isinstance(err.value, MotionbaseError)


def test_malformed_replies_fail_after_retries(server):
    server.default = MALFORMED
    cap = make(server, max_retries=1, backoff_s=0.0)
    frames, boxes = video()
    with pytest.raises(CaptionError, match=r"malformed reply: reply is neither JSON .* \(after 2 attempts\)$"):
        cap.caption(clip(boxes), frames)


def test_client_errors_are_not_retried(server):
    server.default = (401, {}, b'{"error": "bad key"}')
    cap = make(server, max_retries=3)
    frames, boxes = video()
    with pytest.raises(CaptionError, match=r"HTTP 401 .*bad key.*not retried"):
        cap.caption(clip(boxes), frames)
    assert len(server.seen) == 1


def test_server_without_json_mode(server):
    server.script = [(400, {}, b'{"error": "response_format is not supported"}')]
    cap = make(server)
    frames, boxes = video()
    assert cap.caption(clip(boxes), frames).parts["lower_body"] == GOOD["lower_body"]
    assert "response_format" in server.seen[0]["body"] and "response_format" not in server.seen[1]["body"]


def test_paper_layout_reply_is_parsed(server):
    server.default = completion(PAPER_REPLY)
    frames, boxes = video()
    got = make(server).caption(clip(boxes), frames)
    assert got.whole[0].startswith("The person is standing within the designated area")
    assert got.parts["upper_body"].startswith("Arms: Initially held loosely") and "Torso: The torso" in got.parts["upper_body"]
    assert got.parts["lower_body"].startswith("Feet: Feet remain planted") and "*" not in got.parts["lower_body"]


def test_unreachable_endpoint():
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = []
    cap = LMMCaptioner(LMMConfig(base_url=f"http://127.0.0.1:{port}/v1", max_retries=2, timeout_s=2), sleep=sleeps.append)
    frames, boxes = video()
    with pytest.raises(CaptionError, match=rf"^clip-7: lmm http://127.0.0.1:{port}/v1/chat/completions: "
                                           r"unreachable \(.*\) \(after 3 attempts\)$"):
        cap.caption(clip(boxes), frames)
    assert sleeps == [1.0, 2.0]


def test_timeout_is_retried(server):
    server.script = [("slow", 1.0, OK[2])]
    cap = make(server, timeout_s=0.2, backoff_s=0.0)
    frames, boxes = video()
    assert cap.caption(clip(boxes), frames).whole == [GOOD["whole_body"]]
    assert cap.stats["retries"] == 1 and len(server.seen) == 2
    server.script = [("slow", 1.0, OK[2])]
    with pytest.raises(CaptionError, match=r"no reply within 0.2 s \(after 1 attempt\)$"):
        make(server, timeout_s=0.2, max_retries=0).caption(clip(boxes), frames)


def test_cache_hits_across_runs(server, tmp_path):
    frames, boxes = video()
    first = make(server, cache_dir=str(tmp_path))
    a = first.caption(clip(boxes), frames)
    second = make(server, cache_dir=str(tmp_path))  # a new run, same cache
    assert second.caption(clip(boxes), frames) == a
    assert len(server.seen) == 1 and second.stats == {"requests": 0, "retries": 0, "cache_hits": 1}
    frames[2][:] = 0  # other pixels: other images, a miss
    second.caption(clip(boxes), frames)
    assert len(server.seen) == 2
    make(server, cache_dir=str(tmp_path), model="other-vlm").caption(clip(boxes), frames)  # other model: a miss
    assert len(server.seen) == 3
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 3 and json.loads(files[0].read_text())["reply"]


def test_malformed_replies_are_not_cached(server, tmp_path):
    server.default = MALFORMED
    frames, boxes = video()
    with pytest.raises(CaptionError):
        make(server, cache_dir=str(tmp_path), max_retries=0).caption(clip(boxes), frames)
    assert not list(tmp_path.rglob("*.json"))


def test_rate_limiter_spaces_requests():
    now, slept = [100.0], []
    lim = RateLimiter(120, clock=lambda: now[0], sleep=slept.append)  # one every 0.5 s
    assert [lim.wait() for _ in range(3)] == [0.0, 0.5, 1.0]
    now[0] += 10.0
    assert lim.wait() == 0.0 and slept == [0.5, 1.0]
    assert RateLimiter(0).wait() == 0.0


def test_rate_limit_applies_to_requests(server):
    server.script = [BROKEN]
    sleeps = []
    cap = LMMCaptioner(LMMConfig(base_url=server.base_url, requests_per_minute=600, backoff_s=0.0),
                       sleep=sleeps.append, clock=lambda: 50.0)  # a stopped clock: every wait is a full slot
    frames, boxes = video()
    cap.caption(clip(boxes), frames)
    assert len(server.seen) == 2 and sleeps == [0.0, pytest.approx(0.1)]  # backoff 0, then the limiter


def test_bad_frames_and_boxes(server):
    frames, boxes = video(n=4)
    cap = make(server)
    with pytest.raises(ShapeError, match="clip-7: 4 frames but 3 bounding boxes"):
        cap.caption(clip(boxes[:3]), frames)
    with pytest.raises(ShapeError, match=r"clip-7, frame 0: bounding box \[50, 20, 40, 110\] is empty"):
        cap.caption(clip([[50, 20, 40, 110]] * 4), frames)
    with pytest.raises(ShapeError, match=r"frame 0: image of shape \(5,\)"):
        cap.caption(clip(), [np.zeros(5)])
    with pytest.raises(CaptionError, match="needs video frames"):
        make(server, render_missing_frames=False).caption(clip())
    assert not server.seen


def test_get_captioner_and_config_checks(server):
    cap = get_captioner("lmm", base_url=server.base_url, max_frames=2)
    assert isinstance(cap, LMMCaptioner) and cap.config.max_frames == 2
    with pytest.raises(MotionbaseError, match="must start with http"):
        get_captioner("lmm", base_url="127.0.0.1:8000")
    with pytest.raises(MotionbaseError, match="unknown LMMConfig key.*temprature"):
        get_captioner("lmm", temprature=0.1)


@pytest.mark.parametrize("reply, upper", [
    ('```json\n{"whole_body": "W.", "upper_body": "U.", "lower_body": "L."}\n```', "U."),
    ('Here you go: {"Whole body": "W.", "Upper-Body": {"arms": "up", "hands": "open"}, "lower": ["a.", "b."]}',
     "Arms: up Hands: open"),
    ('{"captions": {"overview": "W.", "upper_body": "U.", "lower_body": "L."}}', "U."),
    ("General overview: W.\n- **Upper body:** U.\n- **Lower body:** L.", "U."),
])
def test_tolerant_parsing(reply, upper):
    got = parse_reply(reply)
    assert got.whole == ["W."] and got.parts["upper_body"] == upper and got.parts["lower_body"]


@pytest.mark.parametrize("reply", ["", "  ", "I cannot see a person.", '{"whole_body": "W."}',
                                   '{"whole_body": "W.", "upper_body": "", "lower_body": "L."}',
                                   "W.\n**Upper body:** U.", "**Upper body:**\n**Lower body:** L."])
def test_malformed_replies(reply):
    with pytest.raises(ReplyError):
        parse_reply(reply)


def test_no_frames_draws_the_skeleton(server):
    cap = make(server, max_frames=2, image_size=96)
    cap.caption(Clip(load_hml("000000", "new_joints")[:30], meta=ClipMeta(id="mocap")))
    text, *images = server.seen[0]["body"]["messages"][0]["content"]
    assert len(images) == 2 and "2 frame(s)" in text["text"]
    img = decode(images[0]["image_url"]["url"])
    assert max(img.shape[:2]) == 96 and img.std() > 5  # a drawing, not a blank
