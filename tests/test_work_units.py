"""Each step's work is a picklable unit (pipeline/executor.py's `Work`, issue 20): a render through an
executor that pickles every unit and runs the copy makes the same steps, keys and film as a plain one.

Speech is not the same bytes twice (Piper's noise cannot be seeded, and its lengths vary; eSpeak's
samples vary too), so the keys after it differ from one data folder to another whatever runs the steps
(on main as well): the full comparison is of a silent film (voice "none", estimated timings); with
eSpeak, every key but the assembly's (keyed by the speech assets) is compared; Piper's units (the
voice with its phonemes file, the lip sync from them) are pickled and run in the Kitchen case.
"""

from __future__ import annotations

import pickle

import pytest

from vidgen.config import Settings
from vidgen.domain import RenderSettings
from vidgen.jobs import new_job, run_job
from vidgen.media import probe
from vidgen.pipeline import RenderWork, create_project
from vidgen.pipeline.executor import LocalExecutor
from vidgen.store import Store

from tests.scripts import HARBOUR
from tests.test_lipsync_render import KITCHEN

SETTINGS = {"resolution": "480p", "fps": 12, "quality": "draft"}


class PicklingExecutor(LocalExecutor):
    """Runs an unpickled copy of each unit: a closure, lock or store in a Work fails the pickling."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, int | None, str]] = []

    def run(self, work, progress, cancel):
        copy = pickle.loads(pickle.dumps(work))
        self.ran.append((copy.name, copy.scene, copy.fn.__name__))
        return super().run(copy, progress, cancel)


def _render(store: Store, script: str, voice: str, executor=None):
    project = create_project(store, script, settings=RenderSettings(**SETTINGS, voice=voice))
    job = new_job(store, project.id)
    return run_job(store, job.id, RenderWork(store, project.id, executor=executor))


@pytest.mark.parametrize("script, voice, kinds, compare", [
    (HARBOUR, "none", {"image", "animation", "effects", "music", "assembly"}, "all"),
    (HARBOUR, "espeak-ng", {"image", "voice", "animation", "effects", "music", "assembly"}, "before assembly"),
    (KITCHEN, "", {"image", "voice", "animation", "lipsync", "music", "assembly"}, ""),
], ids=["harbour-silent", "harbour-espeak", "kitchen-piper"])
def test_every_step_runs_as_a_pickled_unit_with_the_same_keys_and_film(store, tmp_path, script, voice, kinds,
                                                                       compare):
    executor = PicklingExecutor()
    job = _render(store, script, voice or RenderSettings().voice, executor)
    assert job.status == "completed", job.error
    made = {(s.name, s.scene) for s in job.steps if not s.cached}
    assert {(name, scene) for name, scene, _ in executor.ran} == made  # every step made went through `run`
    assert kinds <= {name for name, _ in made}
    assert len(executor.ran) == len(made)
    if not compare:  # Piper: its phonemes file came back from the unit, and the mouths moved
        assert any(s.name == "voice" and store.get_step(s.key)["outputs"].get("phones") for s in job.steps)
        assert any(s.name == "lipsync" and store.get_step(s.key)["data"]["changed"] for s in job.steps)
        return
    plain = _render(Store(Settings.from_env(tmp_path / "other")), script, voice)
    assert plain.status == "completed", plain.error
    keys = [(s.name, s.scene, s.key) for s in job.steps]
    plain_keys = [(s.name, s.scene, s.key) for s in plain.steps]
    if compare == "all":
        assert keys == plain_keys
    else:
        assert [k for k in keys if k[0] != "assembly"] == [k for k in plain_keys if k[0] != "assembly"]
    assert probe(job.result["video"]).duration == pytest.approx(probe(plain.result["video"]).duration, abs=1e-3)
