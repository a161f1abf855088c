"""The LLM script reader, driven through the real `ollama` client against a STAND-IN server
(tests/ollama_standin.py: it is not Ollama and runs no model; it checks each request and answers
with recorded responses from tests/data/ollama/). A real server is the RUN_SLOW test at the end."""

from __future__ import annotations

import subprocess
import sys
import time

import ollama
import pytest

from vidgen.errors import Cancelled, VidgenError
from vidgen.models import ollama_server
from vidgen.services.script import parse_script
from vidgen.services.script.llm import read_with_llm
from vidgen.services.script.llm.chunks import plan_chunks
from vidgen.services.script.llm.schema import reader_schema

from tests.ollama_standin import Reply, dead_host, real_ollama_model, recorded, running

MODEL = "llama3.1:8b"


@pytest.fixture()
def standin():
    """The stand-in Ollama server (tests/ollama_standin.py), failing the test on a request it refused."""
    with running() as server:
        yield server

BAKER = """Title: The Baker's Dawn

INT. BAKERY - NIGHT

Rain hammers the windows. Old Henrik kneads dough under a single bulb.

MARIA
(whispering)
Is the bread ready?

HENRIK
Always, for you.

EXT. HARBOUR - DAWN

Fog lies on the water. Gulls cry over the boats.

MARIA
The boats are late today.

HENRIK
(laughing)
They always are
when it storms.

INT. BAKERY - DAY

Sunlight fills the shop. Customers queue at the counter.

MARIA
Two loaves, please. And one for the fisherman.
"""

LONG = BAKER + """
INT. BAKERY - NIGHT

The ovens glow. Maria counts the coins on the table.

MARIA
Enough for the new oven.

EXT. HARBOUR - DAY

The boats come in. Fishermen wave from the decks.

HENRIK
There they are!

MARIA
Just in time.

EXT. VILLAGE STREET - DUSK

Snow begins to fall on the cobbles.

MARIA
Goodnight, Henrik.

HENRIK
Goodnight, child.
"""
LONG_CHUNK = 330  # two scenes a chunk


def spoken(parsed):
    return [[(ln.speaker, ln.text) for ln in sc.lines] for sc in parsed.scenes]


def test_the_standin_refuses_a_chat_without_the_schema(standin):
    """The stand-in's check is real: a request with no JSON schema in `format` is refused and recorded."""
    client = ollama.Client(host=standin.host, timeout=5)
    with pytest.raises(ollama.ResponseError, match="without a JSON schema"):
        client.chat(model=MODEL, messages=[{"role": "user", "content": "hi"}], options={"temperature": 0, "seed": 1,
                                                                                        "num_ctx": 4096})
    assert standin.problems == ["a chat request without a JSON schema in `format`"]
    standin.problems.clear()


def test_the_reader_sends_the_schema_temperature_0_and_a_seed(standin):
    standin.answers = ["reader_baker.json"]
    rules = parse_script(BAKER)
    read_with_llm(BAKER, MODEL, rules, host=standin.host)
    (body,) = standin.chats()
    assert body["model"] == MODEL and body["stream"] is False
    assert body["format"] == reader_schema()
    assert set(body["format"]["$defs"]["SceneNotes"]["properties"]["mood"]["enum"]) == {
        "joyful", "calm", "sad", "tense", "mysterious", "romantic", "epic", "neutral"}
    opts = body["options"]
    assert opts["temperature"] == 0 and isinstance(opts["seed"], int) and opts["num_ctx"] >= 4096
    assert 512 <= opts["num_predict"] <= opts["num_ctx"]
    prompt = body["messages"][-1]["content"]
    for sc in rules.scenes:
        assert f"=== SCENE {sc.number} ===" in prompt and sc.text.strip() in prompt


def test_annotations_land_in_the_parsed_script(standin):
    standin.answers = ["reader_baker.json"]
    rules = parse_script(BAKER)
    got = read_with_llm(BAKER, MODEL, rules, host=standin.host)
    assert got.parser == MODEL and got.notes == [] and got.title == rules.title and got.form == "fountain"
    first, harbour, day = got.scenes
    assert (first.weather, first.shot, first.camera, first.time_of_day, first.interior) == (
        "rain", "medium", ["zoom_in"], "night", True)
    assert (harbour.weather, harbour.shot, harbour.mood, harbour.interior) == ("fog", "wide", "mysterious", False)
    assert day.shot == "over the shoulder" and day.mood == "joyful"
    assert first.visual.startswith("A dim stone bakery at night") and first.sounds == ["rain hammering the windows"]
    assert first.heading == "INT. BAKERY - NIGHT"  # the script's heading is kept
    assert [ln.delivery for ln in first.lines] == ["whispered", "warm"]
    assert first.lines[0].parenthetical == "whispering"  # the rules' reading of the cue is kept
    people = {c.name: c for c in got.characters}
    assert set(people) == {"Maria", "Henrik"}  # "HENRIK" in the answer is the rules' Henrik
    assert people["Henrik"].description == "a stooped old baker with a white beard and strong forearms"
    assert people["Henrik"].age == "about seventy" and people["Henrik"].scenes == [1, 2]
    assert people["Maria"].clothing == "a blue apron over a grey wool dress" and people["Maria"].scenes == [1, 2, 3]


def test_the_spoken_words_stay_the_scripts(standin):
    standin.answers = ["reader_baker.json"]
    rules = parse_script(BAKER)
    got = read_with_llm(BAKER, MODEL, rules, host=standin.host)
    assert spoken(got) == spoken(rules)
    assert got.scenes[1].lines[1].text == "They always are when it storms."  # two source lines, one speech
    assert [sc.text for sc in got.scenes] == [sc.text for sc in rules.scenes]


@pytest.mark.parametrize("answer, note", [
    ("reader_invalid_json.json", "Scenes 1–3: the answer is not valid JSON"),
    ("reader_schema_violation.json", "Scenes 1–3: the answer does not match the schema (scenes.0.mood:"),
    ("reader_invented_line.json", "Scenes 1–3: the LLM changed or invented spoken words (“The sea gives and the sea "
                                  "takes.” is not in the script)"),
    ("reader_dropped_line.json", "Scenes 1–3: the LLM dropped spoken words (“Always, for you.”)"),
    ("reader_rewritten_line.json", "Scenes 1–3: the LLM changed or invented spoken words (“Is the bread done yet?”"),
    ("reader_two_scenes.json", "Scenes 1–3: the LLM returned 2 scenes for 3"),
])
def test_a_broken_answer_falls_back_to_the_rules_with_a_note(standin, answer, note):
    standin.answers = [answer]
    rules = parse_script(BAKER)
    got = read_with_llm(BAKER, MODEL, rules, host=standin.host)
    (line,) = got.notes
    assert line.startswith(note) and line.endswith("read by the rules instead.") and "\n" not in line
    assert got.scenes == rules.scenes and got.characters == rules.characters and got.parser == MODEL


def test_an_answer_that_adds_unspoken_words_falls_back(standin):
    """An action line read aloud is in the script, but the rules do not speak it: refused too."""
    standin.answers = ["reader_baker.json"]
    rules = parse_script(BAKER)
    rules.scenes[0].lines.pop()  # as if the rules had not heard Henrik: the answer now adds his words
    got = read_with_llm(BAKER, MODEL, rules, host=standin.host)
    assert got.notes == ["Scenes 1–3: the LLM spoke words the script does not (“always for you”); "
                         "read by the rules instead."]


def test_a_slow_answer_times_out_within_its_bound_and_falls_back(standin):
    standin.answers = [Reply(file="reader_baker.json", delay=30)]
    rules = parse_script(BAKER)
    start = time.monotonic()
    got = read_with_llm(BAKER, MODEL, rules, host=standin.host, timeout=1.0)
    assert time.monotonic() - start < 6
    assert got.notes == [f"Scenes 1–3: {MODEL} did not answer within 1 s; read by the rules instead."]
    assert spoken(got) == spoken(rules)


def test_two_timeouts_in_a_row_leave_the_rest_to_the_rules(standin):
    standin.answers = [Reply(file="reader_long_1.json", delay=30), Reply(file="reader_long_2.json", delay=30)]
    rules = parse_script(LONG)
    start = time.monotonic()
    got = read_with_llm(LONG, MODEL, rules, host=standin.host, timeout=0.5, chunk_chars=LONG_CHUNK)
    assert time.monotonic() - start < 8 and len(standin.chats()) == 2  # the third chunk is not asked
    assert got.notes[1] == (f"Scenes 3–4 (and the scenes after it): {MODEL} did not answer within 0.5 s; "
                            "read by the rules instead.")
    assert got.scenes == rules.scenes


def test_a_server_error_falls_back_for_that_chunk(standin):
    standin.answers = [Reply(status=500, error="llama runner process has terminated: signal: killed")]
    got = read_with_llm(BAKER, MODEL, parse_script(BAKER), host=standin.host)
    (line,) = got.notes
    assert line.startswith("Scenes 1–3: The Ollama server at 127.0.0.1:") and "llama runner process has terminated" in line
    assert "(HTTP 500)" in line and line.endswith("Read by the rules instead.")


def test_a_missing_model_fails_fast_naming_the_pull(standin):
    with pytest.raises(VidgenError) as err:
        read_with_llm(BAKER, "qwen2.5:7b", parse_script(BAKER), host=standin.host)
    assert str(err.value) == (f"The Ollama server at {standin.host} does not have the model qwen2.5:7b: run "
                              "`ollama pull qwen2.5:7b` or `python -m vidgen models download qwen2.5-7b`, then try again.")
    assert standin.chats() == []


def test_no_server_fails_fast_saying_what_to_run():
    host = dead_host()
    start = time.monotonic()
    with pytest.raises(ollama_server.ServerDown) as err:
        read_with_llm(BAKER, MODEL, parse_script(BAKER), host=host)
    assert time.monotonic() - start < 3
    assert str(err.value).startswith(f"No Ollama server answers at {host}: install Ollama (ollama.com), run "
                                     "`ollama serve`")


def test_a_long_script_is_read_in_chunks_with_the_scene_before_as_context(standin):
    rules = parse_script(LONG)
    assert [[s.number for s in c.scenes] for c in plan_chunks(rules.scenes, LONG_CHUNK)] == [[1, 2], [3, 4], [5, 6]]
    standin.answers = ["reader_long_1.json", "reader_long_2.json", "reader_long_3.json"]
    seen = []
    got = read_with_llm(LONG, MODEL, rules, host=standin.host, chunk_chars=LONG_CHUNK,
                        progress=lambda f, m: seen.append(f))
    assert got.notes == [] and [s.number for s in got.scenes] == [1, 2, 3, 4, 5, 6]
    assert spoken(got) == spoken(rules)
    first, second, third = (b["messages"][-1]["content"] for b in standin.chats())
    assert "for context only" not in first
    assert "for context only" in second and rules.scenes[1].text.strip() in second.split("=== SCENE 3 ===")[0]
    assert "=== SCENE 3 ===" in second and "=== SCENE 4 ===" in second and "=== SCENE 5 ===" not in second
    assert "Characters described earlier" in third and "flour on her cheeks" in third  # chunk 2's Maria, passed on
    assert seen == sorted(seen) and seen[-1] == 1.0
    people = {c.name: c for c in got.characters}
    assert set(people) == {"Maria", "Henrik"}  # MARIA, "maria " and Maria are one character
    assert people["Maria"].description.endswith("flour on her cheeks and a quick smile")  # the richest one
    assert people["Maria"].scenes == [1, 2, 3, 4, 5, 6] and people["Henrik"].scenes == [1, 2, 5, 6]
    assert got.scenes[4].weather == "wind" and got.scenes[5].weather == "snow"
    assert [ln.speaker for ln in got.scenes[4].lines] == ["Henrik", "Maria"]


def test_one_bad_chunk_falls_back_alone(standin):
    standin.answers = ["reader_long_1.json", "reader_invalid_json.json", "reader_long_3.json"]
    rules = parse_script(LONG)
    got = read_with_llm(LONG, MODEL, rules, host=standin.host, chunk_chars=LONG_CHUNK)
    (line,) = got.notes
    assert line.startswith("Scenes 3–4: the answer is not valid JSON")
    assert got.scenes[2:4] == rules.scenes[2:4]
    assert got.scenes[0].weather == "rain" and got.scenes[5].weather == "snow"


def test_cancel_is_checked_before_each_chunk(standin):
    standin.answers = ["reader_long_1.json", "reader_long_2.json", "reader_long_3.json"]
    calls = []

    def cancel():
        calls.append(1)
        if len(calls) == 2:
            raise Cancelled()

    with pytest.raises(Cancelled):
        read_with_llm(LONG, MODEL, parse_script(LONG), host=standin.host, chunk_chars=LONG_CHUNK, cancel=cancel)
    assert len(standin.chats()) == 1


def test_bad_arguments_are_refused_in_one_line():
    rules = parse_script(BAKER)
    with pytest.raises(VidgenError, match="'Llama 3' is not an Ollama model tag"):
        read_with_llm(BAKER, "Llama 3", rules)
    with pytest.raises(VidgenError, match="timeout must be more than 0"):
        read_with_llm(BAKER, MODEL, rules, timeout=0)


def test_importing_vidgen_imports_neither_ollama_nor_pydantic():
    code = ("import sys, vidgen, vidgen.studio, vidgen.models.hub, vidgen.services.script.llm; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ollama', 'pydantic', 'httpx')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_real_ollama_server_reads_the_script():
    """A real Ollama at OLLAMA_HOST with VIDGEN_TEST_OLLAMA_MODEL (default llama3.1:8b) pulled (RUN_SLOW=1)."""
    model = real_ollama_model(MODEL)
    rules = parse_script(BAKER)
    got = read_with_llm(BAKER, model, rules, timeout=600)
    assert got.parser == model and len(got.scenes) == 3
    assert spoken(got) == spoken(rules)  # whatever the model answered, the words are the script's
    if not got.notes:  # the model's reading was kept: it annotated
        assert all(sc.visual and sc.mood for sc in got.scenes)
        assert {c.name for c in got.characters} >= {"Maria", "Henrik"}


def test_the_picture_plan_the_model_sees_lands_in_the_scene(standin):
    """Place, season, lights, props and figures (characters by name) go into Scene.plan; the schema asks
    for them from the domain's vocabularies."""
    import json as _json

    answer = recorded("reader_baker.json")
    content = _json.loads(answer["message"]["content"])
    content["scenes"][0].update(place="bakery", season="winter", lights=["lamp", "fire"], props=["bread", "oven"],
                                figures=[{"name": "HENRIK", "age": "adult", "action": "stand"},
                                         {"name": "", "age": "child", "action": "run"}])
    answer["message"]["content"] = _json.dumps(content)
    standin.answers = [Reply(build=lambda body: answer)]
    got = read_with_llm(BAKER, MODEL, parse_script(BAKER), host=standin.host)
    plan = got.scenes[0].plan
    assert (plan.place, plan.season) == ("bakery", "winter") and {"lamp", "fire"} <= set(plan.lights)
    assert {"bread", "oven"} <= set(plan.props)
    assert [(f.name, f.age, f.action) for f in plan.figures] == [("Henrik", "adult", "stand"), ("", "child", "run")]
    props = reader_schema()["$defs"]["SceneNotes"]["properties"]["props"]
    assert "boat" in props["items"]["enum"] and "spaceship" not in props["items"]["enum"]
