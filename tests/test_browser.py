"""A real browser: headless Chromium (Debian's, driven by Playwright) opens the studio, loads an
example, renders it and sees a playable video; screenshots of the Script, Storyboard and result views.

CI installs /usr/bin/chromium (`.ci/run`). Without Chromium (or Playwright) the test skips with the
reason, except where `CI` is set: there it fails, so CI never skips it silently (`browser_rule`).
VIDGEN_NO_BROWSER=1 skips it on purpose. Screenshots go to the test's tmp_path (printed) and are also copied
to $VIDGEN_SCREENSHOTS when that is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

DEBIAN_CHROMIUM = "/usr/bin/chromium"


def find_chromium(env) -> str:
    """$VIDGEN_CHROMIUM, else a chromium on PATH, else Debian's path (which may be missing)."""
    return (env.get("VIDGEN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
            or DEBIAN_CHROMIUM)


CHROMIUM = find_chromium(os.environ)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RENDER_TIMEOUT_S = 240
UI_TIMEOUT_MS = 60_000


def browser_rule(chromium: str, playwright_found: bool, env: os._Environ | dict) -> tuple[str, str]:
    """("run" | "skip" | "fail", why): a machine without a browser skips with the reason; CI (`CI` set,
    as CI services do) fails instead, so a broken CI image never passes by skipping."""
    if env.get("VIDGEN_NO_BROWSER") == "1":
        return "skip", "VIDGEN_NO_BROWSER=1: browser test skipped"
    if not Path(chromium).is_file():
        why = (f"{chromium} is missing: install Debian's chromium (`apt-get install -y chromium`, as .ci/run "
               "does), or set VIDGEN_NO_BROWSER=1 to skip the browser test")
    elif not playwright_found:
        why = ("the playwright package is missing: pip install -r requirements-dev.txt "
               "(never `playwright install`: the test uses the system Chromium)")
    else:
        return "run", ""
    return ("fail" if env.get("CI", "").strip().lower() not in ("", "0", "false") else "skip"), why


@pytest.fixture(scope="module")
def sync_playwright():
    """Playwright's sync API, or the browser rule's skip or failure; checked first."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    verdict, why = browser_rule(CHROMIUM, sync_playwright is not None, os.environ)
    if verdict == "skip":
        pytest.skip(why)
    if verdict == "fail":
        pytest.fail(f"{why} (CI is set: the browser test must run here)", pytrace=False)
    return sync_playwright


@pytest.mark.parametrize("ci, chromium, playwright, verdict", [
    ("", False, True, "skip"), ("true", False, True, "fail"), ("1", False, True, "fail"),
    ("", True, False, "skip"), ("true", True, False, "fail"), ("", True, True, "run"), ("true", True, True, "run"),
    ("false", False, True, "skip"), ("0", False, True, "skip"),
])
def test_browser_rule_skips_without_a_browser_but_never_in_ci(tmp_path, monkeypatch, ci, chromium, playwright, verdict):
    fake = tmp_path / "bin" / "chromium"
    if chromium:
        fake.parent.mkdir()
        fake.write_text("")
    monkeypatch.setattr(shutil, "which", lambda name: str(fake) if chromium and name == "chromium" else None)
    monkeypatch.setattr(sys.modules[__name__], "DEBIAN_CHROMIUM", str(tmp_path / "usr-bin-chromium"))
    env = {"CI": ci} if ci else {}
    found = find_chromium(env)
    assert found == (str(fake) if chromium else str(tmp_path / "usr-bin-chromium"))
    got, why = browser_rule(found, playwright, env)
    assert got == verdict
    assert (got == "run") == (why == "")
    if not chromium:
        assert found in why and "apt-get install -y chromium" in why
    assert browser_rule(found, playwright, {**env, "VIDGEN_NO_BROWSER": "1"})[0] == "skip"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def studio_app(tmp_path_factory):
    """(url, the in-process Studio): the browser drives the page, the store is read to check what it did."""
    pytest.importorskip("gradio")
    from vidgen.config import Settings
    from vidgen.studio import Studio
    from vidgen.ui import build_app, launch_options

    data = tmp_path_factory.mktemp("browser-data")
    studio = Studio(Settings.from_env(data), gpu_slots=1)
    demo = build_app(studio)
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_options(data, port=_free_port()))
    try:
        yield url.rstrip("/"), studio
    finally:
        demo.close()
        studio.shutdown(timeout=30)


@pytest.fixture(scope="module")
def studio_url(studio_app):
    return studio_app[0]


def _check_png(path: Path) -> None:
    from PIL import Image

    assert path.is_file() and path.stat().st_size > 10_000, f"{path}: {path.stat().st_size} bytes"
    with Image.open(path) as im:
        assert im.format == "PNG"
        colours = im.convert("RGB").getcolors(maxcolors=64)  # None: more than 64 colours
        assert colours is None or len(colours) > 8, f"{path} is (nearly) a single colour: {colours}"


def _choose(page, elem_id: str, value: str) -> None:
    """Pick `value` in a gr.Dropdown by opening it and clicking the option."""
    page.locator(f"#{elem_id} input[role=combobox]").click()
    page.locator("ul[role=listbox] li[role=option]", has_text=value).first.click()
    page.wait_for_function(
        "([id, v]) => document.querySelector(`#${id} input[role=combobox]`).value === v", arg=[elem_id, value])


def _options(page, elem_id: str) -> int:
    """How many choices a gr.Dropdown offers (opened, counted, closed)."""
    page.locator(f"#{elem_id} input[role=combobox]").click()
    options = page.locator("ul[role=listbox] li[role=option]")
    options.first.wait_for(state="visible")
    n = options.count()
    page.keyboard.press("Escape")
    page.locator(f"#{elem_id} input[role=combobox]").blur()
    page.wait_for_function("() => !document.querySelector('ul[role=listbox]')")
    return n


def _set_slider(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")
    box.blur()
    page.wait_for_function("([id, v]) => document.querySelector(`#${id} input[type=range]`).value === v",
                           arg=[elem_id, str(value)])


def _errors(page) -> list[str]:
    """Texts of Gradio's error toasts currently shown."""
    texts = (" ".join(t.replace("×", " ").split()) for t in page.locator(".toast-body.error").all_inner_texts())
    return [t for t in texts if t]


# Gradio marks a failed event with an "Error" pill on its output components and a toast with the message.
ERROR_SHOWN = ("() => [...document.querySelectorAll('.toast-body.error, [data-testid=status-tracker] .error')]"
               ".some(e => e.offsetParent !== null)")


def _until_or_error(page, condition: str, doing: str, timeout_s: float = RENDER_TIMEOUT_S) -> None:
    """Wait for `condition` (JS), but stop at once when the page shows an error, with its message."""
    page.wait_for_function(f"() => ({condition})() || ({ERROR_SHOWN})()", timeout=timeout_s * 1000)
    if page.evaluate(ERROR_SHOWN):
        page.wait_for_timeout(300)  # let the toast's text arrive
        pytest.fail(f"the studio showed an error while {doing}: {_errors(page) or '(no message shown)'}",
                    pytrace=False)


def test_browser_renders_an_example_and_plays_it(sync_playwright, studio_url, tmp_path):
    shots = {name: tmp_path / f"{name}.png" for name in ("script", "result", "storyboard", "cast")}
    console: list[str] = []
    with sync_playwright() as pw:
        # Playwright's launch() always starts Chromium on a new empty profile (--user-data-dir in a temp folder).
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.goto(studio_url + "/", wait_until="domcontentloaded")

            # Script tab: the example one click away, small settings, Parse -> the scenes table.
            text = page.locator("#script-text textarea")
            text.wait_for(state="visible")
            page.locator("#script-examples button", has_text="lighthouse.txt").click()
            page.wait_for_function("() => document.querySelector('#script-text textarea').value.length > 200")
            assert "lighthouse" in text.input_value().lower()
            _choose(page, "render-resolution", "480p")
            _set_slider(page, "render-fps", 12)
            _choose(page, "render-quality", "draft")
            page.locator("#script-parse").click()
            page.wait_for_function("() => +document.querySelector('#script-scenes [role=grid]')"
                                   ".getAttribute('aria-rowcount') >= 4")  # the header row and 3+ scenes
            page.wait_for_function("() => document.querySelector('#current-project textarea, "
                                   "#current-project input').value.length > 0")
            scenes = int(page.locator("#script-scenes [role=grid]").get_attribute("aria-rowcount")) - 1
            assert "lighthouse" in page.locator("#script-scenes").inner_text().lower()
            page.screenshot(path=str(shots["script"]), full_page=True)

            # Render: the button, then a playable <video> and the MP4 download.
            page.locator("#render-button").click()
            page.wait_for_function(f"() => document.querySelector('#current-title').innerText"
                                   f".includes('{scenes} scenes')")  # the project by its title, not an id
            # Live previews: pictures of the first scenes show while the render still runs.
            _until_or_error(page, "() => !!document.querySelector('#render-live img')", "painting the first scenes")
            assert not page.evaluate("() => !!document.querySelector('#render-video video')"), "film before previews"
            video = page.locator("#render-video video")
            _until_or_error(page, "() => !!document.querySelector('#render-video video')", "rendering")
            page.wait_for_function("() => { const v = document.querySelector('#render-video video');"
                                   " return v && v.currentSrc && v.readyState >= 1 && v.duration > 0; }",
                                   timeout=UI_TIMEOUT_MS)
            state = video.evaluate("v => ({src: v.currentSrc || v.src, ready: v.readyState, duration: v.duration,"
                                   " error: v.error && v.error.code, w: v.videoWidth, h: v.videoHeight})")
            assert state["src"] and state["error"] is None, state
            assert state["ready"] >= 1 and state["duration"] > 20, state
            assert (state["w"], state["h"]) == (854, 480), state
            mp4 = page.locator("#render-mp4 a[href*='.mp4'], #render-mp4 a[download]")
            mp4.first.wait_for(state="attached")
            href = mp4.first.get_attribute("href") or ""
            assert ".mp4" in href, href
            status = page.locator("#render-status").inner_text()
            assert "Rendered by job" in status, status
            # Decodes, not only parses: seek into scene 1 and wait for a frame (readyState 2 = current data).
            frame = video.evaluate("v => new Promise((ok, bad) => { v.muted = true;"
                                   " v.addEventListener('seeked', () => ok(v.readyState), {once: true});"
                                   " v.addEventListener('error', () => bad(String(v.error && v.error.code)),"
                                   " {once: true});"
                                   " v.currentTime = 5; })")
            page.wait_for_function("() => document.querySelector('#render-video video').readyState >= 2")
            assert frame >= 1, frame
            page.locator("#render-video").scroll_into_view_if_needed()
            page.screenshot(path=str(shots["result"]), full_page=True)

            # Storyboard tab: scene 1 chosen, Regenerate scene -> its image shows.
            page.locator("#tab-storyboard-button").click()
            # The timeline strip: one block per scene (refreshed by the render); a click opens its scene.
            page.wait_for_function(f"() => document.querySelectorAll('#storyboard-timeline [data-scene]').length"
                                   f" === {scenes}")
            page.locator("#storyboard-timeline [data-scene='2']").click()
            page.wait_for_function("() => document.querySelector('#storyboard-scene input[role=combobox]')"
                                   ".value.startsWith('2.')")
            page.locator("#storyboard-scene input[role=combobox]").wait_for(state="visible")
            page.locator("#storyboard-scene input[role=combobox]").click()
            page.locator("ul[role=listbox] li[role=option]").first.click()
            page.wait_for_function("() => document.querySelector('#storyboard-heading textarea, "
                                   "#storyboard-heading input').value.length > 0")
            page.locator("#storyboard-regenerate").click()
            _until_or_error(page, "() => { const i = document.querySelector('#storyboard-image img');"
                                  " return !!i && i.offsetParent !== null; }", "regenerating scene 1")
            page.wait_for_function("() => { const i = document.querySelector('#storyboard-image img');"
                                   " return i && i.complete && i.naturalWidth > 0; }")
            page.wait_for_function("() => document.querySelector('#storyboard-result').innerText.includes('Scene 1')")
            note = page.locator("#storyboard-result").inner_text()

            # Look and sound: the scene's still with a karaoke caption style, before any render of it.
            page.locator("#storyboard-finish").get_by_text("Look and sound").first.click()
            _choose(page, "finish-captions", "karaoke")
            page.locator("#finish-preview").click()
            _until_or_error(page, "() => { const i = document.querySelector('#finish-still img');"
                                  " return !!i && i.complete && i.naturalWidth > 0; }", "previewing the look")
            # Scene tools: duplicate scene 1 (the list grows by one, the copy picked), then delete the copy.
            page.locator("#storyboard-scene-tools").get_by_text("Scenes: add, move, split, merge").first.click()
            page.locator("#scene-duplicate").click()
            _until_or_error(page, "() => document.querySelector('#storyboard-result').innerText"
                                  ".includes('duplicated as scene 2')", "duplicating scene 1", timeout_s=60)
            assert _options(page, "storyboard-scene") == scenes + 1
            page.locator("#scene-delete").click()
            _until_or_error(page, "() => document.querySelector('#storyboard-result').innerText"
                                  ".includes('Scene 2 deleted')", "deleting scene 2", timeout_s=60)
            assert _options(page, "storyboard-scene") == scenes
            page.screenshot(path=str(shots["storyboard"]), full_page=True)

            # Versions tab: the render is version 1, its film in player A after Compare (A with itself).
            page.locator("#tab-versions-button").click()
            page.wait_for_function("() => +document.querySelector('#versions-table [role=grid]')"
                                   ".getAttribute('aria-rowcount') === 2")  # the header row and one version
            page.locator("#versions-compare").click()
            _until_or_error(page, "() => !!document.querySelector('#versions-video-a video')", "comparing versions",
                            timeout_s=60)
            assert "nothing: the same project" in page.locator("#versions-diff").inner_text()

            # Cast tab: the narrator's voice a little higher, previewed on a sentence -> a playable clip.
            page.locator("#tab-cast-button").click()
            _set_slider(page, "cast-voice-pitch", 3)
            page.locator("#cast-preview").click()
            # Gradio draws the clip as a waveform with its length ("0:03") and a download link to the WAV.
            _until_or_error(page, "() => /\\b0:0[1-9]\\b/.test(document.querySelector('#cast-preview-audio')"
                                  ".innerText)", "previewing the voice", timeout_s=120)
            wav = page.locator("#cast-preview-audio a[href*='.wav']").first.get_attribute("href") or ""
            assert ".wav" in wav, wav
            page.screenshot(path=str(shots["cast"]), full_page=True)
            shown_errors = _errors(page)
        except (Exception, pytest.fail.Exception):
            failed = tmp_path / "failure.png"
            try:
                page.screenshot(path=str(failed), full_page=True)
                print(f"\nscreenshot at the failure: {failed}; browser console: {console}")
                if os.environ.get("VIDGEN_SCREENSHOTS"):
                    Path(os.environ["VIDGEN_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
                    shutil.copy2(failed, Path(os.environ["VIDGEN_SCREENSHOTS"]) / failed.name)
            except Exception as e:  # the page itself may be gone
                print(f"\nno failure screenshot: {e}")
            raise
        finally:
            browser.close()

    copy_to = os.environ.get("VIDGEN_SCREENSHOTS")
    for name, path in shots.items():
        _check_png(path)
        print(f"\nscreenshot {name}: {path}")
        if copy_to:
            Path(copy_to).mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, Path(copy_to) / path.name)
    print(f"{scenes} scenes; video {state['duration']:.1f} s at {state['w']}x{state['h']}; storyboard: {note}")
    assert not shown_errors, shown_errors
    assert not [c for c in console if "pageerror" in c], console
