"""``motionbase serve`` in a real headless browser: Debian's chromium + chromedriver driven by Selenium.

Not in the default run (``pytest -m browser``). Needs ``apt-get install chromium chromium-driver`` and
``pip install 'motionbase[app,browser]'`` (gradio, selenium); skips with the reason otherwise. Selenium is pointed
at the Debian driver (never Selenium Manager, which would download one) and the browser runs offline:
the test fails if the page asks for anything but the app's own server.
"""

import json
import os
import shutil
import urllib.request
from pathlib import Path

import pytest

from .generation_support import tiny_models

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PROMPT = "a person waves the left hand"
WAIT_S = 120  # the first request renders a video on a shared CPU


def _missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (path.is_file() and os.access(path, os.X_OK)):
            return f"{path} not found: apt-get install -y {package}"
    for module in ("selenium", "gradio"):
        try:
            __import__(module)
        except ImportError:
            return f"python package {module} not installed: pip install 'motionbase[app,browser]'"
    return None


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if reason := _missing():
        pytest.skip(reason)
    from motionbase.app import serve
    from motionbase.generation import MotionGenerator
    from motionbase.viz.render import RenderConfig

    root = tmp_path_factory.mktemp("app")
    gen = MotionGenerator.load(*tiny_models(root), device="cpu")
    app = serve(gen, "127.0.0.1", 0, block=False, workdir=root / "requests", render=RenderConfig(size_px=96))
    yield app
    app.close()


@pytest.fixture(scope="module")
def browser(served, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a driver or browser
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,2000",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.get(served.url)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _wait(driver, condition, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT_S, poll_frequency=0.25).until(condition)
    except TimeoutException:
        status = driver.find_elements("css selector", "#status textarea, #edit-status textarea")
        raise AssertionError(f"timed out waiting for {what}; status: "
                             f"{[s.get_attribute('value') for s in status]}") from None


def _value(driver, css: str) -> str:
    found = driver.find_elements("css selector", css)
    return found[0].get_attribute("value") or "" if found else ""


def _generate(driver, prompt: str, seconds: float = 1.0) -> None:
    from selenium.webdriver.common.keys import Keys

    box = _wait(driver, lambda d: d.find_element("css selector", "#prompt textarea"), "the prompt box")
    box.clear()
    box.send_keys(prompt)
    length = driver.find_element("css selector", "#seconds input[type=number]")
    length.send_keys(Keys.CONTROL, "a")
    length.send_keys(f"{seconds:g}", Keys.TAB)
    driver.find_element("css selector", "#generate").click()


def _link(driver, css: str) -> str | None:
    links = driver.find_elements("css selector", css)
    return links[0].get_attribute("href") if links else None


def test_prompt_to_video_bvh_and_tokens(browser, served):
    _generate(browser, PROMPT)
    video = _wait(browser, lambda d: (v := d.find_elements("css selector", "#video video")) and
                  v[0].get_attribute("src") and v[0], "the video element")
    bvh_href = _wait(browser, lambda d: (h := _link(d, "#bvh a[href]")) and h.endswith(".bvh") and h,
                     "the BVH download link")
    tokens = _wait(browser, lambda d: _value(d, "#tokens textarea"), "the motion tokens")
    assert tokens.splitlines()[0].startswith("step   0  root=") and len(tokens.splitlines()) == 5  # 1 s
    assert _value(browser, "#status textarea").startswith("1.00 s, 5 code steps")
    with urllib.request.urlopen(bvh_href, timeout=30) as r:  # the link really serves the file
        assert r.read(9) == b"HIERARCHY"
    with urllib.request.urlopen(video.get_attribute("src"), timeout=30) as r:
        assert r.read(12)[4:8] == b"ftyp"  # an MP4 container


def test_a_bad_prompt_gets_a_message_and_the_app_keeps_serving(browser):
    _generate(browser, "   ")
    _wait(browser, lambda d: _value(d, "#status textarea").startswith("error: the prompt is empty"),
          "the error message")
    _generate(browser, "a cat plays the piano underwater")
    status = _wait(browser, lambda d: "code steps" in (s := _value(d, "#status textarea")) and s,
                   "a motion after the error")
    assert "far from what this model was trained on" in status


def test_part_edit_tab(browser):
    tab = _wait(browser, lambda d: [b for b in d.find_elements("css selector", "button[role=tab]")
                                    if "Edit body parts" in b.text], "the edit tab")
    tab[0].click()
    _wait(browser, lambda d: d.find_element("css selector", "#edit-run"), "the edit button").click()
    _wait(browser, lambda d: (v := d.find_elements("css selector", "#edit-video video")) and v[0].get_attribute("src"),
          "the edit video")
    tokens = _wait(browser, lambda d: _value(d, "#edit-tokens textarea"), "the edit tokens")
    assert "left_arm=" in tokens
    assert (_link(browser, "#edit-bvh a[href]") or "").endswith("edit.bvh")


def test_nothing_is_fetched_from_outside_the_app(browser, served):
    """Gradio's analytics and remote fonts are off: every request the page made went to the app itself."""
    urls = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.add(message["params"]["request"]["url"])
    base = served.url.rstrip("/").split("://", 1)[1]  # 127.0.0.1:PORT
    web = {u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:"))}  # not chrome://, data:, blob:
    assert any(u.split("://", 1)[1].startswith(base) for u in web)
    outside = sorted(u for u in web if not u.split("://", 1)[1].startswith(base + "/"))
    assert outside == [], outside
