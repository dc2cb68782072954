"""Captions from a large multimodal model over any OpenAI-compatible chat-completions endpoint
(vLLM, Ollama, llama.cpp server, OpenAI, Gemini's OpenAI endpoint ...), the way MotionBase made its
captions (appendix A.2: bbox-cropped frames + the Fig. 8 prompt, :mod:`.prompt`).

One request a clip: ``POST {base_url}/chat/completions`` with the prompt text and up to
``max_frames`` JPEG crops as ``image_url`` data URLs, ``response_format={"type": "json_object"}``
(dropped for the rest of the run if the server answers 400 to it). HTTP by ``httpx``, retries by
``tenacity`` (the ``lmm`` extra); not the ``openai`` client: it retries only by HTTP status, on its own
backoff schedule, and cannot retry a reply that does not parse. What happens to a request:

- the on-disk cache (key: model, prompt text, image SHA-256s, temperature, max_tokens) is asked first;
- the rate limiter spaces request starts (``requests_per_minute``; :class:`~.cache.RateLimiter`);
- connection errors, timeouts, HTTP 429 and 5xx, and replies that do not parse are retried
  ``max_retries`` times with exponential backoff (``backoff_s`` x 2^k, capped; a 429's
  ``Retry-After`` is honoured up to the cap); other HTTP errors (401, 404, ...) are not retried;
- after that, :class:`~.base.CaptionError` with one line naming the clip, the URL and the last
  failure. A pipeline run writes it to its failures report and goes on.

The API key is read from the environment variable named by ``api_key_env`` and sent as a Bearer
token; it never appears in messages or the cache.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
import numpy as np
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from ...clip import Captions, Clip
from ...config import Config
from ...errors import MotionbaseError
from ...viz.render import RenderConfig, render_frames
from .base import CaptionError, clip_label
from .cache import RateLimiter, ReplyCache, cache_key
from .crops import EncodedImage, frame_images
from .prompt import build_prompt
from .reply import ReplyError, parse_reply


@dataclass(frozen=True)
class LMMConfig(Config):
    """base_url: the endpoint's OpenAI-compatible root (vLLM ``http://127.0.0.1:8000/v1``, Ollama
    ``http://127.0.0.1:11434/v1``, OpenAI ``https://api.openai.com/v1``, Gemini
    ``https://generativelanguage.googleapis.com/v1beta/openai``); model: the model name there;
    api_key_env: environment variable holding the key ("" for none).
    Images: ``max_frames`` evenly spaced frames, crops grown by ``bbox_margin`` x box size per side,
    at most ``image_size`` pixels a side, JPEG ``jpeg_quality``; with no frames and
    ``render_missing_frames``, the skeleton is drawn instead (motionbase.viz).
    Requests: ``timeout_s`` each, ``max_retries`` retries with ``backoff_s`` doubling up to
    ``backoff_max_s``, at most ``requests_per_minute`` (0: no limit); ``cache_dir``: reply cache (None: off).
    """

    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    max_frames: int = 8
    image_size: int = 448
    bbox_margin: float = 0.1
    jpeg_quality: int = 85
    render_missing_frames: bool = True
    temperature: float = 0.2
    max_tokens: int = 700
    json_mode: bool = True
    timeout_s: float = 30.0  # per request; CLI --timeout
    max_retries: int = 3
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0
    requests_per_minute: float = 0.0
    cache_dir: str | None = None

    def check(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise MotionbaseError(f"lmm captioner: base_url {self.base_url!r} must start with http:// or https://")
        if self.max_frames < 1 or self.image_size < 16 or self.max_retries < 0 or self.timeout_s <= 0:
            raise MotionbaseError("lmm captioner: max_frames >= 1, image_size >= 16, max_retries >= 0 and "
                                  "timeout_s > 0 are required")

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"


class _Retry(Exception):
    """A failed attempt worth retrying; ``wait_s``: the server's Retry-After, if it gave one."""

    def __init__(self, what: str, wait_s: float | None = None):
        super().__init__(what)
        self.wait_s = wait_s


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _retry_after(headers) -> float | None:
    try:
        return max(0.0, float(headers.get("Retry-After")))
    except (TypeError, ValueError):
        return None


def _message_text(payload: bytes) -> str:
    """``choices[0].message.content`` of a chat completion (string, or a list of text parts)."""
    try:
        content = json.loads(payload)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise _Retry(f"malformed response (not a chat completion): {_one_line(payload.decode('utf-8', 'replace'), 80)}")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str):
        raise _Retry("malformed response: message content is not text")
    return content


class LMMCaptioner:
    """The LMM captioner. ``stats`` counts requests, retries and cache hits (for reports and tests).
    ``sleep``/``clock`` are injectable so tests need not wait."""

    name = "lmm"

    def __init__(self, config: LMMConfig | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, **overrides):
        self.config = config or LMMConfig(**overrides)
        self._sleep = sleep
        self.limiter = RateLimiter(self.config.requests_per_minute, clock=clock, sleep=sleep)
        self.cache = ReplyCache(self.config.cache_dir) if self.config.cache_dir else None
        self._json_mode = self.config.json_mode
        host = urllib.parse.urlsplit(self.config.url).hostname or ""
        # a local server is asked directly, never through an HTTP(S)_PROXY from the environment
        self._http = httpx.Client(timeout=self.config.timeout_s,
                                  trust_env=host not in ("127.0.0.1", "localhost", "::1"))
        self._lock = threading.Lock()
        self.stats = {"requests": 0, "retries": 0, "cache_hits": 0}

    # ---- images -------------------------------------------------------------------------------
    def images(self, clip: Clip, frames: Sequence[np.ndarray] | None) -> list[EncodedImage]:
        cfg, where = self.config, clip_label(clip)
        boxes = clip.meta.bbox_track
        if frames is None or len(frames) == 0:
            if not cfg.render_missing_frames:
                raise CaptionError(f"{where}: the lmm captioner needs video frames and none were given "
                                   f"(set render_missing_frames=True to draw the skeleton instead)")
            frames, boxes = self._render(clip), None
        return frame_images(frames, boxes, max_frames=cfg.max_frames, size=cfg.image_size,
                            quality=cfg.jpeg_quality, margin=cfg.bbox_margin, where=where)

    def _render(self, clip: Clip) -> list[np.ndarray]:
        """Skeleton drawings of the clip, about ``max_frames`` of them (motionbase.viz)."""
        stride = max(1, -(-clip.num_frames // self.config.max_frames))
        return list(render_frames([clip.joints_m], fps=clip.fps, skeleton=clip.skeleton,
                                  config=RenderConfig(stride=stride, camera="fit")))

    # ---- requests -----------------------------------------------------------------------------
    def request_body(self, prompt: str, images: list[EncodedImage]) -> dict:
        cfg = self.config
        content = [{"type": "text", "text": prompt}] + [
            {"type": "image_url", "image_url": {"url": im.data_url}} for im in images]
        body = {"model": cfg.model, "messages": [{"role": "user", "content": content}],
                "temperature": cfg.temperature, "max_tokens": cfg.max_tokens}
        if self._json_mode:
            body["response_format"] = {"type": "json_object"}
        return body

    def _post(self, body: dict) -> str:
        """One attempt: the reply text, or :class:`_Retry`; non-retryable HTTP errors raise CaptionError."""
        cfg = self.config
        headers = {"Accept": "application/json"}
        key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        try:
            resp = self._http.post(cfg.url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise _Retry(f"no reply within {cfg.timeout_s:g} s") from None
        except httpx.TransportError as exc:  # refused connections, resets, unknown hosts
            raise _Retry(f"unreachable ({_one_line(str(exc) or type(exc).__name__, 100)})") from None
        if resp.status_code >= 400:
            detail = _one_line(resp.text)
            if resp.status_code == 429 or resp.status_code >= 500:
                raise _Retry(f"HTTP {resp.status_code}: {detail}", _retry_after(resp.headers))
            if resp.status_code == 400 and "response_format" in body:
                self._json_mode = False  # a server without JSON mode: ask again without it
                raise _Retry(f"HTTP 400 with response_format (retrying without it): {detail}", 0.0)
            raise CaptionError(f"HTTP {resp.status_code} {resp.reason_phrase}: {detail} (not retried)")
        return _message_text(resp.content)

    def _attempt(self, body: dict) -> tuple[Captions, str]:
        """One rate-limited request; a reply that does not parse is worth another try."""
        if not self._json_mode:
            body = {k: v for k, v in body.items() if k != "response_format"}
        self.limiter.wait()
        with self._lock:
            self.stats["requests"] += 1
        text = self._post(body)
        try:
            return parse_reply(text), text
        except ReplyError as exc:
            raise _Retry(f"malformed reply: {exc}") from None

    def _backoff(self, state: RetryCallState) -> float:
        """``backoff_s`` x 2^k after the k+1-th failure, or the server's Retry-After if longer; capped."""
        cfg, failure = self.config, state.outcome.exception()
        wait = cfg.backoff_s * 2.0 ** (state.attempt_number - 1)
        server_wait = getattr(failure, "wait_s", None)
        if server_wait is not None:
            wait = max(wait, server_wait) if server_wait > 0 else 0.0
        return min(wait, cfg.backoff_max_s)

    def _count_retry(self, state: RetryCallState) -> None:
        with self._lock:
            self.stats["retries"] += 1

    def complete(self, body: dict, where: str = "clip") -> tuple[Captions, str]:
        """Send ``body`` with retries; (parsed captions, reply text) or :class:`CaptionError`."""
        cfg, attempts = self.config, 1 + self.config.max_retries
        retrying = Retrying(stop=stop_after_attempt(attempts), wait=self._backoff,
                            retry=retry_if_exception_type(_Retry), before_sleep=self._count_retry,
                            sleep=self._sleep, reraise=True)
        try:
            return retrying(self._attempt, body)
        except _Retry as last:
            raise CaptionError(f"{where}: lmm {cfg.url}: {last} (after {attempts} attempt{'s' * (attempts > 1)})") \
                from None
        except CaptionError as exc:
            raise CaptionError(f"{where}: lmm {cfg.url}: {exc}") from None

    def caption(self, clip: Clip, frames: Sequence[np.ndarray] | None = None) -> Captions:
        cfg, where = self.config, clip_label(clip)
        images = self.images(clip, frames)
        prompt = build_prompt(len(images), clip.seconds, json_reply=cfg.json_mode)
        key = cache_key(cfg.model, prompt, [im.sha256 for im in images],
                        temperature=cfg.temperature, max_tokens=cfg.max_tokens)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                with self._lock:
                    self.stats["cache_hits"] += 1
                return hit
        captions, reply = self.complete(self.request_body(prompt, images), where)
        if self.cache is not None:
            self.cache.put(key, captions, reply=reply, model=cfg.model)
        return captions
