"""Bad-input corpus, LMM replies: a local OpenAI-compatible server on 127.0.0.1 answers every request the same
hostile way. Expected: :class:`CaptionError`, one line naming the clip and the endpoint, within a few seconds
(retries with backoff, but never waiting on a server's say-so beyond the cap); a good reply still works."""

import json
import time
from http.server import BaseHTTPRequestHandler

import numpy as np
import pytest

from motionbase.clip import Clip, ClipMeta
from motionbase.pipeline.caption import CaptionError
from motionbase.pipeline.caption.lmm import LMMCaptioner, LMMConfig

from .conftest import load_hml
from .http_support import QuietServer

GOOD = {"whole_body": "A person walks.", "upper_body": "Arms swing.", "lower_body": "Legs step."}


def _completion(content) -> bytes:
    return json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).encode()


# name -> (status, headers, body, seconds to wait before answering; None: close without answering)
CASES = {
    "truncated-json-body": (200, {}, b'{"choices": [{"message": {"content": "{\\"whole', 0),
    "not-a-completion": (200, {}, b'{"error": "nope"}', 0),
    "html-page": (200, {"Content-Type": "text/html"}, b"<html><body>502 Bad Gateway</body></html>", 0),
    "non-utf8-body": (200, {}, b"\xff\xfe\x00garbage\x80", 0),
    "empty-body": (200, {}, b"", 0),
    "content-is-a-number": (200, {}, _completion(123), 0),
    "content-empty": (200, {}, _completion(""), 0),
    "choices-empty": (200, {}, b'{"choices": []}', 0),
    "prose-reply": (200, {}, _completion("Sorry, I cannot describe people."), 0),
    "wrong-schema": (200, {}, _completion(json.dumps({"foo": "bar", "baz": [1, 2]})), 0),
    "whole-body-only": (200, {}, _completion(json.dumps({"whole_body": "A person walks."})), 0),
    "json-array": (200, {}, _completion("[1, 2, 3]"), 0),
    "nested-10000-deep": (200, {}, _completion("[" * 10000 + "]" * 10000), 0),
    "five-megabyte-reply": (200, {}, _completion("walk " * 1_000_000), 0),
    "429-forever": (429, {"Retry-After": "0"}, b'{"error": {"message": "rate limit"}}', 0),
    "429-retry-after-a-day": (429, {"Retry-After": "86400"}, b"{}", 0),
    "500-forever": (500, {}, b"internal\nerror", 0),
    "503-html": (503, {"Content-Type": "text/html"}, b"<h1>down</h1>", 0),
    "401-unauthorised": (401, {}, b'{"error": "bad key"}', 0),
    "404": (404, {}, b"not found", 0),
    "never-replies": (200, {}, _completion(json.dumps(GOOD)), 3.0),
    "closes-without-reply": (None, {}, b"", 0),
}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, headers, body, wait = self.server.behaviour
        self.server.requests += 1
        if status is None:
            self.close_connection = True
            self.connection.close()
            return
        time.sleep(wait)
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **headers}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = QuietServer(_Handler)
    srv.requests = 0
    yield srv
    srv.close()


def _caption(server, behaviour):
    server.behaviour = behaviour
    sleeps = []
    cap = LMMCaptioner(LMMConfig(base_url=server.base_url, model="m", api_key_env="", timeout_s=0.5,
                                 max_retries=2, backoff_s=0.01, backoff_max_s=5.0), sleep=sleeps.append)
    clip = Clip(load_hml("000000", "new_joints"), meta=ClipMeta(id="clip-9"))
    frames = list(np.full((3, 96, 96, 3), 90, np.uint8))
    return cap, sleeps, lambda: cap.caption(clip, frames)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", list(CASES))
def test_lmm_reply_case(case, server):
    cap, sleeps, run = _caption(server, CASES[case])
    start = time.monotonic()
    with pytest.raises(CaptionError) as info:
        run()
    elapsed = time.monotonic() - start
    message = str(info.value)
    assert "\n" not in message and "clip-9" in message and server.base_url in message, message
    assert len(message) < 600, f"the line quotes too much of the reply: {len(message)} characters"
    assert elapsed < 10, f"took {elapsed:.1f} s"
    assert sum(sleeps) <= 3 * 5.0, f"backoff waited {sum(sleeps)} s in total (cap is 5 s a retry)"
    assert server.requests <= 3  # 1 + max_retries, never a retry storm


def test_good_reply_still_works(server):
    _, _, run = _caption(server, (200, {}, _completion(json.dumps(GOOD)), 0))
    assert run().whole == [GOOD["whole_body"]]
