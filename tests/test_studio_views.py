"""What the studio shows while and after it works (issue 17): the timeline strip's blocks (sized by
duration, picture, waveform, escaped text), a render's previews as its steps finish, progress in
words, projects named by their titles."""

from __future__ import annotations

import re
from pathlib import Path

from vidgen.domain import ProgressEvent
from vidgen.ui.common import job_rows, live_cards, progress_words
from vidgen.ui.timeline_strip import strip_html, waveform

from .test_scene_ops import SCRIPT, TINY


def flexes(page: str) -> list[float]:
    return [float(x) for x in re.findall(r"tl-block[^']*' data-scene='\d+' style=\"flex: ([0-9.]+)", page)]


def test_the_timeline_strip_before_and_after_a_render(studio):
    p = studio.create_project(SCRIPT, "Road", TINY)
    studio.update_scene(p["id"], 1, {"heading": "<script>alert(1)</script> & KITCHEN"})
    before = studio.timeline(p["id"])
    assert [b["measured"] for b in before["blocks"]] == [False] * 3 and not any(b["image"] for b in before["blocks"])
    page = strip_html(before["blocks"], before["music"])
    assert page.count("data-scene=") == 3 and "<script>" not in page and "&lt;script&gt;" in page
    assert "tl-estimated" in page and "music: your file" not in page

    done = studio.wait(studio.start_render(p["id"]))
    assert done["status"] == "completed", done.get("error")
    after = studio.timeline(p["id"])["blocks"]
    assert all(b["measured"] and Path(b["image"]).is_file() and Path(b["speech"]).is_file() for b in after)
    page = strip_html(after, "none")
    widths = flexes(page)
    assert abs(sum(widths) - 1) < 0.01 and len(widths) == 3
    longest = max(range(3), key=lambda i: after[i]["seconds"])
    assert widths[longest] == max(widths)  # a block is as wide as its share of the film
    assert "no music" in page and page.count("<rect") >= 3 * 40  # a waveform under every block
    wave = waveform(after[0]["speech"])
    assert len(wave) == 48 and max(wave) == 1.0 and min(wave) < 0.5  # speech and its pauses

    made = studio.job_previews(done["id"])
    assert [m["scene"] for m in made] == [1, 2, 3]
    assert all(Path(m["image"]).is_file() and Path(m["clip"]).suffix == ".mp4" for m in made)
    assert live_cards(made) == [(m["image"], f"Scene {m['scene']}") for m in made]


def test_progress_in_words_and_projects_by_title():
    assert progress_words(ProgressEvent("voice", 0.5, 0.3, "Scene 2/6: voice", scene=2), 6) == "Scene 2 of 6: voice"
    assert progress_words(ProgressEvent("assembly", 0.1, 0.9, "mixing")) == "Assembling the film: mixing"
    rows = job_rows([{"id": "j1", "project_id": "p1", "status": "completed"}], {"p1": "The Road"})
    assert rows[0][1] == "The Road"
    assert job_rows([{"id": "j2", "project_id": "gone"}], {})[0][1] == "gone"  # a deleted project keeps its id
