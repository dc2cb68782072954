"""The web app under load, on 127.0.0.1 only, with tiny real models: 20 concurrent generations queued and all
served; memory flat over a soak (about 20 s here, 5 minutes under ``-m slow``) and Gradio's per-session state
bounded; malformed requests answered with a 4xx or an error event, never a 5xx, and the app still serving after
them; a second instance on a used port refused with one clear line. Requests go through Gradio's REST API (``/gradio_api/call/generate``)."""

import gc
import json
import math
import os
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from .badinput.support import assert_clean, cli
from .generation_support import tiny_models

pytest.importorskip("gradio", reason="the web app needs the app extra: pip install 'motionbase[app]'")
GOOD = ["a person walks forward", 1.0, 0, 1.0]  # prompt, seconds, seed, temperature


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from motionbase.app import serve
    from motionbase.generation import MotionGenerator
    from motionbase.viz.render import RenderConfig

    root = tmp_path_factory.mktemp("app")
    gen = MotionGenerator.load(*tiny_models(root), device="cpu")
    app = serve(gen, "127.0.0.1", 0, block=False, workdir=root / "requests", render=RenderConfig(size_px=48))
    assert app.url.startswith("http://127.0.0.1:")
    yield app, gen, root
    app.close()


def _post(app, body: bytes, timeout=60):
    req = urllib.request.Request(app.url.rstrip("/") + "/gradio_api/call/generate", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _result(app, event_id: str, timeout=240) -> tuple[str, object]:
    """("complete", data) or ("error", message) of a queued event (server-sent events)."""
    url = app.url.rstrip("/") + f"/gradio_api/call/generate/{event_id}"
    with urllib.request.urlopen(url, timeout=timeout) as r:
        text = r.read().decode()
    event = data = None
    for line in text.splitlines():
        if line.startswith("event: "):
            event = line[7:].strip()
        elif line.startswith("data: ") and event in ("complete", "error"):
            data = line[6:]
    return event, json.loads(data) if data and data != "null" else data


def generate(app, values, timeout=240):
    status, body = _post(app, json.dumps({"data": values}).encode())
    assert status == 200, (status, body[:300])
    return _result(app, json.loads(body)["event_id"], timeout)


def _check_served(event, data):
    assert event == "complete", (event, str(data)[:300])
    video, bvh, tokens, status = data
    assert not str(status).startswith("error"), status
    assert os.path.getsize(video["path"]) > 0 and os.path.getsize(bvh["path"]) > 0 and tokens.strip()


@pytest.mark.timeout(400)
def test_twenty_concurrent_generations_are_queued_and_served(served):
    app, _, _ = served
    results: dict[int, tuple] = {}

    def one(i):
        try:
            results[i] = generate(app, [f"a person walks forward {i}", 1.0, i, 1.0])
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            results[i] = ("exception", repr(exc))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert sorted(results) == list(range(20))
    for i, (event, data) in results.items():
        _check_served(event, data)


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _soak(app, seconds: float = math.inf, generations: float = math.inf) -> list[tuple[int, float]]:
    """Generations from 2 clients for ``seconds`` (or until ``generations``); (generations served so far, RSS in
    MB) after each round."""
    samples, served = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end and served < generations:
        out = []
        threads = [threading.Thread(target=lambda i=i: out.append(generate(app, [f"walk {i}", 1.0, i, 1.0])))
                   for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(240)
        for event, data in out:
            _check_served(event, data)
        served += len(out)
        samples.append((served, _rss_mb()))
    return samples


def _slope_mb_per_100(samples: list[tuple[int, float]]) -> float:
    """Least-squares slope of RSS against generations served, in MB per 100 generations."""
    n = np.array([s[0] for s in samples], float)
    rss = np.array([s[1] for s in samples], float)
    return float(np.polyfit(n, rss, 1)[0] * 100)


def _soak_and_check(served, seconds, warm_up=None):
    app, _, root = served
    # warm up: first renders, caches, thread pools (given a count, the allocator too: see WARM_UP)
    _soak(app, seconds=4 if warm_up is None else math.inf, generations=warm_up or math.inf)
    threads_before = threading.active_count()
    samples = _soak(app, seconds)
    assert threading.active_count() <= threads_before + 4, "threads pile up"
    kept = [p for p in (root / "requests").iterdir() if p.is_dir()]
    assert len(kept) <= 64, f"{len(kept)} request folders kept (the app keeps the newest 64)"
    return samples


@pytest.mark.timeout(200)
def test_memory_is_flat_over_a_short_soak(served):
    samples = _soak_and_check(served, 20)
    rss = [r for _, r in samples]
    first, last = min(rss[: max(1, len(rss) // 4)]), max(rss[-max(1, len(rss) // 4):])
    assert last - first < 60, f"RSS grew {last - first:.0f} MB over {samples[-1][0]} generations: {samples}"


# "Flat" for the 5-minute soak: after WARM_UP generations, the slope of RSS against generations served over 5
# minutes is under FLAT_MB_PER_100 MB per 100 generations. Why the warm-up: in the runs of issue 15 (in-process
# handler, render alone, and served over HTTP) RSS first rises 20-40 MB and levels off after 200-350 generations,
# native memory of matplotlib's drawing (render_frames alone does it; the ffmpeg encoding stays flat; no Python or
# numpy allocation grows: tracemalloc), which neither MALLOC_ARENA_MAX=2 nor a fixed mmap threshold changes. Why 3: the defect grew 9.2 MB per 100 generations, steadily (86 MB over 936 in 5 min);
# after the fix this soak read 0.66 MB per 100 (936 generations, 606 -> 613 MB), and windows of 100 generations
# read up to 4, from the few-MB steps in which the heap grows; what Gradio still keeps per call (about 4 KB: a
# message queue per session, the newest 2,000) is 0.4 MB per 100. 3 is a third of the defect, with room for steps.
WARM_UP = 300
FLAT_MB_PER_100 = 3.0


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_memory_is_flat_over_a_five_minute_soak(served, record_property):
    samples = _soak_and_check(served, 300, warm_up=WARM_UP)
    assert len(samples) >= 20, f"too few rounds to judge: {samples}"
    slope = _slope_mb_per_100(samples)
    for key, value in (("generations", samples[-1][0]), ("rss_first_mb", round(samples[0][1], 1)),
                       ("rss_last_mb", round(samples[-1][1], 1)), ("mb_per_100_generations", round(slope, 3))):
        record_property(key, value)  # into the JUnit report: scripts/reliability_report.py lists them
    print(f"soak after {WARM_UP} generations: {samples[-1][0]} generations in 5 min, RSS {samples[0][1]:.0f} -> "
          f"{samples[-1][1]:.0f} MB, {slope:.2f} MB per 100 generations")
    assert slope < FLAT_MB_PER_100, (f"RSS grows {slope:.2f} MB per 100 generations over {samples[-1][0]} "
                                     f"generations after a warm-up of {WARM_UP} (allowed {FLAT_MB_PER_100}): {samples}")


@pytest.mark.timeout(120)
def test_sessions_are_not_kept_per_request(served):
    """The soak's growth (issue 15): Gradio keeps a copy of the page's config (about 90 KiB) per session, by default
    for the newest 10,000 sessions, and every API call is a session of its own. The app keeps SESSIONS_KEPT;
    requests the handler refuses at once (an empty prompt) make cheap sessions all the same."""
    from gradio.state_holder import SessionState

    from motionbase.app.ui import SESSIONS_KEPT

    app, _, _ = served
    for i in range(SESSIONS_KEPT + 16):
        event, data = generate(app, ["", 1.0, i, 1.0])
        assert event == "complete" and str(data[3]).startswith("error"), (event, str(data)[:300])
    gc.collect()
    alive = sum(isinstance(o, SessionState) for o in gc.get_objects())
    assert alive <= SESSIONS_KEPT, f"{alive} Gradio sessions held after {SESSIONS_KEPT + 16} API calls"
    assert len(app.blocks.server_app.state_holder.session_data) <= SESSIONS_KEPT


MALFORMED = {
    "not-json": b"{not json",
    "empty-body": b"",
    "no-data-field": b'{"nodata": 1}',
    "data-not-a-list": b'{"data": "a person walks"}',
    "too-few-values": b'{"data": []}',
    "too-many-values": json.dumps({"data": GOOD + [1, 2, 3]}).encode(),
    "text-for-numbers": json.dumps({"data": ["walk", "abc", "def", None]}).encode(),
    "null-prompt": json.dumps({"data": [None, 1.0, 0, 1.0]}).encode(),
    "empty-prompt": json.dumps({"data": ["", 1.0, 0, 1.0]}).encode(),
    "100-kB-prompt": json.dumps({"data": ["walk " * 20_000, 1.0, 0, 1.0]}).encode(),
    "control-characters": json.dumps({"data": ["a\x00b\x1b[31m", 1.0, 0, 1.0]}).encode(),
    "negative-seconds": json.dumps({"data": ["walk", -5.0, 0, 1.0]}).encode(),
    "huge-seconds": json.dumps({"data": ["walk", 1e9, 0, 1.0]}).encode(),
    "huge-seed": json.dumps({"data": ["walk", 1.0, 2**80, 1.0]}).encode(),
    "negative-temperature": json.dumps({"data": ["walk", 1.0, 0, -3.0]}).encode(),
    "object-for-prompt": json.dumps({"data": [{"x": [1, 2]}, 1.0, 0, 1.0]}).encode(),
    "two-megabytes": json.dumps({"data": ["w" * 2_000_000, 1.0, 0, 1.0]}).encode(),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_request_is_answered_cleanly(served, case):
    app, _, _ = served
    status, body = _post(app, MALFORMED[case])
    assert status < 500, (status, body[:300])
    if status == 200:
        event, data = _result(app, json.loads(body)["event_id"], timeout=90)
        assert event in ("complete", "error"), (event, str(data)[:300])
        if event == "complete" and str(data[3]).startswith("error"):  # the handler refused: one line
            assert "\n" not in data[3].strip(), data[3]
    else:
        assert 400 <= status < 500


@pytest.mark.timeout(120)
def test_the_app_still_serves_after_the_malformed_requests(served):
    _check_served(*generate(served[0], GOOD))


@pytest.mark.timeout(60)
def test_a_second_instance_on_a_used_port_is_refused(served):
    from motionbase.app import serve
    from motionbase.errors import MotionbaseError

    app, gen, _ = served
    port = int(app.url.rstrip("/").rsplit(":", 1)[1])
    with pytest.raises(MotionbaseError, match=f"port {port} on 127.0.0.1 is already in use"):
        serve(gen, "127.0.0.1", port, block=False)
    o = cli("serve", "--port", port, "--lm", "unused", "--tokenizer", "unused")
    assert_clean(o, (2,), says="already in use")
    _check_served(*generate(app, GOOD))
