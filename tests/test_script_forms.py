"""Issue 12: the forms people really paste, one test per failure class found (minimal scripts), plus
the scene words (weather, shot, sounds) and the notes shown before a render. Pure CPU, fast."""

from __future__ import annotations

import time

import pytest

from vidgen.domain import SHOTS, WEATHERS, ParsedScript
from vidgen.errors import VidgenError
from vidgen.services.script import parse_script, read_script_file


def said(ps: ParsedScript) -> list[tuple[str | None, str]]:
    return [(ln.speaker, ln.text) for sc in ps.scenes for ln in sc.lines]


def spoken_text(ps: ParsedScript) -> str:
    return " ".join(text for _, text in said(ps))


# --------------------------------------------------------------------------- 1. Fountain without an English heading


@pytest.mark.parametrize("text, heading, expected", [
    ("ANNA\nHello there.\n\nBEN\n(whispering)\nHi.\n", "Opening", [("Anna", "Hello there."), ("Ben", "Hi.")]),
    ("ANNA\nHello.\n\nBEN ^\nHi!\n", "Opening", [("Anna", "Hello."), ("Ben", "Hi!")]),  # dual dialogue
    ("@McDuck\nI'm vegan.\n\nA duck waddles off.\n", "Opening", [("McDuck", "I'm vegan.")]),  # forced cue
    (".Through the sniper scope\n\nMARIA (O.S.)\nWho's there?\n", "Through the sniper scope", [("Maria", "Who's there?")]),
    ("ИНТ. КВАРТИРА МАШИ – ДЕНЬ\n\nМАША\nПривет.\n", "ИНТ. КВАРТИРА МАШИ – ДЕНЬ", [("Маша", "Привет.")]),
    ("INT。 病院-日\n\nジョン\n（失われた）\nこの場所は何ですか？\n", "INT。 病院-日", [("ジョン", "この場所は何ですか？")]),
])
def test_fountain_without_an_english_heading_is_read_as_a_screenplay(text, heading, expected):
    ps = parse_script(text)
    assert ps.form == "fountain"
    assert ps.scenes[0].heading == heading
    assert said(ps) == expected  # cue names, (O.S.) and parentheticals are not narrated
    assert [c.name for c in ps.characters] == [name for name, _ in expected]


def test_fountain_file_name_and_title_page_are_signals():
    text = "The sea is calm.\n\nANNA\nHi.\n"
    assert parse_script(text).form == "prose"  # one cue alone is not enough evidence
    assert said(parse_script(text, filename="reef.fountain")) == [("Anna", "Hi.")]
    titled = parse_script("Title: Reef\nAuthor: Someone\n\n" + text)
    assert (titled.form, titled.title, said(titled)) == ("fountain", "Reef", [("Anna", "Hi.")])
    jp = parse_script("INT。 病院-日\n\nジョン\nはい。\n")
    assert (jp.scenes[0].interior, jp.scenes[0].location, jp.scenes[0].time_of_day) == (True, "病院", "day")
    ru = parse_script("НАТ. ДВОР – НОЧЬ\n\nМАША\nТихо.\n")
    assert (ru.scenes[0].interior, ru.scenes[0].location, ru.scenes[0].time_of_day) == (False, "ДВОР", "night")


# --------------------------------------------------------------------------- 2. one stray line


def test_one_stray_line_does_not_turn_prose_into_a_silent_screenplay():
    text = ("The framework was new in those days.\n.NET developers loved it at once\nINT values were everywhere.\n"
            "\nEveryone agreed it was a good year.\n")
    ps = parse_script(text)
    assert ps.form == "prose"
    assert spoken_text(ps).startswith("The framework was new in those days. .NET developers loved it")
    assert "Everyone agreed it was a good year." in spoken_text(ps)
    est = parse_script("The bakery opened its doors.\n\nEST. 1887 by the river.\n\nIt still smells of bread.\n")
    assert est.form == "prose" and "It still smells of bread." in spoken_text(est)


# --------------------------------------------------------------------------- 3. storyboard on one line


def test_a_storyboard_line_with_picture_and_narration_is_split():
    ps = parse_script("Scene 1: A village at sunrise. Mist drifts. Narrator: Every morning begins the same way.\n\n"
                      "Scene 2: The market. MARIA (calling out): Fresh bread!\n")
    s1, s2 = ps.scenes
    assert (s1.heading, s1.visual) == ("A village at sunrise", "A village at sunrise. Mist drifts.")
    assert said(ps) == [(None, "Every morning begins the same way."), ("Maria", "Fresh bread!")]
    assert (s1.time_of_day, s1.weather) == ("dawn", "fog")
    assert s2.visual == "The market." and s2.lines[0].parenthetical == "calling out"
    assert not any("Narrator" in text for _, text in said(ps))


# --------------------------------------------------------------------------- 4. bold-name transcripts


def test_bold_name_transcript_keeps_its_speakers():
    ps = parse_script("**Adam:** Hello and welcome.\n**Eve**: Thanks for having me.\n**Adam:** Let's start.\n")
    assert ps.form == "dialogue"
    assert said(ps) == [("Adam", "Hello and welcome."), ("Eve", "Thanks for having me."), ("Adam", "Let's start.")]
    assert [c.name for c in ps.characters] == ["Adam", "Eve"]


# --------------------------------------------------------------------------- 5. a speaker label on its own line


def test_a_speaker_label_on_its_own_line_gives_the_speech_below_it():
    ps = parse_script("First Citizen:\nBefore we proceed any further,\nhear me speak.\n\nAll:\nSpeak, speak.\n\n"
                      "First Citizen:\n(slowly)\nYou are all resolved rather to die than to famish?\n")
    assert ps.form == "dialogue"
    assert said(ps) == [
        ("First Citizen", "Before we proceed any further, hear me speak."),
        ("All", "Speak, speak."),
        ("First Citizen", "You are all resolved rather to die than to famish?"),
    ]
    assert ps.scenes[-1].lines[-1].parenthetical == "slowly"
    assert [c.name for c in ps.characters] == ["First Citizen", "All"]
    assert len(ps.scenes) == 1  # the blank lines between speeches are spacing, not scenes


# --------------------------------------------------------------------------- 6. production labels


def test_production_labels_feed_pictures_sounds_and_narration():
    ps = parse_script("**ON SCREEN:** A map of Europe.\n**VO Script**: Europe, 1914.\n**B-ROLL:** Soldiers marching.\n"
                      "**AUDIO:** Distant drums.\n**Slide**: A timeline\nVisual Content: Photos of the front.\n"
                      "VO: It began in summer.\n")
    sc = ps.scenes[0]
    assert said(ps) == [(None, "Europe, 1914."), (None, "It began in summer.")]
    assert sc.visual == "A map of Europe. Soldiers marching. A timeline Photos of the front."
    assert sc.sounds == ["Distant drums"]
    assert ps.characters == []
    assert any(n.startswith("Left out 6 production labels (ON SCREEN, VO SCRIPT, B-ROLL, AUDIO, SLIDE, ...)")
               for n in ps.notes)


def test_a_bulleted_glossary_is_not_dialogue():
    ps = parse_script("Glossary:\n- Photosynthesis: how plants make food.\n- Chlorophyll: the green in leaves.\n"
                      "- Target Audience: teens\n\nPlants feed the world.\n")
    assert ps.characters == [] and all(speaker is None for speaker, _ in said(ps))
    assert "Photosynthesis: how plants make food." in spoken_text(ps)  # spoken as written
    assert "Target Audience" not in spoken_text(ps)
    assert any("TARGET AUDIENCE" in n for n in ps.notes)


# --------------------------------------------------------------------------- 7. whole-line italics


def test_whole_line_italics_are_a_direction_or_quoted_speech():
    ps = parse_script("Scene 1: Market\n*Alex walks through the market.*\n*\"Welcome to the city.\"*\n")
    sc = ps.scenes[0]
    assert sc.visual == "Alex walks through the market."
    assert said(ps) == [(None, "Welcome to the city.")]
    prose = parse_script("*Alex walks through the market.*\n\n*“Welcome to the city.”*\nEveryone is busy.\n")
    assert prose.scenes[0].visual == "Alex walks through the market."
    assert said(prose) == [(None, "Welcome to the city."), (None, "Everyone is busy.")]
    assert "*" not in spoken_text(prose)
    label = parse_script("Scene 1\n*Narrator: Hello there.*\n")  # a label in italics is still a label
    assert said(label) == [(None, "Hello there.")]


# --------------------------------------------------------------------------- 8. things that are not the script


def test_preamble_tables_takeaways_and_review_notes_are_left_out_with_a_note():
    ps = parse_script(
        "Here is the script formatted as a storyboard:\n\nScene 1: Dawn\nNarrator: The sun rises.\n\n"
        "| Scene | Visual |\n|---|---|\n| 1 | The sun |\n\n## Key Takeaways\n- The sun is hot\n- The moon is not\n\n"
        "**Notes:**\nMake the intro shorter.\n\nLet me know if you'd like any changes!\n")
    assert said(ps) == [(None, "The sun rises.")]
    joined = " ".join(ps.notes)
    for what in ("preamble", "'Here is the script formatted as a storyboard'", "a table (2 rows)",
                 "key-takeaways list (2 lines)", "review notes (1 line)", "closing remark"):
        assert what in joined
    chat = parse_script("Sure! Here's a 60-second video script about coffee:\n\nCoffee wakes the world.\n")
    assert said(chat) == [(None, "Coffee wakes the world.")]
    assert chat.notes[0].startswith("Left out a preamble that is not part of the script: 'Sure! Here's a")


def test_a_story_that_starts_with_here_is_keeps_its_first_line():
    ps = parse_script("Here is the place where it all began.\n\nThe river runs past the mill.\n")
    assert said(ps)[0] == (None, "Here is the place where it all began.") and ps.notes == []


# --------------------------------------------------------------------------- 9. NAME: lines and a cast list in a screenplay


def test_name_lines_and_a_cast_list_inside_a_screenplay():
    ps = parse_script("Characters:\nMARIA – a nurse in her thirties, wearing green scrubs\nTOM: her brother, 12\n\n"
                      "INT. HOSPITAL - NIGHT\n\nMaria checks a chart.\n\nNARRATOR: It was a long night.\n"
                      "MARIA: Tom, go home.\nSINGLE SHOT: the clock.\n\nTOM\nNo.\n")
    assert [sc.heading for sc in ps.scenes] == ["INT. HOSPITAL - NIGHT"]  # the cast list is no scene
    assert said(ps) == [(None, "It was a long night."), ("Maria", "Tom, go home."), ("Tom", "No.")]
    maria, tom = ps.characters
    assert (maria.name, maria.description) == ("Maria", "a nurse in her thirties, wearing green scrubs")
    assert (maria.age, maria.clothing) == ("in her thirties", "green scrubs")
    assert (tom.description, tom.age) == ("her brother, 12", "12")
    assert "SINGLE SHOT: the clock." in ps.scenes[0].visual  # a direction, not a speaker
    tight = parse_script("Cast:\nMARIA - a nurse\nINT. WARD - NIGHT\n\nMARIA\nHi.\n")  # no blank line under the list
    assert (tight.form, [sc.heading for sc in tight.scenes], said(tight)) == (
        "fountain", ["INT. WARD - NIGHT"], [("Maria", "Hi.")])
    assert tight.characters[0].description == "a nurse"


# --------------------------------------------------------------------------- 10. smaller Fountain points


def test_fountain_two_spaces_escapes_nested_boneyard_and_long_lines():
    ps = parse_script("INT. HOUSE - DAY\n\nBOB\nI was thinking\n  \nabout you. Five \\* three is \\*not\\* \\_this\\_.\n\n"
                      "/* cut /* nested */ still cut */\n\nINT. " + "VERY " * 45 + "LONG\n\n"
                      "THIS IS A VERY LONG CUE LINE\nNot dialogue.\n")
    assert said(ps) == [("Bob", "I was thinking about you. Five ∗ three is ∗not∗ _this_.")]
    assert "still cut" not in ps.scenes[0].visual and "nested" not in ps.scenes[0].text
    assert len(ps.scenes) == 1  # a 230-character heading is action, a six-word cue is action
    assert "VERY LONG CUE LINE Not dialogue." in ps.scenes[0].visual


def test_fountain_stacked_headings_fade_in_and_full_width_title():
    ps = parse_script("Title：映画\nAuthor：匿名\n\n**FADE IN:**\n\nINT. ATTIC - NIGHT\nEXT. ROOF - NIGHT\n\n"
                      "Rain drums on the tiles.\n\nANA\nHello?\n")
    assert ps.title == "映画"
    assert [sc.heading for sc in ps.scenes] == ["EXT. ROOF - NIGHT"]  # no empty ATTIC scene
    assert ps.scenes[0].transition == "fade" and "FADE" not in spoken_text(ps)
    assert said(ps) == [("Ana", "Hello?")]


def test_the_size_limit_counts_text_not_file_bytes(tmp_path):
    text = "A quiet line of narration.\n" * 30  # 810 bytes of UTF-8
    p = tmp_path / "script.txt"
    p.write_bytes(text.encode("utf-16"))  # 1,622 bytes on disk
    assert read_script_file(p, max_bytes=1000) == text
    p.write_bytes(("é" * 501).encode("utf-16"))
    with pytest.raises(VidgenError, match="limit is"):
        read_script_file(p, max_bytes=1000)


def test_a_feature_screenplay_fits_the_default_scene_limit():
    text = "\n".join(f"INT. ROOM {i} - DAY\n\nANA\nLine {i}.\n" for i in range(300))
    assert len(parse_script(text).scenes) == 300
    with pytest.raises(VidgenError, match="300 scenes; the limit is 200"):
        parse_script(text, max_scenes=200)


# --------------------------------------------------------------------------- 11. characters named in the action


def test_characters_introduced_in_the_action_are_found_with_their_looks():
    ps = parse_script("INT. BAKERY - DAWN\n\nHENRIK (60s), a baker in a flour-dusted apron, kneads the dough.\n\n"
                      "MARTA\nYou're late!\n\nEXT. STREET - DAY\n\nHenrik walks to the market.\n")
    marta, henrik = ps.characters
    assert marta.name == "Marta" and marta.scenes == [1]
    assert (henrik.name, henrik.age, henrik.clothing, henrik.scenes) == ("Henrik", "60s", "a flour-dusted apron", [1, 2])
    assert henrik.description.startswith("60s, a baker in a flour-dusted apron")
    assert ps.scenes[0].characters == ["Marta", "Henrik"]  # speakers first, then who is seen


def test_prose_names_that_act_are_characters_and_days_places_openers_are_not():
    ps = parse_script("Scene 1: Bakery\nOld Henrik kneads the dough. On Monday, Henrik flies to Paris.\n"
                      "Paris sleeps. The bakery is quiet. Then Lena, his granddaughter, opens the shop.\n")
    names = {c.name: c for c in ps.characters}
    assert set(names) == {"Henrik", "Lena"}
    assert names["Lena"].description == "his granddaughter"
    none = parse_script("On Monday the city woke. In Paris, the cafés opened. The river ran on.\n")
    assert none.characters == []


# --------------------------------------------------------------------------- 12. parentheticals shape the delivery


@pytest.mark.parametrize("paren, delivery", [
    ("whispering", "whispered"), ("whispers", "whispered"), ("softly", "whispered"), ("en voz baja", "whispered"),
    ("angrily", "angry"), ("wütend", "angry"), ("shouting", "shouted"), ("yelling", "shouted"), ("en criant", "shouted"),
    ("sadly", "sad"), ("crying", "sad"), ("chorando", "sad"), ("excited", "excited"), ("laughing", "excited"),
    ("ridendo", "excited"), ("nervously", "nervous"), ("calmly", "calm"), ("whispering angrily", "whispered"),
    ("O.S.", ""), ("V.O.", ""), ("CONT'D", ""), ("beat", ""), ("to himself", ""), ("looking at the door", ""),
])
def test_parentheticals_fill_the_delivery(paren, delivery):
    ps = parse_script(f"INT. ROOM - DAY\n\nANA\n({paren})\nCome here.\n")
    line = ps.scenes[0].lines[0]
    assert (line.parenthetical, line.delivery, line.text) == (paren, delivery, "Come here.")


def test_the_delivery_vocabulary_is_one_table():
    from vidgen.services.script.delivery import DELIVERIES, delivery_of

    assert {"whispered", "shouted", "angry", "sad", "excited", "nervous", "calm"} <= set(DELIVERIES)
    assert all(delivery_of(word) == key for key, words in DELIVERIES.items() for word in words[:3])
    ps = parse_script("Scene 1\nMary (whispering): It came from the attic.\n[whispering] Then silence.\n")
    assert [(ln.delivery, ln.text) for ln in ps.scenes[0].lines] == [
        ("whispered", "It came from the attic."), ("", "[whispering] Then silence.")]  # brackets are not markup


# --------------------------------------------------------------------------- 13. the fallback picture


def test_the_fallback_picture_is_a_clean_description():
    ps = parse_script("Scene 1: A hero stands on a mountain at sunrise.\nHERO: I made it.\n\nScene 2\nHERO: Home.\n\n"
                      "Scene 3: Ravine\nLocation: A deep ravine\nHERO: Down here.\n")
    s1, s2, s3 = ps.scenes
    assert s1.visual == "A hero stands on a mountain at sunrise."
    assert s2.visual == s1.visual  # "Scene 2" says nothing: the talk goes on where it was
    assert s3.visual == "A deep ravine"
    assert all("talking" not in sc.visual and ":" not in sc.visual for sc in ps.scenes)
    fountain = parse_script("INT. KITCHEN - NIGHT\n\nANA\nHi.\n")
    assert fountain.scenes[0].visual == "KITCHEN"


# --------------------------------------------------------------------------- scene words and notes


@pytest.mark.parametrize("words, weather", [
    ("A storm rolls in", "storm"), ("Una tormenta cae sobre el pueblo", "storm"), ("Un orage éclate", "storm"),
    ("Ein Gewitter zieht auf", "storm"), ("Arriva il temporale", "storm"), ("Uma tempestade chega", "storm"),
    ("Snow covers the roofs", "snow"), ("La nieve cubre todo", "snow"), ("La neige tombe", "snow"),
    ("Schnee liegt auf dem Dach", "snow"), ("La neve cade", "snow"), ("Fog on the river", "fog"),
    ("Rain on the window", "rain"), ("A calm meadow", ""),
])
def test_weather_from_the_scene_words(words, weather):
    sc = parse_script(f"Scene 1: Outside\nVisual: {words}.\nNarrator: Look.\n").scenes[0]
    assert sc.weather == weather and sc.weather in WEATHERS + ("",)


@pytest.mark.parametrize("direction, shot", [
    ("CLOSE ON her hands", "close-up"), ("CLOSE UP of the key", "close-up"), ("Primer plano de la llave", "close-up"),
    ("Gros plan sur la clé", "close-up"), ("Nahaufnahme des Schlüssels", "close-up"), ("WIDE on the valley", "wide"),
    ("Plano general del valle", "wide"), ("AERIAL view of the city", "aerial"), ("Drone shot over the bay", "aerial"),
    ("Extreme close-up of an eye", "extreme close-up"), ("POV through the scope", "point of view"),
    ("A wide river runs past", ""),
])
def test_shot_from_the_scene_words(direction, shot):
    sc = parse_script(f"INT. HALL - DAY\n\n{direction}.\n\nANA\nHi.\n").scenes[0]
    assert sc.shot == shot and sc.shot in SHOTS + ("",)


def test_sound_cues_are_kept_out_of_the_speech():
    ps = parse_script("INT. HALL - NIGHT\n\nSFX: thunder\n\n[SFX] A door slams.\n\nA great THUD shakes the floor.\n\n"
                      "ANA\nWho is there? [SOUND: footsteps]\n")
    sc = ps.scenes[0]
    assert sc.sounds == ["thunder", "A door slams", "thud", "footsteps"]
    assert said(ps) == [("Ana", "Who is there?")]
    assert sc.weather == "storm"  # thunder is heard
    board = parse_script("Scene 1: Harbour\nSFX: gulls\nMusic: calm piano\nNarrator: The boats come home.\n")
    assert board.scenes[0].sounds == ["gulls", "music: calm piano"] and board.scenes[0].mood == "calm"


def test_a_script_without_spoken_lines_says_so_before_rendering():
    ps = parse_script("INT. EMPTY ROOM - DAY\n\nDust hangs in the light.\n")
    assert ps.scenes and not said(ps)
    assert ps.notes[-1].startswith("The script has text but no spoken line")
    assert "'Narrator: ...'" in ps.notes[-1] and "NAME: line" in ps.notes[-1]


def test_prose_is_noted_only_when_it_is_a_guess():
    assert parse_script("The river runs past the mill.\n\nThe miller sleeps.\n").notes == []
    guessed = parse_script("ANNA\nThe river is deep.\n\nThe miller sleeps by the wheel.\n")
    assert guessed.form == "prose" and guessed.notes[0].startswith("Read as prose:")


def test_new_rules_stay_linear_on_adversarial_input():
    cases = [
        "Scene 1: " + "A. Narrator: b. " * 16_000,
        ("HENRIK (60s), a, " * 15_000)[:256 * 1024],
        "| a " * 60_000 + "|\n|---|\n",
        "/* " * 40_000 + "*/ " * 40_000,
        "\n".join(["- Term: text"] * 20_000),
        "\n\n".join(["NAME:\nline"] * 20_000),
        ("Old Henrik kneads. " * 14_000),
        "**" + "ON SCREEN:** x " * 18_000,
    ]
    for text in cases:
        start = time.perf_counter()
        try:
            parse_script(text, max_scenes=100_000)
        except VidgenError:
            pass
        assert time.perf_counter() - start < 8, text[:30]


@pytest.mark.parametrize("heading, interior, time", [
    ("EXT. PLAYA - NOCHE", False, "night"), ("INTERIOR CASA - DÍA", True, "day"), ("INT. CUISINE - NUIT", True, "night"),
    ("AUSSEN. WALD - NACHT", False, "night"), ("EST. PIAZZA - TRAMONTO", False, "dusk"), ("I/E CARRO - NOITE", None, "night"),
    ("INT./EXT. AUTO - AMANECER", None, "dawn"), ("НАТ. ДВОР – ВЕЧЕР", False, "dusk"),
])
def test_headings_in_six_languages_give_place_inside_and_time(heading, interior, time):
    sc = parse_script(f"{heading}\n\nANA\nHola.\n").scenes[0]
    assert (sc.interior, sc.time_of_day) == (interior, time)


@pytest.mark.parametrize("words, time", [
    ("La noche cae sobre el puerto", "night"), ("La nuit tombe", "night"), ("Die Nacht ist still", "night"),
    ("La notte è buia", "night"), ("A noite chega", "night"), ("Al amanecer el pueblo despierta", "dawn"),
    ("Au crépuscule tout change", "dusk"),
])
def test_time_of_day_from_words_in_six_languages(words, time):
    assert parse_script(f"Scene 1\nVisual: {words}.\nNarrator: Mira.\n").scenes[0].time_of_day == time


@pytest.mark.parametrize("word", ["Scene", "Escena", "Scène", "Szene", "Scena", "Cena"])
def test_scene_headings_in_the_languages_the_voices_speak(word):
    text = (f"{word} 1: El puerto\nNarrador: Los barcos vuelven al puerto al amanecer.\n\n"
            f"{word} 2 - La niebla\nLa niebla cubre el agua.\n")
    parsed = parse_script(text)
    assert parsed.form == "headings" and [s.heading for s in parsed.scenes] == ["El puerto", "La niebla"]
    assert [[(ln.speaker, ln.text) for ln in s.lines] for s in parsed.scenes] == [
        [(None, "Los barcos vuelven al puerto al amanecer.")], [(None, "La niebla cubre el agua.")]]
