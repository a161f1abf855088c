"""Shared fixtures: a fresh data folder's settings, its store and a studio on it, and the small scripts
the tests render. A test file that needs something different defines its own fixture of the same
name (pytest then uses the file's), e.g. test_store.py's `settings` without the environment."""

import os

import pytest

from vidgen.config import Settings
from vidgen.store import Store

from tests.scripts import HARBOUR, HARBOUR3


def pytest_collection_modifyitems(config, items):
    if os.environ.get("RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="needs real weights or a GPU: set RUN_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture()
def settings(tmp_path) -> Settings:
    """The settings of an empty data folder of this test (`tmp_path/data`), read as the CLI and studio do."""
    return Settings.from_env(tmp_path / "data")


@pytest.fixture()
def store(settings) -> Store:
    return Store(settings)


@pytest.fixture()
def studio(settings, tmp_path):
    """A studio on `settings`, with a GPU lane of its own; the test's files stand in for uploads."""
    from vidgen.jobs import GpuLane
    from vidgen.studio import Studio

    s = Studio(settings, lane=GpuLane(), upload_roots=[tmp_path])
    yield s
    s.shutdown(timeout=120)


@pytest.fixture()
def harbour() -> str:
    """Two short narrated scenes."""
    return HARBOUR


@pytest.fixture()
def harbour3() -> str:
    """The two scenes of `harbour` and a third."""
    return HARBOUR3
