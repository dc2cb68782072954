"""What keeps an LMM captioning run cheap and polite: an on-disk reply cache and a rate limiter."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ...clip import Captions
from ...io import atomic_write_text


def cache_key(model: str, prompt: str, image_hashes: list[str], **params) -> str:
    """SHA-256 of (model, prompt text, image SHA-256s in order, generation parameters)."""
    blob = json.dumps({"model": model, "prompt": prompt, "images": list(image_hashes), "params": params},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class ReplyCache:
    """Parsed captions (and the raw reply) by key, one JSON file each under ``root/ab/abcdef....json``.

    Only replies that parsed are stored, so a malformed reply is asked again next run. Writes are
    atomic; a file that does not read back (truncated by hand, other version) counts as a miss.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Captions | None:
        try:
            obj = json.loads(self._path(key).read_text(encoding="utf-8"))
            return Captions(whole=[str(w) for w in obj["whole"]],
                            parts={str(k): str(v) for k, v in obj["parts"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, key: str, captions: Captions, *, reply: str, model: str) -> None:
        obj = {"whole": captions.whole, "parts": captions.parts, "reply": reply, "model": model,
               "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        atomic_write_text(self._path(key), json.dumps(obj, ensure_ascii=False, indent=1))


class RateLimiter:
    """At most ``per_minute`` request starts a minute, evenly spaced (0 or less: no limit). Thread-safe:
    concurrent callers queue for their slots."""

    def __init__(self, per_minute: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next slot; returns the seconds waited."""
        if self.interval <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)
