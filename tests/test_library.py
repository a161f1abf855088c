"""The asset library (vidgen/library.py, the Studio's LibraryMixin): real files of every kind made here,
checked by decoding, with real previews; search, tags, uses and deletes checked on the store."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vidgen import library, media
from vidgen.assets import FONT_BOLD
from vidgen.config import Settings
from vidgen.errors import VidgenError
from vidgen.jobs import GpuLane
from vidgen.library_files import WAVE_BG, WAVE_FG, WAVE_SIZE
from vidgen.studio import Studio

SR = 16000
DIALOGUE = """Scene 1: The harbour
ANA: The boats are back.
Narrator: Gulls circled the masts.

Scene 2: The storm
BO: Hold the rope!
"""


def png(path: Path, size=(640, 480), left=(200, 30, 30), right=(30, 30, 200)) -> str:
    im = Image.new("RGB", size, left)
    im.paste(right, (size[0] // 2, 0, size[0], size[1]))
    im.save(path)
    return str(path)


def tone(seconds: float, amp: float = 0.5, freq: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def wav(path: Path, samples: np.ndarray) -> str:
    media.write_wav(path, samples, SR)
    return str(path)


def mp4(path: Path, colour=(20, 180, 40), size=(96, 64), frames=12) -> str:
    w, h = size
    with media.VideoWriter(path, w, h, 12) as vw:
        for f in range(frames):
            frame = np.empty((h, w, 3), np.uint8)
            frame[:] = colour if f == 0 else (200, 200, 200)  # the first frame is the thumbnail's
            vw.write(frame)
    return str(path)


def cube(path: Path) -> str:
    rows = [f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)]
    path.write_text("TITLE \"identity\"\nLUT_3D_SIZE 2\n" + "\n".join(rows) + "\n")
    return str(path)


def lora(path: Path) -> str:
    from safetensors.numpy import save_file

    save_file({"unet.down.lora_A.weight": np.zeros((4, 8), np.float32),
               "unet.down.lora_B.weight": np.ones((8, 4), np.float32)}, str(path), metadata={"ss_network_dim": "4"})
    return str(path)


def font(tmp_path: Path) -> str:
    return shutil.copy(FONT_BOLD, tmp_path / "Headline.ttf")


def snapshot(studio) -> list[dict]:
    return [asdict(a) for a in studio.store.list_assets()]


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert text and "\n" not in text, text
    return text


def project(studio) -> dict:
    return studio.create_project(DIALOGUE, "Harbour Days", {"music": "none"})


# --- kinds, checks and previews ------------------------------------------------------------------

def test_every_kind_is_told_from_the_file_checked_and_kept_with_its_facts(studio, tmp_path):
    files = {"image": png(tmp_path / "harbour.png"), "audio": wav(tmp_path / "gulls.wav", tone(1.5)),
             "video": mp4(tmp_path / "waves.mp4"), "font": font(tmp_path), "lut": cube(tmp_path / "film.cube"),
             "lora": lora(tmp_path / "style.safetensors")}
    got = {kind: studio.upload_asset(path) for kind, path in files.items()}
    assert {k: a["kind"] for k, a in got.items()} == {k: k for k in files}
    assert {k: a["type"] for k, a in got.items()} == {"image": "image", "audio": "audio", "video": "video",
                                                     "font": "data", "lut": "data", "lora": "data"}
    for kind, a in got.items():
        assert a["size"] == Path(files[kind]).stat().st_size
        assert Path(a["file"]).read_bytes() == Path(files[kind]).read_bytes()  # content-addressed copy
        assert a["record"]["id"] == a["id"] and a["uses"] == []
    assert (got["image"]["width"], got["image"]["height"]) == (640, 480)
    assert (got["video"]["width"], got["video"]["height"]) == (96, 64)
    assert got["video"]["duration"] == pytest.approx(1.0, abs=0.1)
    assert got["audio"]["duration"] == pytest.approx(1.5, abs=0.01)
    assert got["font"]["facts"]["family"] == "DejaVu Sans"
    assert got["lut"]["facts"]["points"] == 2 and got["lora"]["facts"]["tensors"] == 2
    # Pictures, clips, sounds and fonts have a preview; LUTs and LoRAs none.
    assert {k for k, a in got.items() if a["preview"]} == {"image", "video", "audio", "font"}


def test_the_thumbnail_is_a_small_png_with_the_pictures_colours(studio, tmp_path):
    a = studio.upload_asset(png(tmp_path / "halves.png", (640, 480)))
    assert Path(a["preview"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    thumb = np.asarray(Image.open(a["preview"]).convert("RGB")).astype(int)
    assert thumb.shape == (192, 256, 3)  # 640x480 fitted into 256 x 256, aspect kept
    assert np.abs(thumb[96, 40] - (200, 30, 30)).max() <= 3 and np.abs(thumb[96, 216] - (30, 30, 200)).max() <= 3
    small = studio.upload_asset(png(tmp_path / "small.png", (100, 80)))
    assert Image.open(small["preview"]).size == (100, 80)  # never enlarged
    assert small["preview"] != a["preview"] and a["record"]["meta"]["library"]["preview"] not in (a["id"], "")


def test_a_clips_thumbnail_is_its_first_frame(studio, tmp_path):
    a = studio.upload_asset(mp4(tmp_path / "clip.mp4", colour=(20, 180, 40)))
    thumb = np.asarray(Image.open(a["preview"]).convert("RGB")).astype(int)
    assert thumb.shape == (64, 96, 3)
    assert np.abs(thumb[32, 48] - (20, 180, 40)).max() <= 12  # the green first frame, not the grey rest


def test_the_waveform_shows_the_loud_stretch_and_not_the_silent_one(studio, tmp_path):
    samples = np.concatenate([tone(1.0, amp=0.8), np.zeros(SR, np.float32)])  # loud, then silence
    a = studio.upload_asset(wav(tmp_path / "half.wav", samples), kind="audio")
    wave = np.asarray(Image.open(a["preview"]).convert("RGB"))
    assert wave.shape == (WAVE_SIZE[1], WAVE_SIZE[0], 3)
    lit = np.all(wave == WAVE_FG, axis=2)
    half = WAVE_SIZE[0] // 2
    assert lit[:, :half - 2].sum(axis=0).min() > 10  # every column of the loud second shows a bar
    assert not lit[:, half + 2:].any()  # the silent one only its centre line
    assert np.all(wave[0, half + 2:] == WAVE_BG)
    quiet = studio.upload_asset(wav(tmp_path / "other.wav", np.concatenate([np.zeros(SR, np.float32), tone(1.0)])))
    assert Path(quiet["preview"]).read_bytes() != Path(a["preview"]).read_bytes()


@pytest.mark.parametrize("kind", ["image", "video", "font", "lut", "lora"])
def test_a_file_that_is_not_its_kind_is_refused_in_one_line_and_nothing_is_kept(studio, tmp_path, kind):
    sound = wav(tmp_path / "speech.wav", tone(1.0))
    with pytest.raises(VidgenError) as exc:
        studio.upload_asset(sound, kind=kind)
    assert "speech.wav" in one_line(exc)
    assert studio.store.list_assets() == []


def test_files_that_lie_about_their_extension_are_refused(studio, tmp_path):
    fake = tmp_path / "photo.png"
    fake.write_text("not a picture at all")
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes((10 ** 9).to_bytes(8, "little") + b"{}")
    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(Path(lora(tmp_path / "whole.safetensors")).read_bytes()[:-8])
    for path, said in ((fake, "not a readable image"), (broken, "header"), (truncated, "cut.safetensors")):
        with pytest.raises(VidgenError) as exc:
            studio.upload_asset(str(path))
        assert said in one_line(exc)
    with pytest.raises(VidgenError, match="kind"):
        studio.upload_asset(png(tmp_path / "a.png"), kind="picture")
    assert studio.store.list_assets() == []


def test_uploads_are_only_taken_from_the_upload_folders(studio, tmp_path_factory):
    elsewhere = png(tmp_path_factory.mktemp("server") / "secret.png")
    with pytest.raises(VidgenError, match="not an upload"):
        studio.upload_asset(elsewhere)


# --- search, tags ------------------------------------------------------------------------------

def test_search_by_name_tag_and_kind_returns_exactly_those_newest_first(studio, tmp_path):
    harbour = studio.upload_asset(png(tmp_path / "Harbour-Dawn.png"), tags=["harbour", "dawn"])["id"]
    night = studio.upload_asset(png(tmp_path / "night.png", right=(0, 0, 0)), tags="harbour, night")["id"]
    gulls = studio.upload_asset(wav(tmp_path / "gulls.wav", tone(1.0)), tags=["harbour"])["id"]
    clip = studio.upload_asset(mp4(tmp_path / "harbour-waves.mp4"))["id"]
    find = lambda **kw: [a["id"] for a in studio.list_assets(**kw)["assets"]]  # noqa: E731
    assert find() == [clip, gulls, night, harbour]
    assert find(query="HARBOUR") == [clip, harbour]
    assert find(tag="harbour") == [gulls, night, harbour]
    assert find(tag="Harbour", kind="image") == [night, harbour]
    assert find(kind="video") == [clip] and find(query="zebra") == [] and find(tag="storm") == []
    page = studio.list_assets(limit=2, offset=1)
    assert page["total"] == 4 and [a["id"] for a in page["assets"]] == [gulls, night]
    with pytest.raises(VidgenError, match="limit"):
        studio.list_assets(limit=0)
    with pytest.raises(VidgenError, match="Bad tag"):
        studio.list_assets(tag="two words")


def test_tags_are_added_and_removed_and_a_bad_one_changes_nothing(studio, tmp_path):
    a = studio.upload_asset(png(tmp_path / "p.png"), tags=["sea", "blue"])
    assert studio.tag_asset(a["id"], add=["Storm", "sea"], remove=["blue"])["tags"] == ["sea", "storm"]
    before = snapshot(studio)
    for bad in (["fine", "two words"], ["x" * 33], [""], ["semi;colon"], [f"t{i}" for i in range(21)], "a,b c!"):
        with pytest.raises(VidgenError) as exc:
            studio.tag_asset(a["id"], add=bad)
        assert "tag" in one_line(exc)
    with pytest.raises(VidgenError, match="over the limit"):
        studio.tag_asset(a["id"], add=[f"t{i}" for i in range(19)])  # 2 + 19 > 20
    assert snapshot(studio) == before
    assert studio.get_asset(a["id"])["tags"] == ["sea", "storm"]


def test_the_same_file_uploaded_again_is_one_asset_with_both_uploads_tags(studio, tmp_path):
    first = studio.upload_asset(png(tmp_path / "a.png"), tags=["one"])
    again = studio.upload_asset(png(tmp_path / "copy.png"), tags=["two"], name="Harbour at dawn")
    assert again["id"] == first["id"] and again["tags"] == ["one", "two"] and again["name"] == "Harbour at dawn"
    assert studio.list_assets()["total"] == 1


# --- uses and deletes --------------------------------------------------------------------------

def test_used_by_names_every_place_a_project_uses_a_file(studio, tmp_path):
    p = project(studio)
    picture = studio.upload_asset(png(tmp_path / "pic.png"))["id"]
    sound = studio.upload_asset(wav(tmp_path / "bell.wav", tone(1.0)))["id"]
    sample = studio.upload_asset(wav(tmp_path / "voice.wav", tone(8.0, freq=180.0)))["id"]
    headline = studio.upload_asset(font(tmp_path))["id"]
    lut = studio.upload_asset(cube(tmp_path / "film.cube"))["id"]
    weights = studio.upload_asset(lora(tmp_path / "style.safetensors"))["id"]
    for asset, role, target in ((picture, "scene_image", 2), (picture, "reference", "Ana"), (picture, "watermark", None),
                                (sound, "scene_sound", 1), (sound, "music", None), (sample, "voice_sample", "BO"),
                                (sample, "voice_sample", ""), (headline, "caption_font", None),
                                (lut, "grade_lut", None), (weights, "lora", None)):
        studio.use_asset(p["id"], asset, role, target)
    words = lambda asset: sorted(u["words"] for u in studio.get_asset(asset)["uses"])  # noqa: E731
    title = "project 'Harbour Days'"
    assert words(picture) == [f"{title} Ana's reference picture", f"{title} scene 2 picture", f"{title} watermark"]
    assert words(sound) == [f"{title} music", f"{title} scene 1 sound"]
    assert words(sample) == [f"{title} Bo's voice sample", f"{title} the narrator's voice sample"]
    assert words(headline) == [f"{title} caption font"] and words(lut) == [f"{title} LUT"]
    assert words(weights) == [f"{title} LoRA 1"]
    uses = library.used_by(studio.store, picture)
    assert {(u["project"], u["field"], u["scene"], u["character"]) for u in uses} == {
        (p["id"], "scene_image", 2, ""), (p["id"], "reference", None, "Ana"), (p["id"], "watermark", None, "")}
    saved = studio.get_project(p["id"])
    assert saved["scenes"][1]["image"] == picture and saved["settings"]["music"] == sound
    assert saved["settings"]["loras"] == [{"source": weights, "scale": 1.0}]
    with pytest.raises(VidgenError, match="is image, not font"):
        studio.use_asset(p["id"], picture, "caption_font")


def test_deleting_a_used_file_is_refused_naming_the_project_and_field_and_changes_nothing(studio, tmp_path):
    p = project(studio)
    picture = studio.upload_asset(png(tmp_path / "pic.png"))
    studio.use_asset(p["id"], picture["id"], "scene_image", 2)
    assets, stored = snapshot(studio), studio.store.get_project(p["id"])
    with pytest.raises(VidgenError) as exc:
        studio.delete_asset(picture["id"])
    text = one_line(exc)
    assert "project 'Harbour Days' scene 2 picture" in text and "pic.png" in text
    assert snapshot(studio) == assets and studio.store.get_project(p["id"]) == stored
    assert Path(picture["file"]).is_file() and Path(picture["preview"]).is_file()


def test_deleting_an_unused_file_removes_it_and_its_preview(studio, tmp_path):
    keep = studio.upload_asset(png(tmp_path / "keep.png", left=(0, 90, 0)))
    gone = studio.upload_asset(png(tmp_path / "gone.png"))
    assert studio.delete_asset(gone["id"]) == {"deleted": gone["id"], "name": "gone.png", "file_removed": True}
    assert not Path(gone["file"]).exists() and not Path(gone["preview"]).exists()
    assert {a.id for a in studio.store.list_assets()} == {keep["id"], keep["record"]["meta"]["library"]["preview"]}
    assert Path(keep["file"]).is_file()
    with pytest.raises(VidgenError, match="No asset"):
        studio.get_asset(gone["id"])


def test_a_file_no_longer_used_can_be_deleted(studio, tmp_path):
    p = project(studio)
    sound = studio.upload_asset(wav(tmp_path / "bell.wav", tone(1.0)))["id"]
    studio.use_asset(p["id"], sound, "music")
    with pytest.raises(VidgenError, match="music"):
        studio.delete_asset(sound)
    studio.update_settings(p["id"], {"music": "none"})
    assert studio.delete_asset(sound)["file_removed"]


def test_user_files_of_projects_are_listed_and_step_outputs_are_not(studio, tmp_path):
    p = project(studio)
    studio.set_scene_image(p["id"], 1, png(tmp_path / "mine.png"))
    made = studio.store.add_bytes(Path(png(tmp_path / "made.png", left=(1, 2, 3))).read_bytes(), type="image",
                                  ext=".png", name="scene-1.png")  # as a pipeline step keeps its picture
    listed = studio.list_assets()["assets"]
    assert [(a["name"], a["kind"], a["used_by"]) for a in listed] == [
        ("mine.png", "image", ["project 'Harbour Days' scene 1 picture"])]
    mine = studio.get_asset(listed[0]["id"])  # shown for the first time: checked, given its preview
    assert Image.open(mine["preview"]).size == (256, 192) and mine["width"] == 640
    for call in (studio.get_asset, studio.delete_asset, lambda i: studio.tag_asset(i, add=["x"])):
        with pytest.raises(VidgenError, match="not in the library"):
            call(made.id)
    studio.set_scene_image(p["id"], 1, None)  # no longer used: still the user's file, still listed
    assert [a["name"] for a in studio.list_assets()["assets"]] == ["mine.png"]


def big_store_db(path: Path, library_assets: int, internal: int) -> None:
    """A database file holding `library_assets` library records and `internal` step outputs (no files:
    writing records one by one would rewrite the file each time)."""
    docs = {}
    for i in range(library_assets + internal):
        sha = f"{i:064x}"
        meta = {"library": {"kind": "image", "tags": ["even" if i % 2 else "odd"], "added": 1000.0 + i,
                            "preview": "", "facts": {}}} if i < library_assets else {}
        docs[str(i + 1)] = {"id": sha, "path": f"assets/{sha[:2]}/{sha}.png", "type": "image", "size": 10,
                            "created": 1.0 + i, "name": f"shot-{i:04d}.png", "meta": meta}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"assets": docs}))


def test_a_thousand_assets_are_searched_and_paged(tmp_path):
    settings = Settings.from_env(tmp_path / "big")
    big_store_db(Path(settings.db_path), 1000, 3000)
    studio = Studio(settings, lane=GpuLane(), upload_roots=[tmp_path])
    try:
        found = studio.list_assets(query="SHOT-09", tag="even", limit=20, offset=0)
        assert found["total"] == 50 and len(found["assets"]) == 20
        assert [a["name"] for a in found["assets"]][:2] == ["shot-0999.png", "shot-0997.png"]
        assert studio.list_assets(limit=500, offset=900)["total"] == 1000  # the step outputs are not listed
        assert [a["name"] for a in studio.list_assets(limit=500, offset=990)["assets"]][-1] == "shot-0000.png"
    finally:
        studio.shutdown(timeout=30)


def test_a_file_the_step_cache_needs_leaves_the_library_but_keeps_its_file(studio, tmp_path):
    a = studio.upload_asset(png(tmp_path / "shared.png"))
    studio.store.put_step("k" * 64, "image", {"image": a["id"]})  # the same bytes are a cached step's output
    done = studio.delete_asset(a["id"])
    assert done["file_removed"] is False and Path(a["file"]).is_file()
    assert studio.store.get_step("k" * 64) is not None and studio.list_assets()["total"] == 0
    assert not Path(a["preview"]).exists()  # the preview was the library's alone
    with pytest.raises(VidgenError, match="not in the library"):
        studio.get_asset(a["id"])
