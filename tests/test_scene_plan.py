"""Issue 13: the scene plan the rules read from a scene's words, in six languages.

A table of scene sentences with what a reader sees in them (place, inside, time, weather, season,
props, how many figures and, where the sentence says, their ages and actions), each read end to end
by `parse_script`. Every field is scored; at least 90% must be right. Pure CPU, fast.
"""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

from vidgen.domain import FIGURE_ACTIONS, FIGURE_AGES, INTERIOR_PLACES, LIGHTS, PLACES, PROPS, SEASONS, Scene
from vidgen.services.script import parse_script
from vidgen.services.script.plan import MAX_FIGURES, figures_of, plan_of, settle

I, E, N = True, False, None  # inside, outside, not said

# (language, script, place, interior, time, weather, season, props, figures, "age/action ..." or None)
TABLE = [
    ("en", "A storm lashes the harbour; waves crash over the rocks and thunder rolls.",
     "harbour", E, "", "storm", "", {"rock"}, 0, None),
    ("en", "INT. LIGHTHOUSE STAIRWELL - NIGHT\n\nA keeper climbs the stairs with a lantern.",
     "stairwell", I, "night", "", "", set(), 1, "adult/stand"),
    ("en", "A baker kneads dough in a warm kitchen.", "kitchen", I, "", "", "", {"bread"}, 1, "adult/stand"),
    ("en", "Two children run through a snowy square.", "village square", E, "", "snow", "winter", set(), 2,
     "child/run child/run"),
    ("en", "At night the bakery window glows; loaves of bread cool on the table.",
     "bakery", I, "night", "", "", {"bread", "table"}, 0, None),
    ("en", "The harbour at dawn: fishing boats, nets and gulls.", "harbour", E, "dawn", "", "", {"boat", "gull"}, 0, None),
    ("en", "A dog sleeps in the barn beside a horse.", "field", E, "", "", "", {"dog", "barn", "horse"}, 0, None),
    ("en", "In autumn two women sit under a tree in the garden.", "garden", E, "", "", "autumn", {"tree"}, 2,
     "adult/sit adult/sit"),
    ("en", "Fog rolls through the forest at dusk; a hunter walks between the pines.",
     "forest", E, "dusk", "fog", "", {"tree"}, 1, "adult/walk"),
    ("en", "A crowd waits on the station platform as the train arrives in the rain.",
     "station", I, "", "rain", "", {"train"}, 3, "adult/stand adult/stand adult/stand"),
    ("en", "EXT. BEACH - DAY\n\nThe sun burns over the dunes. A girl runs along the shore with her dog.",
     "beach", E, "day", "", "", {"dog"}, 1, "child/run"),
    ("en", "Inside the church, candles burn at Christmas while snow falls outside.",
     "church", I, "", "snow", "winter", set(), 0, None),
    ("en", "INT. OFFICE - DAY\n\nMAYA sits at her desk, a cup of coffee beside a stack of books.\n\nMAYA\nNot again.",
     "office", I, "day", "", "", {"cup", "book"}, 1, "adult/sit"),
    ("en", "Neon signs flicker on the city street at midnight as a man walks past parked cars.",
     "street", E, "night", "", "", {"car"}, 1, "adult/walk"),
    ("en", "An astronaut floats in space above the blue planet.", "space", E, "", "", "", set(), 1, "adult/stand"),
    ("es", "Una tormenta golpea el puerto; los truenos retumban sobre los barcos.",
     "harbour", E, "", "storm", "", {"boat"}, 0, None),
    ("es", "INT. ESCALERA DEL FARO - NOCHE\n\nEl farero sube con una linterna.",
     "stairwell", I, "night", "", "", set(), 1, "adult/stand"),
    ("es", "Un panadero amasa el pan en la cocina caliente.", "kitchen", I, "", "", "", {"bread"}, 1, "adult/stand"),
    ("es", "Dos niños corren por la plaza nevada.", "village square", E, "", "snow", "winter", set(), 2,
     "child/run child/run"),
    ("es", "De noche, la ventana de la panadería brilla y los panes se enfrían sobre la mesa.",
     "bakery", I, "night", "", "", {"bread", "table"}, 0, None),
    ("es", "Al amanecer, las barcas descansan en el muelle y las gaviotas vuelan.",
     "harbour", E, "dawn", "", "", {"boat", "gull"}, 0, None),
    ("es", "Un perro duerme en el granero.", "field", E, "", "", "", {"dog", "barn"}, 0, None),
    ("es", "En otoño, dos ancianos están sentados bajo un árbol del parque.", "garden", E, "", "", "autumn", {"tree"}, 2,
     "adult/sit adult/sit"),
    ("es", "La niebla cubre el bosque al atardecer; un cazador camina entre los pinos.",
     "forest", E, "dusk", "fog", "", {"tree"}, 1, "adult/walk"),
    ("es", "Llueve sobre la estación; una multitud espera el tren.", "station", I, "", "rain", "", {"train"}, 3,
     "adult/stand adult/stand adult/stand"),
    ("es", "En la playa, bajo el sol, una niña corre con su perro.", "beach", E, "", "", "", {"dog"}, 1, "child/run"),
    ("es", "En la montaña, bajo las estrellas, tres pastores se sientan junto al fuego.",
     "mountain", E, "night", "", "", set(), 3, "adult/sit adult/sit adult/sit"),
    ("fr", "Une tempête frappe le port ; le tonnerre gronde au-dessus des bateaux.",
     "harbour", E, "", "storm", "", {"boat"}, 0, None),
    ("fr", "INT. ESCALIER DU PHARE - NUIT\n\nLe gardien monte avec une lanterne.",
     "stairwell", I, "night", "", "", set(), 1, "adult/stand"),
    ("fr", "Un boulanger pétrit la pâte dans la cuisine chaude.", "kitchen", I, "", "", "", {"bread"}, 1, "adult/stand"),
    ("fr", "Deux enfants courent sur la place enneigée.", "village square", E, "", "snow", "winter", set(), 2,
     "child/run child/run"),
    ("fr", "La nuit, la vitrine de la boulangerie brille ; le pain refroidit sur la table.",
     "bakery", I, "night", "", "", {"bread", "table"}, 0, None),
    ("fr", "À l'aube, les barques dorment dans le port et les mouettes crient.",
     "harbour", E, "dawn", "", "", {"boat", "gull"}, 0, None),
    ("fr", "Un chien dort dans la grange.", "field", E, "", "", "", {"dog", "barn"}, 0, None),
    ("fr", "En automne, deux femmes sont assises sous un arbre du jardin.", "garden", E, "", "", "autumn", {"tree"}, 2,
     "adult/sit adult/sit"),
    ("fr", "Le brouillard couvre la forêt au crépuscule ; un chasseur marche entre les sapins.",
     "forest", E, "dusk", "fog", "", {"tree"}, 1, "adult/walk"),
    ("fr", "Il pleut sur la gare ; une foule attend le train.", "station", I, "", "rain", "", {"train"}, 3,
     "adult/stand adult/stand adult/stand"),
    ("fr", "Sur la plage, au soleil, une fillette court avec son chien.", "beach", E, "", "", "", {"dog"}, 1, "child/run"),
    ("fr", "Dans la salle de classe, le professeur parle aux enfants assis.", "classroom", I, "", "", "", set(), 4,
     "adult/talk child/sit child/sit child/sit"),
    ("de", "Ein Sturm peitscht über den Hafen; Donner grollt über den Booten.",
     "harbour", E, "", "storm", "", {"boat"}, 0, None),
    ("de", "INT. TREPPENHAUS DES LEUCHTTURMS - NACHT\n\nDer Wärter steigt mit einer Laterne hinauf.",
     "stairwell", I, "night", "", "", set(), 1, "adult/stand"),
    ("de", "Ein Bäcker knetet den Teig in der warmen Küche.", "kitchen", I, "", "", "", {"bread"}, 1, "adult/stand"),
    ("de", "Zwei Kinder rennen über den verschneiten Platz.", "village square", E, "", "snow", "winter", set(), 2,
     "child/run child/run"),
    ("de", "Nachts leuchtet das Fenster der Bäckerei; Brote kühlen auf dem Tisch aus.",
     "bakery", I, "night", "", "", {"bread", "table"}, 0, None),
    ("de", "Im Morgengrauen liegen die Fischerboote im Hafen, Möwen kreisen.",
     "harbour", E, "dawn", "", "", {"boat", "gull"}, 0, None),
    ("de", "Ein Hund schläft in der Scheune.", "field", E, "", "", "", {"dog", "barn"}, 0, None),
    ("de", "Im Herbst sitzen zwei Frauen unter einem Baum im Garten.", "garden", E, "", "", "autumn", {"tree"}, 2,
     "adult/sit adult/sit"),
    ("de", "Nebel liegt über dem Wald in der Abenddämmerung; ein Jäger geht zwischen den Tannen.",
     "forest", E, "dusk", "fog", "", {"tree"}, 1, "adult/walk"),
    ("de", "Es regnet am Bahnhof; eine Menschenmenge wartet auf den Zug.", "station", I, "", "rain", "", {"train"}, 3,
     "adult/stand adult/stand adult/stand"),
    ("de", "Am Strand läuft ein Mädchen in der Sonne mit seinem Hund.", "beach", E, "", "", "", {"dog"}, 1, "child/run"),
    ("de", "In der Wüste wandert ein Reisender bei Sonnenuntergang zwischen den Dünen.",
     "desert", E, "dusk", "", "", set(), 1, "adult/walk"),
    ("it", "Una tempesta si abbatte sul porto; i tuoni rimbombano sopra le barche.",
     "harbour", E, "", "storm", "", {"boat"}, 0, None),
    ("it", "INT. SCALA DEL FARO - NOTTE\n\nIl guardiano sale con una lanterna.",
     "stairwell", I, "night", "", "", set(), 1, "adult/stand"),
    ("it", "Un fornaio impasta il pane nella cucina calda.", "kitchen", I, "", "", "", {"bread"}, 1, "adult/stand"),
    ("it", "Due bambini corrono nella piazza innevata.", "village square", E, "", "snow", "winter", set(), 2,
     "child/run child/run"),
    ("it", "Di notte la vetrina della panetteria brilla; il pane si raffredda sul tavolo.",
     "bakery", I, "night", "", "", {"bread", "table"}, 0, None),
    ("it", "All'alba le barche riposano nel porto e i gabbiani volano.",
     "harbour", E, "dawn", "", "", {"boat", "gull"}, 0, None),
    ("it", "Un cane dorme nel fienile.", "field", E, "", "", "", {"dog", "barn"}, 0, None),
    ("it", "In autunno due donne sono sedute sotto un albero del giardino.", "garden", E, "", "", "autumn", {"tree"}, 2,
     "adult/sit adult/sit"),
    ("it", "La nebbia copre il bosco al tramonto; un cacciatore cammina tra i pini.",
     "forest", E, "dusk", "fog", "", {"tree"}, 1, "adult/walk"),
    ("it", "Piove sulla stazione; una folla aspetta il treno.", "station", I, "", "rain", "", {"train"}, 3,
     "adult/stand adult/stand adult/stand"),
    ("it", "Sulla spiaggia, al sole, una bambina corre con il suo cane.", "beach", E, "", "", "", {"dog"}, 1, "child/run"),
    ("it", "Nel soggiorno, accanto al caminetto acceso, il nonno legge un libro.",
     "living room", I, "", "", "", {"book"}, 1, "adult/stand"),
    ("pt", "Uma tempestade atinge o porto; os trovões ecoam sobre os barcos.",
     "harbour", E, "", "storm", "", {"boat"}, 0, None),
    ("pt", "INT. ESCADA DO FAROL - NOITE\n\nO faroleiro sobe com uma lanterna.",
     "stairwell", I, "night", "", "", set(), 1, "adult/stand"),
    ("pt", "Um padeiro amassa o pão na cozinha quente.", "kitchen", I, "", "", "", {"bread"}, 1, "adult/stand"),
    ("pt", "Duas crianças correm pela praça coberta de neve.", "village square", E, "", "snow", "winter", set(), 2,
     "child/run child/run"),
    ("pt", "À noite, a vitrine da padaria brilha e os pães esfriam sobre a mesa.",
     "bakery", I, "night", "", "", {"bread", "table"}, 0, None),
    ("pt", "Ao amanhecer, os barcos descansam no cais e as gaivotas voam.",
     "harbour", E, "dawn", "", "", {"boat", "gull"}, 0, None),
    ("pt", "Um cão dorme no celeiro.", "field", E, "", "", "", {"dog", "barn"}, 0, None),
    ("pt", "No outono, duas mulheres estão sentadas debaixo de uma árvore do jardim.",
     "garden", E, "", "", "autumn", {"tree"}, 2, "adult/sit adult/sit"),
    ("pt", "O nevoeiro cobre a floresta ao entardecer; um caçador caminha entre os pinheiros.",
     "forest", E, "dusk", "fog", "", {"tree"}, 1, "adult/walk"),
    ("pt", "Chove na estação; uma multidão espera o comboio.", "station", I, "", "rain", "", {"train"}, 3,
     "adult/stand adult/stand adult/stand"),
    ("pt", "Na praia, ao sol, uma menina corre com o seu cão.", "beach", E, "", "", "", {"dog"}, 1, "child/run"),
    ("pt", "No quarto, à luz de uma vela, uma mulher dorme na cama.", "bedroom", I, "", "", "", {"bed"}, 1, "adult/stand"),
]
# Written after the rules, and left as the rules read them: sentences the tables were not tuned on.
TABLE += [
    ("en", "Rain hammers the windows of the classroom while the teacher reads to the kids.",
     "classroom", I, "", "rain", "", set(), 4, None),
    ("en", "Under a full moon, an old fisherman rows his dinghy across the bay.", "sea", E, "night", "", "", {"boat"}, 1,
     None),
    ("es", "Una mujer camina por la calle mojada bajo los faroles de la ciudad.", "street", E, "", "", "", set(), 1,
     "adult/walk"),
    ("es", "En la iglesia, a la luz de las velas, el cura habla con tres mujeres.", "church", I, "", "", "", set(), 4,
     None),
    ("fr", "Au petit matin, le brouillard enveloppe le village et un cheval attend près de la clôture.",
     "village square", E, "day", "fog", "", {"horse", "fence"}, 0, None),
    ("fr", "Dans le café, deux hommes boivent un café à une table près de la fenêtre.", "cafe", I, "", "", "", {"table"}, 2,
     None),
    ("de", "Im Winter stehen drei Männer vor der Kirche und reden.", "church", E, "", "", "winter", set(), 3,
     "adult/stand adult/stand adult/stand"),
    ("de", "Eine Katze schläft auf dem Bett, draußen fällt Schnee.", "bedroom", I, "", "snow", "winter", {"cat", "bed"}, 0,
     None),
    ("it", "Nel negozio di fiori, una ragazza sistema le rose sul bancone.", "shop", I, "", "", "", {"flower"}, 1, None),
    ("it", "Di sera, la città si accende di insegne al neon e le macchine passano.", "city", E, "dusk", "", "", {"car"}, 0,
     None),
    ("pt", "Na estação de comboios, um homem espera sentado num banco com um livro.", "station", I, "", "", "", {"book"},
     1, "adult/sit"),
    ("pt", "No verão, as crianças brincam na praia ao pôr do sol.", "beach", E, "dusk", "", "summer", set(), 3, None),
]
FIELDS = ("place", "interior", "time", "weather", "season", "props", "figures", "who")


def _read(script: str) -> Scene:
    return parse_script(script + "\n").scenes[0]


def _fields(sc: Scene) -> dict[str, object]:
    return {"place": sc.plan.place, "interior": sc.interior, "time": sc.time_of_day, "weather": sc.weather,
            "season": sc.plan.season, "props": set(sc.plan.props), "figures": len(sc.plan.figures),
            "who": sorted(f"{f.age}/{f.action}" for f in sc.plan.figures)}


def test_the_table_covers_every_language_and_the_issues_examples():
    per_language = defaultdict(int)
    for row in TABLE:
        per_language[row[0]] += 1
    assert len(TABLE) >= 60 and set(per_language) == {"en", "es", "fr", "de", "it", "pt"}
    assert min(per_language.values()) >= 8, per_language
    for row in TABLE:
        assert row[2] in PLACES and row[6] in ("", *SEASONS) and row[7] <= set(PROPS), row[1]


def test_plans_from_scene_text_are_at_least_90_percent_right():
    right: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for lang, script, *expected in TABLE:
        want = dict(zip(FIELDS, expected))
        if want["who"] is None:
            del want["who"]
        else:
            want["who"] = sorted(str(want["who"]).split())
        got = _fields(_read(script))
        for name, value in want.items():
            ok = got[name] == value
            for key in (name, lang, "all"):
                right[key][0] += ok
                right[key][1] += 1
            if not ok:
                misses.append(f"[{lang}] {name}: got {got[name]!r}, want {value!r} in {script[:70]!r}")
    print("\n".join(misses))
    print({k: f"{r}/{n} ({100 * r / n:.0f}%)" for k, (r, n) in right.items()})
    good, total = right["all"]
    assert good >= 0.9 * total, f"{good}/{total} fields right:\n" + "\n".join(misses)


@pytest.mark.parametrize("script, place, interior, time, weather", [
    ("INT. LIGHTHOUSE STAIRWELL - NIGHT\n\nThe wind howls outside.", "stairwell", True, "night", "wind"),
    ("A storm breaks over the sea.", "sea", False, "", "storm"),
    ("EXT. BAKERY - NIGHT\n\nWarm light spills from the bakery window.", "bakery", False, "night", ""),
    ("Les enfants jouent dans la cour de l'école.", "classroom", True, "", ""),
])
def test_clear_cases_read_exactly(script, place, interior, time, weather):
    sc = _read(script)
    assert (sc.plan.place, sc.interior, sc.time_of_day, sc.weather) == (place, interior, time, weather)


def test_words_are_whole_folded_and_inflected():
    assert plan_of("Barcos, bateaux, Boote, barche e barcos.").props == ["boat"]
    assert plan_of("The seagulls and the GULLS cry; the dinghy bobs.").props == ["gull", "boat"]
    assert plan_of("Loaves cool by the oven.").props == ["bread", "oven"]
    assert plan_of("A boatman's boathouse.").props == []  # whole words only
    assert plan_of("Il marche vers l'église.").place == "church"  # l'église, folded
    assert plan_of("Die Fischerboote liegen vor dem Leuchtturm.").props == ["boat"]  # a compound's last part
    assert plan_of("A kind man helps.").figures == [plan_of("A man helps.").figures[0]]  # "kind" is not Kind
    plan = plan_of("Snow on the roofs; candles and a fireplace light the room, moonlight through the window.")
    assert plan.season == "winter" and plan.lights == ["candle", "fire", "moon", "window"]
    assert set(plan.lights) <= set(LIGHTS)


def test_figures_count_people_name_characters_and_read_their_verbs():
    figures = figures_of("Anna runs to the door while three children sit and a crowd of villagers waits.",
                         ["Anna", "Ben"], ["Ben"])
    assert [(f.name, f.age, f.action) for f in figures] == [
        ("Anna", "adult", "run"), ("Ben", "adult", "talk")] + [("", "child", "sit")] * 3 + [("", "adult", "stand")] * 3
    assert len(figures_of("A crowd. " * 10 + "Forty soldiers march.")) <= MAX_FIGURES
    assert [f.name for f in figures_of("HENRIK, a baker, kneads the dough.", ["Henrik"])] == ["Henrik"]
    for f in figures_of("Los niños corren; un pescador se sienta; die Kinder sprechen."):
        assert f.age in FIGURE_AGES and f.action in FIGURE_ACTIONS


def test_given_fields_are_kept_and_an_i_e_heading_stays_both():
    kept = settle("Snow falls in the kitchen.", interior=False, time_of_day="day", weather="rain")
    assert (kept.interior, kept.time_of_day, kept.weather, kept.plan.place) == (False, "day", "rain", "kitchen")
    both = settle("The kitchen.", heading="INT./EXT. KITCHEN - DAY")
    assert both.interior is None and both.plan.place == "kitchen"
    assert settle("", interior=True).plan.place == "room"
    assert settle("We talk.", spoken="It is raining in the forest.").weather == "rain"
    assert set(INTERIOR_PLACES) < set(PLACES)


def test_a_long_adversarial_scene_is_read_in_linear_time():
    unit = ("the the l'l'l' ---- Fischerfischerfischerfischerfischer " + "a " * 50 + "two two two children "
            "INT. INT. STAIRWELL ")
    text = (unit * (256 * 1024 // len(unit) + 1))[:256 * 1024]
    start = time.perf_counter()
    plan = plan_of(text, heading=text[:2000], characters=[f"Name{i}" for i in range(200)], spoken=text)
    assert time.perf_counter() - start < 5
    assert plan.place == "stairwell" and len(plan.figures) == MAX_FIGURES
    start = time.perf_counter()
    parse_script("INT. KITCHEN - DAY\n\n" + text[:200_000] + "\n")
    assert time.perf_counter() - start < 10


def test_parse_script_fills_every_scenes_plan():
    fountain = parse_script(
        "INT. BAKERY - NIGHT\n\nHENRIK (60s), a baker, kneads dough by the oven. A cat sleeps on a chair.\n\n"
        "HENRIK\nThe bread will be ready soon.\n\nEXT. VILLAGE SQUARE - CONTINUOUS\n\n"
        "Snow falls. Two children run past a streetlight.\n")
    bakery, square = fountain.scenes
    assert (bakery.plan.place, bakery.interior, set(bakery.plan.props)) == ("bakery", True, {"bread", "oven", "cat", "chair"})
    assert [(f.name, f.action) for f in bakery.plan.figures] == [("Henrik", "talk")]
    assert (square.plan.place, square.interior, square.time_of_day, square.weather, square.plan.season) == \
        ("village square", False, "night", "snow", "winter")
    assert square.plan.lights == ["streetlight"] and [f.age for f in square.plan.figures] == ["child", "child"]
    prose = parse_script("Amanece en el puerto. Las barcas vuelven y las gaviotas gritan sobre el muelle.\n\n"
                         "Por la noche, en la cocina, una abuela se sienta junto al fuego con dos niños.\n")
    harbour, kitchen = prose.scenes if len(prose.scenes) == 2 else (prose.scenes[0], prose.scenes[-1])
    assert harbour.plan.place == "harbour" and {"boat", "gull"} <= set(harbour.plan.props)
    assert (kitchen.plan.place, kitchen.interior, kitchen.time_of_day) == ("kitchen", True, "night")
    assert "fire" in kitchen.plan.lights and len(kitchen.plan.figures) == 3
    assert all(sc.plan.place for sc in (*fountain.scenes, *prose.scenes))
