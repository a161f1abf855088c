"""The library's endpoints driven by gradio_client against a served studio: upload (a real file
upload), list, get, tag and delete, and their refusals with the store left as it was."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

pytest.importorskip("gradio")
from gradio_client import Client, handle_file  # noqa: E402

from tests.test_app import free_port  # noqa: E402
from tests.test_library import DIALOGUE, png, tone, wav  # noqa: E402
from vidgen.config import Settings  # noqa: E402
from vidgen.studio import Studio  # noqa: E402
from vidgen.ui import build_app, launch_options  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("library-data")
    studio = Studio(Settings.from_env(data), gpu_slots=1)
    demo = build_app(studio)
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_options(data, port=free_port()))
    try:
        yield Client(url, verbose=False), studio
    finally:
        demo.close()
        studio.shutdown(timeout=30)


def state(studio) -> tuple[list, list]:
    return [asdict(a) for a in studio.store.list_assets()], [asdict(p) for p in studio.store.list_projects()]


def test_upload_list_get_tag_and_delete_through_the_api(served, tmp_path):
    client, studio = served
    up = client.predict(handle_file(png(tmp_path / "quay.png")), "", ["quay", "dawn"], "The quay",
                        api_name="/upload_asset")
    assert (up["kind"], up["name"], up["tags"], up["width"]) == ("image", "The quay", ["quay", "dawn"], 640)
    sound = client.predict(handle_file(wav(tmp_path / "bell.wav", tone(1.0))), "audio", "bell, harbour", "",
                           api_name="/upload_asset")
    assert sound["kind"] == "audio" and sound["preview"] and sound["tags"] == ["bell", "harbour"]
    found = client.predict("quay", "", "", 10, 0, api_name="/list_assets")
    assert [a["id"] for a in found["assets"]] == [up["id"]] and found["total"] == 1
    assert [a["id"] for a in client.predict("", "audio", "bell", 10, 0, api_name="/list_assets")["assets"]] == [
        sound["id"]]
    tagged = client.predict(up["id"], ["evening"], ["dawn"], api_name="/tag_asset")
    assert tagged["tags"] == ["quay", "evening"]
    got = client.predict(up["id"], api_name="/get_asset")
    assert got["tags"] == ["quay", "evening"] and got["uses"] == [] and Path(got["preview"]).name.endswith(".png")
    done = client.predict(sound["id"], api_name="/delete_asset")
    assert done == {"deleted": sound["id"], "name": "bell.wav", "file_removed": True}
    assert not Path(sound["file"]).exists()


def test_refusals_leave_the_store_as_it_was(served, tmp_path):
    client, studio = served
    p = studio.create_project(DIALOGUE, "Quay Film", {"music": "none"})
    pic = client.predict(handle_file(png(tmp_path / "scene.png", left=(10, 120, 10))), "", [], "",
                         api_name="/upload_asset")
    studio.use_asset(p["id"], pic["id"], "scene_image", 1)
    before = state(studio)
    with pytest.raises(Exception, match=r"used by project 'Quay Film' scene 1 picture"):
        client.predict(pic["id"], api_name="/delete_asset")
    with pytest.raises(Exception, match="Bad tag 'two words'"):
        client.predict(pic["id"], ["fine", "two words"], [], api_name="/tag_asset")
    with pytest.raises(Exception, match="not a readable image"):
        fake = tmp_path / "fake.png"
        fake.write_text("text, not pixels")
        client.predict(handle_file(str(fake)), "", [], "", api_name="/upload_asset")
    with pytest.raises(Exception, match="was never uploaded"):
        client.predict(str(tmp_path / "scene.png"), "", [], "", api_name="/upload_asset")
    with pytest.raises(Exception, match="No asset 'nope'"):
        client.predict("nope", api_name="/get_asset")
    assert state(studio) == before
    assert Path(pic["file"]).is_file()
