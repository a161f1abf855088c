"""Platform presets: the aspect, size, frame rate, bitrate ceiling and loudness a platform wants.

Choosing one (the `platform` setting) fills those settings, except the ones the same change names
itself: an explicit setting wins over the preset, and `expand` says so in a note.
"""

from __future__ import annotations

from typing import Any

# Loudness: these platforms normalise playback to about -14 LUFS. Bitrate ceilings (kbit/s) stay
# under what each upload guide recommends for 1080p, so the platform's re-encode starts clean.
PLATFORMS: dict[str, dict[str, Any]] = {
    "youtube": {"aspect": "16:9", "resolution": "1080p", "fps": 30, "max_bitrate": 12000, "loudness": -14.0},
    "shorts": {"aspect": "9:16", "resolution": "1080p", "fps": 30, "max_bitrate": 10000, "loudness": -14.0},
    "reels": {"aspect": "9:16", "resolution": "1080p", "fps": 30, "max_bitrate": 8000, "loudness": -14.0},
    "tiktok": {"aspect": "9:16", "resolution": "1080p", "fps": 30, "max_bitrate": 8000, "loudness": -14.0},
    "instagram": {"aspect": "1:1", "resolution": "1080p", "fps": 30, "max_bitrate": 6000, "loudness": -14.0},
    "instagram-4x5": {"aspect": "4:5", "resolution": "1080p", "fps": 30, "max_bitrate": 6000, "loudness": -14.0},
}


def expand(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`data` (a settings change) with its platform's settings filled in where it names none of its
    own, and a note for each explicit setting that differs from the platform's (the explicit wins)."""
    name = data.get("platform") if isinstance(data, dict) else None
    if not name or name not in PLATFORMS:
        return data, []  # no platform, or an unknown one (the settings check names the choices)
    out, notes = dict(data), []
    for key, value in PLATFORMS[name].items():
        if key not in data:
            out[key] = value
        elif data[key] != value:
            notes.append(f"{key} {data[key]} is kept over the {name} preset's {value}: an explicit setting wins.")
    return out, notes
