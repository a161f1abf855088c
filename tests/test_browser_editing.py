"""The studio as an editor, in a real browser (headless Chromium, as tests/test_browser.py): a scene moved
on the Storyboard and the film rendered again with every picture, voice and clip from the cache; a
picture uploaded to the Library, tagged, and used in two projects; a version restored; the Models table
within the page. The page is
driven as a person would; the in-process store is read to check what each click did."""

from __future__ import annotations

from vidgen import media

from .test_browser import (CHROMIUM, CHROMIUM_ARGS, UI_TIMEOUT_MS, _choose, _set_slider, _until_or_error,  # noqa: F401
                           studio_app, sync_playwright)

FIRST = """INT. KITCHEN - DAY

ANA
We leave at dawn.

EXT. ROAD - NIGHT

BO
Then we walk all night.
"""
SECOND = """EXT. HARBOUR - DUSK

MARA
The boats are back.
"""
REUSED = ("image", "voice")  # the camera may pick other moves: it avoids the move of the scene before


def _text(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id}").inner_text()


def _parse(page, script: str) -> None:
    page.locator("#tab-script-button").click()
    page.locator("#script-text textarea").fill(script)
    page.locator("#script-parse").click()
    first_line = script.splitlines()[0].split(" - ")[0].split(". ")[-1].lower()
    _until_or_error(page, f"() => document.querySelector('#script-scenes').innerText.toLowerCase()"
                          f".includes('{first_line}')", "parsing the script", timeout_s=60)


def _render(page, studio, doing: str) -> dict:
    """Click Render and wait for the page to name the new job as its result; the job, read back."""
    page.locator("#tab-script-button").click()
    known = {j["id"] for j in studio.list_jobs()}
    page.locator("#render-button").click()
    for _ in range(600):
        new = [j for j in studio.list_jobs() if j["id"] not in known]
        if new:
            break
        page.wait_for_timeout(100)
    assert new, f"no render started while {doing}"
    _until_or_error(page, f"() => document.querySelector('#render-status').innerText.includes({new[0]['id']!r})",
                    doing)
    return studio.get_job(new[0]["id"])


def _library_note(page, words: str, doing: str) -> None:
    _until_or_error(page, f"() => document.querySelector('#library-note').innerText.includes({words!r})", doing,
                    timeout_s=60)


def test_browser_edits_scenes_reuses_steps_and_shares_a_library_file(sync_playwright, studio_app, tmp_path):
    from PIL import Image

    url, studio = studio_app
    picture = tmp_path / "dusk-sea.png"
    Image.new("RGB", (320, 180), (200, 90, 40)).save(picture)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(url + "/", wait_until="domcontentloaded")
            page.locator("#script-text textarea").wait_for(state="visible")
            _choose(page, "render-resolution", "480p")
            _set_slider(page, "render-fps", 12)
            _choose(page, "render-quality", "draft")
            # a finished film: no scene numbers painted on the pictures (so a moved scene keeps its picture)
            page.locator("#render-group-image .label-wrap").first.click()
            page.locator("#render-scene-label input[type=checkbox]").uncheck()
            _parse(page, FIRST)
            first = studio.list_projects()[0]["id"]
            _render(page, studio, "rendering the first project")

            # Storyboard: scene 2 moved to the front, then the film again: its pictures and voices reused.
            page.locator("#tab-storyboard-button").click()
            page.wait_for_function("() => document.querySelectorAll('#storyboard-timeline [data-scene]').length === 2")
            page.locator("#storyboard-timeline [data-scene='2']").click()
            page.wait_for_function("() => document.querySelector('#storyboard-scene input[role=combobox]')"
                                   ".value.startsWith('2.')")
            page.locator("#storyboard-scene-tools").get_by_text("Scenes: add, move, split, merge").first.click()
            page.locator("#scene-to input").fill("1")
            page.locator("#scene-move").click()
            _until_or_error(page, "() => document.querySelector('#storyboard-result').innerText"
                                  ".includes('Scene 2 is now scene 1; a re-render reuses its picture and voice')",
                            "moving scene 2", timeout_s=60)
            assert [s["heading"] for s in studio.get_project(first)["scenes"]][0].startswith("EXT. ROAD")
            page.wait_for_function("() => document.querySelector('#storyboard-timeline [data-scene=\"1\"]')"
                                   ".innerText.includes('ROAD')")  # the strip follows the new order
            colours = page.evaluate("() => [...document.querySelectorAll('#storyboard-timeline .tl-label')]"
                                    ".map(e => getComputedStyle(e).color)")
            assert colours == ["rgb(255, 255, 255)"] * 2, colours  # white on the dark band, readable
            page.locator("#storyboard-timeline").screenshot(path=str(tmp_path / "timeline.png"))
            print(f"\nscreenshot timeline: {tmp_path / 'timeline.png'}")
            job = _render(page, studio, "rendering after the move")
            assert job["status"] == "completed" and job["project_id"] == first, job["status"]
            steps = job["steps"]
            made = [(s["name"], s["scene"]) for s in steps if s["name"] in REUSED and not s["cached"]]
            assert steps and not made, made

            # Versions: the first render (v1) restored: the scenes in the order they had.
            page.locator("#tab-versions-button").click()
            page.wait_for_function("() => +document.querySelector('#versions-table [role=grid]')"
                                   ".getAttribute('aria-rowcount') === 3")  # the header row and two versions
            _choose(page, "versions-a", "v1 (2 scenes)")
            page.locator("#versions-restore").click()
            _until_or_error(page, "() => document.querySelector('#versions-note').innerText"
                                  ".includes('back to version 1')", "restoring version 1", timeout_s=60)
            assert studio.get_project(first)["scenes"][0]["heading"].startswith("INT. KITCHEN")

            # Export: v1's soundtrack as WAV (only its encode runs), then its editable timeline.
            _choose(page, "versions-a", "v1 (2 scenes)")  # the restore listed the versions again
            _choose(page, "export-format", "the soundtrack as WAV (16-bit PCM)")
            page.locator("#export-film").click()
            _until_or_error(page, "() => document.querySelector('#export-note').innerText.includes('WAV')",
                            "exporting the soundtrack", timeout_s=90)
            v1 = next(v for v in studio.list_versions(first) if v["number"] == 1)
            wav = studio.get_version(v1["id"])["outputs"]["wav"]
            assert wav.endswith(".wav") and media.probe(wav).audio is not None
            page.locator("#export-timeline").click()
            _until_or_error(page, "() => document.querySelector('#export-note').innerText.includes('media of 2 scenes')",
                            "exporting the timeline", timeout_s=90)
            assert studio.get_version(v1["id"])["outputs"]["timeline-otio"].endswith(".otio.zip")

            # Library: the picture added with two tags, a third added, used as the first project's scene 1.
            page.locator("#tab-library-button").click()
            page.locator("#library-upload input[type=file]").set_input_files(str(picture))
            page.locator("#library-tags textarea, #library-tags input").first.fill("dusk, sea")
            page.locator("#library-add").click()
            _library_note(page, "Added", "adding the picture")
            page.locator("#library-add-tags textarea, #library-add-tags input").first.fill("night")
            page.locator("#library-save-tags").click()
            _library_note(page, "night", "tagging the picture")
            page.locator("#library-target textarea, #library-target input").first.fill("1")
            page.locator("#library-use").click()
            _library_note(page, "Used in", "using the picture in the first project")

            # A second project, the same file as its scene 1: the library says both use it.
            _parse(page, SECOND)
            second = studio.list_projects()[0]["id"]
            assert second != first
            page.locator("#tab-library-button").click()
            page.locator("#library-use").click()
            _until_or_error(page, "() => (document.querySelector('#library-info').innerText.match(/scene 1/gi)"
                                  " || []).length >= 2", "using the picture in the second project", timeout_s=60)
            asset = studio.list_assets("dusk-sea")["assets"][0]
            assert set(asset["tags"]) == {"dusk", "sea", "night"}, asset
            assert studio.get_project(first)["scenes"][0]["image"] == asset["id"]
            assert studio.get_project(second)["scenes"][0]["image"] == asset["id"]
            page.locator("#library-delete").click()
            _library_note(page, "is used by", "refusing to delete a used file")
            assert studio.get_asset(asset["id"])["id"] == asset["id"]  # still there

            # Models: the table fits the page (licences and compatibility not cut off at the right).
            page.locator("#tab-models-button").click()
            page.wait_for_function("() => document.querySelector('#models-table').innerText"
                                   ".includes('Llama 3.1 Community License')")
            box, table = page.evaluate("() => { const t = document.querySelector('#models-table');"
                                       " return [t.clientWidth, t.querySelector('table').scrollWidth]; }")
            assert table <= box, (table, box)
        except Exception:
            failed = tmp_path / "failure.png"
            page.screenshot(path=str(failed), full_page=True)
            print(f"\nscreenshot at the failure: {failed}")
            raise
        finally:
            browser.close()
