"""Voice ids every part of the voice service shares (below the front, so nothing imports in a circle)."""

BUILTIN_VOICE = "piper:en_US-joe-medium"  # the Piper voice shipped on PyPI (registry id piper-joe)
NO_VOICE = "none"  # a silent film
PIPER_RECORD = "piper-joe"  # the registry record that every "piper:..." voice id runs as (backend "piper")
