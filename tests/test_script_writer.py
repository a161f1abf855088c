"""Writing a script from a topic, through the real `ollama` client against a STAND-IN server
(tests/ollama_standin.py, not Ollama; recorded answers in tests/data/ollama/). The promise tested
here: the rule parser reads the text back with exactly the scenes, speakers and words of the
model's JSON."""

from __future__ import annotations

import json
import time

import pytest

from vidgen.errors import VidgenError
from vidgen.models import ollama_server
from vidgen.services.script import parse_script
from vidgen.services.script.llm import write_script
from vidgen.services.script.llm.schema import writer_schema
from vidgen.services.script.llm.writer import expected_reading, read_back_problem

from tests.ollama_standin import Reply, dead_host, real_ollama_model, recorded, running

MODEL = "llama3.1:8b"


@pytest.fixture()
def standin():
    """The stand-in Ollama server (tests/ollama_standin.py), failing the test on a request it refused."""
    with running() as server:
        yield server


@pytest.fixture()
def writer_standin(standin):
    standin.temperature = 0.7  # what the writer documents it sends (some variety, a fixed seed)
    return standin


def answer_json(name: str) -> dict:
    return json.loads(recorded(name)["message"]["content"])


def test_the_writer_sends_its_schema_and_asks_for_the_length(writer_standin):
    writer_standin.answers = ["writer_narrated.json"]
    write_script("how a village bakery starts its day", model=MODEL, minutes=2, tone="warm, quiet",
                 language="de", host=writer_standin.host)
    (body,) = writer_standin.chats()
    assert body["format"] == writer_schema() and body["stream"] is True
    assert body["options"]["temperature"] == 0.7 and isinstance(body["options"]["seed"], int)
    prompt = body["messages"][-1]["content"]
    assert "Topic: how a village bakery starts its day" in prompt and "about 300 spoken words" in prompt
    assert "German" in prompt and "Tone: warm, quiet" in prompt and "narrator speaks" in prompt


@pytest.mark.parametrize("answer, form", [("writer_narrated.json", "narrated"), ("writer_dialogue.json", "dialogue")])
def test_the_written_script_parses_back_exactly(writer_standin, answer, form):
    writer_standin.answers = [answer]
    text = write_script("a village bakery", model=MODEL, form=form, host=writer_standin.host)
    wrote = answer_json(answer)
    parsed = parse_script(text)
    assert parsed.title == wrote["title"] and parsed.form == "headings"
    assert [sc.heading for sc in parsed.scenes] == [sc["heading"] for sc in wrote["scenes"]]
    assert [sc.visual for sc in parsed.scenes] == [sc["visual"] for sc in wrote["scenes"]]
    assert [[((ln.speaker or "").casefold() or None, ln.text) for ln in sc.lines] for sc in parsed.scenes] == [
        [((ln["speaker"] or "").casefold() or None, ln["text"]) for ln in sc["lines"]] for sc in wrote["scenes"]]
    assert parsed.notes == [] and read_back_problem(text) == ""


def test_dialogue_characters_are_found_by_the_rules(writer_standin):
    writer_standin.answers = ["writer_dialogue.json"]
    parsed = parse_script(write_script("the late boats", model=MODEL, form="dialogue", host=writer_standin.host))
    assert [c.name for c in parsed.characters] == ["Maria", "Old Henrik"]
    assert parsed.characters[1].scenes == [1, 2]


def test_markup_in_an_answer_never_reaches_the_parser(writer_standin):
    writer_standin.answers = ["writer_messy.json"]
    text = write_script("the late boats", model=MODEL, form="dialogue", host=writer_standin.host)
    assert not any(c in text for c in "*[]()#")
    assert text.splitlines()[:4] == ["Title: The Late Boats", "", "Scene 1: Before dawn", "Visual: A dim bakery at night"]
    reading = expected_reading(text)
    # "Summary" would not read as a speaker: renamed; the empty line is dropped; the narrator stays the narrator
    assert reading == [("Before dawn", [("maria", "Is the bread ready?"),
                                        ("character 1", "A baker and his apprentice wait for the boats."),
                                        (None, "Visual: the storm outside.")])]
    assert read_back_problem(text) == ""


def test_progress_grows_to_one(writer_standin):
    writer_standin.answers = ["writer_narrated.json"]
    seen = []
    write_script("a village bakery", model=MODEL, host=writer_standin.host, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) > 4
    assert seen[-1][1] == "Wrote 56 words in 4 scenes"


def test_without_a_server_it_says_what_to_install():
    host = dead_host()
    with pytest.raises(VidgenError) as err:
        write_script("a village bakery", model=MODEL, host=host)
    assert str(err.value) == (f"Writing a script needs a local LLM and no Ollama server answers at {host}: Install "
                              "Ollama (ollama.com), run `ollama serve` and `ollama pull llama3.1:8b`, or set OLLAMA_HOST "
                              "to the server's address.")


def test_a_missing_model_names_the_pull(writer_standin):
    with pytest.raises(ollama_server.ModelMissing, match="run `ollama pull gemma3:4b`"):
        write_script("a village bakery", model="gemma3:4b", host=writer_standin.host)


def test_a_slow_model_stops_at_the_timeout(writer_standin):
    writer_standin.answers = [Reply(file="writer_narrated.json", delay=30)]
    start = time.monotonic()
    with pytest.raises(VidgenError, match=f"^{MODEL} did not finish the script within 1 s"):
        write_script("a village bakery", model=MODEL, host=writer_standin.host, timeout=1)
    assert time.monotonic() - start < 6


def test_an_unusable_answer_is_one_line(writer_standin):
    writer_standin.answers = ["reader_baker.json"]  # valid JSON, the wrong shape
    with pytest.raises(VidgenError, match=r"^llama3\.1:8b did not write a usable script \(the answer does not "
                                          r"match the schema .*\): try again or pick another model\.$"):
        write_script("a village bakery", model=MODEL, host=writer_standin.host)


@pytest.mark.parametrize("kwargs, message", [
    ({"topic": "  "}, "The topic is empty"),
    ({"form": "poem"}, "Unknown form 'poem': use one of narrated, dialogue, storyboard."),
    ({"minutes": 0}, "minutes must be between 0.1 and 60"),
    ({"language": "english!"}, "'english!' is not a language code"),
    ({"model": ""}, "'' is not an Ollama model tag"),
])
def test_bad_requests_are_refused_before_any_call(kwargs, message):
    args = {"topic": "a village bakery", "model": MODEL, "host": dead_host(), **kwargs}
    with pytest.raises(VidgenError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        write_script(args.pop("topic"), **args)


@pytest.mark.slow
def test_a_real_ollama_server_writes_a_script_the_rules_read_back():
    """A real Ollama at OLLAMA_HOST with VIDGEN_TEST_OLLAMA_MODEL (default llama3.1:8b) pulled (RUN_SLOW=1)."""
    model = real_ollama_model(MODEL)
    for form in ("narrated", "dialogue", "storyboard"):
        text = write_script("why lighthouses are painted in stripes", model=model, minutes=0.5, form=form, timeout=600)
        assert read_back_problem(text) == ""
        assert sum(len(ln.text.split()) for sc in parse_script(text).scenes for ln in sc.lines) >= 20
