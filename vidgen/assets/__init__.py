"""Files shipped with the package (fonts). Paths only; nothing is loaded at import."""

from pathlib import Path

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = FONTS_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONTS_DIR / "DejaVuSans-Bold.ttf"
FONT_FAMILY = "DejaVu Sans"
