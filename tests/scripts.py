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

# Scripts py3langid reads as Arabic and as Hebrew (issue 11: a detected language must never fail a render).
ARABIC = """Scene 1: البحر
Narrator: كان هناك صياد عجوز يخرج كل صباح إلى البحر مع ابنه الصغير.

Scene 2: العاصفة
Narrator: في يوم من الأيام خرج الصياد إلى البحر ولم يعد حتى المساء.
"""

HEBREW = """Scene 1: הים
Narrator: בבוקר יצא הדייג הזקן אל הים עם בנו הקטן.

Scene 2: הסערה
Narrator: בצהריים הגיעו עננים שחורים מן הים והרוח התחזקה.
"""
