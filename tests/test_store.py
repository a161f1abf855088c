"""The document store: round trips, atomic writes under kills, locking, assets, step cache."""

from __future__ import annotations

import errno
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from vidgen.config import Settings
from vidgen.domain import Character, Job, Line, Project, RenderSettings, Scene, StepRecord
from vidgen.errors import VidgenError
from vidgen.store import AtomicJSONStorage, Store

ROOT = Path(__file__).resolve().parents[1]

# Writes jobs in a loop and prints each id once save_job has returned (= committed).
CHILD = r"""
import sys
from pathlib import Path
from vidgen.config import Settings
from vidgen.domain import Job
from vidgen.store import Store

store = Store(Settings(data_dir=Path(sys.argv[1])))
tag, count = sys.argv[2], int(sys.argv[3])
i = 0
while count < 0 or i < count:
    jid = f"{tag}-{i}"
    store.save_job(Job(id=jid, project_id=tag, message="é" * 50 + "x" * 300))
    print(jid, flush=True)
    i += 1
"""


def child(data_dir: Path, tag: str, count: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir), tag, str(count)], stdout=subprocess.PIPE, text=True, env=env
    )


def temp_files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.glob(".vidgen.json.tmp-*"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Not conftest's: the data folder alone, no environment; conftest's `store` opens it."""
    return Settings(data_dir=tmp_path / "data")


def sample_project(pid: str = "p1") -> Project:
    return Project(
        id=pid,
        title="Naïve — 日本語 🎬",
        script="INT. KITCHEN - NIGHT\nBOB: Hi.",
        form="fountain",
        settings=RenderSettings(aspect="9:16", fps=30, seed=7),
        scenes=[
            Scene(
                number=1,
                heading="INT. KITCHEN - NIGHT",
                lines=[Line("Hi.", "BOB", "whispering"), Line("The night was long.")],
                mood="tense",
                camera=["zoom_in"],
                interior=True,
                time_of_day="night",
                characters=["BOB"],
            )
        ],
        characters=[Character("BOB", "a tired cook", [1])],
        outputs={"video": "abc"},
    )


# --- round trips ---------------------------------------------------------------------------------


def test_project_job_asset_round_trip(settings, store):
    p = store.save_project(sample_project())
    assert p.created and p.updated >= p.created
    job = Job(
        id="j1",
        project_id="p1",
        status="running",
        result={"video": "x.mp4", "note": "ünï"},
        steps=[StepRecord("image", 1, "k1", False, 1.5), StepRecord("assembly", None, "k2", True, 0.0)],
        pid=123,
        host="h",
    )
    store.save_job(job)
    assert "日本語" in settings.db_path.read_text(encoding="utf-8")  # unicode kept readable...
    a = store.add_bytes("ünï".encode(), type="data", ext=".txt", meta={"tags": ["a"], "lone": "\udcff"})

    fresh = Store(settings)  # reads the file, not memory
    assert fresh.get_project("p1") == p
    assert fresh.get_job("j1") == job
    assert fresh.get_asset(a.id) == a
    assert a.path == f"assets/{a.id[:2]}/{a.id}.txt"
    assert fresh.asset_path(a) == settings.data_dir / a.path
    assert fresh.asset_path(a.id).read_bytes() == "ünï".encode()
    assert "\\udcff" in settings.db_path.read_text(encoding="utf-8")  # ...unless a lone surrogate forces escapes


def test_save_keeps_created_and_orders_lists(store):
    p = store.save_project(sample_project("a"))
    created = p.created
    store.save_project(Project(id="b", title="B", script=""))
    again = store.save_project(Project(id="a", title="A2", script=""))  # a new object, created 0
    assert again.created == created and again.updated >= created
    assert [x.id for x in store.list_projects()] == ["a", "b"]
    for i, jid in enumerate(["j1", "j2", "j3"]):
        store.save_job(Job(id=jid, project_id="a" if i < 2 else "b", created=100.0 + i))
    assert [j.id for j in store.list_jobs()] == ["j3", "j2", "j1"]
    assert [j.id for j in store.list_jobs("a")] == ["j2", "j1"]
    store.delete_project("b")
    assert [x.id for x in store.list_projects()] == ["a"]


def test_missing_records_raise_actionable_errors(store):
    with pytest.raises(VidgenError, match=r"python -m vidgen projects"):
        store.get_project("nope")
    with pytest.raises(VidgenError, match=r"python -m vidgen projects"):
        store.delete_project("nope")
    with pytest.raises(VidgenError, match=r"python -m vidgen jobs"):
        store.get_job("nope")
    with pytest.raises(VidgenError, match=r"python -m vidgen jobs"):
        store.update_job("nope", progress=0.5)
    with pytest.raises(VidgenError, match="No asset"):
        store.get_asset("0" * 64)


def test_update_job_partial(store):
    store.save_job(Job(id="j", project_id="p", message="keep"))
    j = store.update_job(
        "j", status="running", progress=0.25, steps=[StepRecord("image", 1, "k", False, 2.0), {"name": "voice", "scene": 1, "key": "v", "cached": True, "seconds": 0.0}]
    )
    assert j.message == "keep" and j.status == "running" and j.progress == 0.25
    assert j.steps == [StepRecord("image", 1, "k", False, 2.0), StepRecord("voice", 1, "v", True, 0.0)]
    assert store.get_job("j") == j
    with pytest.raises(TypeError):
        store.update_job("j", nonsense=1)
    with pytest.raises(ValueError):
        store.update_job("j", status="exploded")


# --- concurrency ---------------------------------------------------------------------------------


def test_threads_lose_nothing(settings):
    store = Store.open(settings)
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            for i in range(50):
                Store.open(settings).save_job(Job(id=f"t{t}-{i}", project_id=f"p{t}"))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert len(store.list_jobs()) == 400
    assert len(json.loads(settings.db_path.read_text(encoding="utf-8"))["jobs"]) == 400
    assert len(Store(settings).list_jobs()) == 400


def test_two_instances_in_one_process_share_the_file_lock(settings):
    a, b = Store(settings), Store(settings)

    def worker(s: Store, tag: str) -> None:
        for i in range(25):
            s.save_job(Job(id=f"{tag}{i}", project_id=tag))

    threads = [threading.Thread(target=worker, args=(s, tag)) for s, tag in ((a, "a"), (b, "b"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(Store(settings).list_jobs()) == 50


def test_open_returns_one_instance_per_data_folder(tmp_path):
    s1 = Store.open(Settings(data_dir=tmp_path / "x"))
    assert Store.open(Settings(data_dir=tmp_path / "x")) is s1
    assert Store.open(Settings(data_dir=tmp_path / "x" / ".." / "x")) is s1
    assert Store.open(Settings(data_dir=tmp_path / "y")) is not s1


def test_two_processes_lose_nothing(settings):
    Store(settings)  # create the folder first
    procs = [child(settings.data_dir, tag, 40) for tag in ("a", "b")]
    outs = [p.communicate(timeout=60)[0].split() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert [len(o) for o in outs] == [40, 40]
    ids = {j.id for j in Store(settings).list_jobs()}
    assert ids == set(outs[0]) | set(outs[1])


def test_sigkill_during_writes_keeps_every_committed_record(settings):
    Store(settings)
    rng = random.Random(1234)
    committed: set[str] = set()
    deadline = time.monotonic() + 12
    runs = 0
    while runs < 20 and time.monotonic() < deadline:
        p = child(settings.data_dir, f"k{runs}", -1)
        first = p.stdout.readline()  # the child is writing now
        time.sleep(rng.uniform(0.0, 0.08))
        p.send_signal(signal.SIGKILL)
        rest = p.communicate(timeout=30)[0]
        committed |= {line for line in (first + rest).split("\n") if line}  # only whole lines
        runs += 1
        store = Store(settings)  # opening cleans the killed writer's temp files
        assert temp_files(settings.data_dir) == []
        missing = committed - {j.id for j in store.list_jobs()}
        assert not missing, f"run {runs}: lost {sorted(missing)[:5]}"
        json.loads(settings.db_path.read_text(encoding="utf-8"))
    assert runs >= 8 and len(committed) > runs


# --- damage and recovery ------------------------------------------------------------------------


def test_torn_main_file_recovers_from_backup(settings, store, caplog):
    for pid in ("a", "b", "c"):
        store.save_project(Project(id=pid, title=pid, script=""))
    bak = settings.db_path.with_name("vidgen.json.bak")
    assert {p["id"] for p in json.loads(bak.read_text())["projects"].values()} == {"a", "b"}
    raw = settings.db_path.read_bytes()
    settings.db_path.write_bytes(raw[: len(raw) // 2])

    fresh = Store(settings)
    with caplog.at_level(logging.WARNING, logger="vidgen.store"):
        assert {p.id for p in fresh.list_projects()} == {"a", "b"}  # the last write is what is lost
    assert "damaged" in caplog.text and "vidgen.json.bak" in caplog.text
    fresh.save_project(Project(id="d", title="d", script=""))  # repairs the main file...
    assert {p["id"] for p in json.loads(settings.db_path.read_text())["projects"].values()} == {"a", "b", "d"}
    json.loads(bak.read_text())  # ...and never made the torn file the backup


def test_both_files_damaged_raises_and_keeps_them(settings, store):
    store.save_project(Project(id="a", title="a", script=""))
    store.save_project(Project(id="b", title="b", script=""))
    bak = settings.db_path.with_name("vidgen.json.bak")
    settings.db_path.write_bytes(b'{"projects": {"1": {"id"')
    bak.write_bytes(b"\x00\x00garbage")
    with pytest.raises(VidgenError, match="vidgen.json is damaged") as err:
        Store(settings).list_projects()
    assert str(settings.db_path) in str(err.value) and "backup" in str(err.value)
    with pytest.raises(VidgenError):
        Store(settings).save_project(Project(id="c", title="c", script=""))
    assert settings.db_path.read_bytes() == b'{"projects": {"1": {"id"'  # never wiped
    assert bak.read_bytes() == b"\x00\x00garbage"


def test_empty_main_file_is_a_new_database(settings):
    settings.data_dir.mkdir(parents=True)
    settings.db_path.write_bytes(b"")
    s = Store(settings)
    assert s.list_projects() == []
    s.save_project(Project(id="a", title="a", script=""))
    assert [p.id for p in Store(settings).list_projects()] == ["a"]


def test_disk_full_on_db_write_keeps_old_content(settings, store, monkeypatch):
    store.save_project(Project(id="a", title="a", script=""))
    before = settings.db_path.read_bytes()
    real_replace = os.replace

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(VidgenError, match="Disk full while saving the database"):
        store.save_project(Project(id="b", title="b", script=""))
    monkeypatch.setattr(os, "replace", real_replace)
    assert settings.db_path.read_bytes() == before
    assert temp_files(settings.data_dir) == []
    assert [p.id for p in store.list_projects()] == ["a"]  # the same instance did not keep the failed change
    store.save_project(Project(id="c", title="c", script=""))
    assert {p.id for p in Store(settings).list_projects()} == {"a", "c"}


def test_read_only_folder_gives_clear_message(settings, store, monkeypatch):
    store.save_project(Project(id="a", title="a", script=""))
    before = settings.db_path.read_bytes()

    def denied(*args, **kwargs):
        raise PermissionError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("tempfile.mkstemp", denied)
    with pytest.raises(VidgenError, match=r"Cannot write to .* VIDGEN_DATA"):
        store.save_project(Project(id="b", title="b", script=""))
    assert settings.db_path.read_bytes() == before


def test_storage_alone_round_trips(tmp_path):
    st = AtomicJSONStorage(tmp_path / "db.json")
    assert st.read() is None
    st.write({"t": {"1": {"x": "ü"}}})
    st.write({"t": {"1": {"x": "ü"}, "2": {"x": 2}}})
    assert st.read() == {"t": {"1": {"x": "ü"}, "2": {"x": 2}}}
    assert json.loads((tmp_path / "db.json.bak").read_text()) == {"t": {"1": {"x": "ü"}}}
    (tmp_path / ".db.json.tmp-leftover").write_text("x")
    assert st.clean_stale() == 1


def test_the_kept_parse_gives_each_read_its_own_objects_and_sees_other_writers(tmp_path):
    st, other = AtomicJSONStorage(tmp_path / "db.json"), AtomicJSONStorage(tmp_path / "db.json")
    st.write({"t": {"1": {"tags": ["a"]}}})
    first = st.read()
    first["t"]["1"]["tags"].append("changed by a caller")  # never saved
    assert st.read() == {"t": {"1": {"tags": ["a"]}}}
    other.write({"t": {"1": {"tags": ["b"]}}})  # another process's write: a new file in place
    assert st.read() == {"t": {"1": {"tags": ["b"]}}}
    (tmp_path / "db.json").unlink()
    (tmp_path / "db.json.bak").unlink()
    assert st.read() is None


def test_a_built_project_shares_no_list_with_the_store(store):
    project = store.save_project(Project(id="p1", title="T", script="x", settings=RenderSettings(),
                                         scenes=[Scene(number=1, heading="H", camera=["zoom_in"])]))
    got = store.get_project(project.id)
    got.scenes[0].camera.append("pan_left")
    got.scenes.append(Scene(number=2, heading="unsaved"))
    again = store.get_project(project.id)
    assert again.scenes[0].camera == ["zoom_in"] and len(again.scenes) == 1


# --- assets -------------------------------------------------------------------------------------


def test_add_file_dedupes_and_moves(tmp_path, settings, store):
    src = tmp_path / "Shot.PNG"
    src.write_bytes(b"\x89PNG same bytes")
    a = store.add_file(src, type="image", meta={"w": 1})
    assert src.exists() and a.size == len(b"\x89PNG same bytes") and a.name == "Shot.PNG"
    assert a.path.endswith(".png") and store.asset_path(a).read_bytes() == src.read_bytes()

    again = store.add_file(src, type="image", name="other")
    assert again == a  # first record wins
    dup = tmp_path / "dup.png"
    dup.write_bytes(src.read_bytes())
    assert store.add_file(dup, type="image", move=True) == a
    assert not dup.exists()

    new = tmp_path / "voice.wav"
    new.write_bytes(b"RIFF new audio")
    b = store.add_file(new, type="audio", move=True)
    assert not new.exists() and store.asset_path(b).read_bytes() == b"RIFF new audio"
    assert {x.id for x in store.list_assets()} == {a.id, b.id}
    assert [x.id for x in store.list_assets("audio")] == [b.id]
    assert list((settings.assets_dir / ".incoming").iterdir()) == []

    with pytest.raises(VidgenError, match="No file"):
        store.add_file(tmp_path / "missing.png", type="image")


def test_missing_asset_file_is_reported_and_repaired(store):
    a = store.add_bytes(b"data", type="data", ext="bin")
    store.asset_path(a).unlink()
    with pytest.raises(VidgenError, match="missing"):
        store.asset_path(a.id)
    assert store.add_bytes(b"data", type="data", ext="bin") == a  # the same bytes put the file back
    assert store.asset_path(a).read_bytes() == b"data"


def test_disk_full_while_storing_a_file(tmp_path, settings, store, monkeypatch):
    src = tmp_path / "big.mp4"
    src.write_bytes(b"x" * 1000)
    before = settings.db_path.read_bytes() if settings.db_path.exists() else b""

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(VidgenError, match="Disk full while storing big.mp4: free some space"):
        store.add_file(src, type="video")
    with pytest.raises(VidgenError, match="Disk full while storing big.mp4"):
        store.add_file(src, type="video", move=True)
    monkeypatch.undo()
    assert src.read_bytes() == b"x" * 1000  # a failed move gives the file back
    leftovers = [p for p in settings.assets_dir.rglob("*") if p.is_file()]
    assert leftovers == []
    assert (settings.db_path.read_bytes() if settings.db_path.exists() else b"") == before
    assert store.list_assets() == []

    # The file is in place but the record cannot be saved: a moved file still comes back.
    def full_db(self):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(AtomicJSONStorage, "_backup_current", full_db)
    settings.db_path.write_bytes(b"{}")  # an existing file, so a backup is attempted
    with pytest.raises(VidgenError, match="Disk full while saving the database"):
        store.add_file(src, type="video", move=True)
    monkeypatch.undo()
    assert src.read_bytes() == b"x" * 1000
    assert [p for p in settings.assets_dir.rglob("*") if p.is_file()] == []
    assert store.list_assets() == []


# --- step cache ---------------------------------------------------------------------------------


def test_step_cache_invalidates_on_missing_or_changed_file(store):
    img = store.add_bytes(b"image", type="image", ext="png")
    wav = store.add_bytes(b"voice", type="audio", ext="wav")
    store.put_step("k1", "image", {"image": img.id, "voice": wav.id}, {"seed": 1})
    rec = store.get_step("k1")
    assert rec["outputs"] == {"image": img.id, "voice": wav.id} and rec["data"] == {"seed": 1} and rec["name"] == "image"
    assert rec["key"] == "k1" and rec["created"] > 0

    store.asset_path(wav).unlink()
    assert store.get_step("k1") is None
    store.add_bytes(b"voice", type="audio", ext="wav")  # file back, but the entry was dropped
    assert store.get_step("k1") is None

    store.put_step("k2", "image", {"image": img.id})
    store.asset_path(img).write_bytes(b"imag")  # changed size
    assert store.get_step("k2") is None
    assert store.get_step("never") is None
    with pytest.raises(ValueError, match="unknown asset"):
        store.put_step("k3", "image", {"image": "f" * 64})


# --- interrupted jobs ---------------------------------------------------------------------------


def test_mark_interrupted(store):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid is free
    host = socket.gethostname()
    store.save_job(Job(id="dead", project_id="p", status="running", pid=dead.pid, host=host, started=time.time()))
    store.save_job(Job(id="nopid", project_id="p", status="running", pid=0, host=host))
    store.save_job(Job(id="live", project_id="p", status="running", pid=os.getpid(), host=host, started=time.time()))
    store.save_job(Job(id="remote", project_id="p", status="running", pid=dead.pid, host=host + "-elsewhere"))
    store.save_job(Job(id="done", project_id="p", status="completed", pid=dead.pid, host=host))

    assert sorted(store.mark_interrupted()) == ["dead", "nopid"]
    d = store.get_job("dead")
    assert d.status == "interrupted" and "python -m vidgen resume dead" in d.message
    assert store.get_job("live").status == "running"
    assert store.get_job("remote").status == "running"
    assert store.get_job("done").status == "completed"
    assert store.mark_interrupted() == []


def test_busy_lock_times_out_with_a_clear_message(settings):
    import filelock

    store = Store(settings, lock_timeout=0.2)
    other = filelock.FileLock(str(settings.db_path) + ".lock")
    with other:
        with pytest.raises(VidgenError, match="is busy"):
            store.list_projects()
    assert store.list_projects() == []


def test_move_of_a_symlink_copies_the_target(tmp_path, store):
    target = tmp_path / "real.wav"
    target.write_bytes(b"RIFF linked")
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    a = store.add_file(link, type="audio", move=True)
    path = store.asset_path(a)
    assert not path.is_symlink() and path.read_bytes() == b"RIFF linked"
    assert not link.exists() and target.exists()
    odd = tmp_path / "notes.ü~"
    odd.write_bytes(b"odd")
    assert store.add_file(odd, type="data").path.endswith(store.add_bytes(b"odd", type="data", ext="").id)


def test_store_errors_callers_see_name_no_folder(settings, store, monkeypatch, caplog):
    """These lines reach API callers: "the data folder", an asset's id or name, never a server path;
    the log (the operator's) keeps the path."""
    import filelock

    folder = str(settings.data_dir)
    with pytest.raises(VidgenError) as missing:
        store.get_asset("../../etc/passwd")
    assert str(missing.value) == "No asset '../../etc/passwd': add the file again (upload it)."
    with pytest.raises(VidgenError) as long_id:
        store.get_asset("y" * 5000)
    assert len(str(long_id.value)) < 160
    asset = store.add_bytes(b"abc", type="data", ext=".bin", name="notes.bin")
    store.asset_path(asset).unlink()
    with pytest.raises(VidgenError, match="'notes.bin' is missing from the data folder") as gone:
        store.asset_path(asset.id)
    assert folder not in str(gone.value) and folder in caplog.text

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", denied)
    for attempt in (lambda: store.save_project(Project(id="b", title="b", script="")),
                    lambda: store.add_bytes(b"xyz", type="data", ext=".bin")):
        with pytest.raises(VidgenError, match="Cannot write to the data folder") as e:
            attempt()
        assert folder not in str(e.value)
    monkeypatch.undo()
    busy = Store(settings, lock_timeout=0.1)
    with filelock.FileLock(str(settings.db_path) + ".lock"):
        with pytest.raises(VidgenError, match="is busy") as e:
            busy.list_projects()
    assert folder not in str(e.value)
