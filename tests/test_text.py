"""vidgen.text.split_sentences: the splitter the script parser and the voice share."""

import pytest

from vidgen.text import split_sentences


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One. Two! Three? Four… Five", ["One.", "Two!", "Three?", "Four…", "Five"]),
        ('He said "Hi!" Then left', ['He said "Hi!"', "Then left"]),
        ("She smiled (at last.) Then she left.", ["She smiled (at last.)", "Then she left."]),
        ("Dr. Jones met Mr. Smith at St. Ives. They talked.", ["Dr. Jones met Mr. Smith at St. Ives.", "They talked."]),
        ("J. R. R. Tolkien wrote.", ["J. R. R. Tolkien wrote."]),
        ("Wait... then what? Go.", ["Wait... then what?", "Go."]),  # lower case goes on
        ("Bring a coat, e.g. the red one. Now.", ["Bring a coat, e.g. the red one.", "Now."]),
        ("So did I. Then we left.", ["So did I.", "Then we left."]),
        ("It cost 5. Then it rained.", ["It cost 5.", "Then it rained."]),
        ("No! Go away.", ["No!", "Go away."]),  # abbreviations only hide a period
        ("!!! ... Real words.", ["Real words."]),  # pieces without a letter or digit are dropped
        ("  Ends with space.  ", ["Ends with space."]),
        ("Zoë sang. Ça va?", ["Zoë sang.", "Ça va?"]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_split_sentences_is_linear_on_long_input():
    text = "Dr. " * 50_000 + "Word. " * 50_000
    assert len(split_sentences(text)) == 50_000
