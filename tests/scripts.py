"""Small scripts several test files render (the conftest fixtures `harbour` / `harbour3` give them too)."""

HARBOUR = """Scene 1: The harbour
Narrator: Boats rocked gently in the morning light.

Scene 2: The storm
Narrator: By noon, black clouds rolled in from the sea.
"""

HARBOUR3 = HARBOUR + """
Scene 3: Home
Narrator: At night, the town slept, safe and warm.
"""
