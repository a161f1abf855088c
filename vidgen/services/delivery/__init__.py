"""Delivery: the film in other formats, platform presets, the encoder choice and an editable timeline."""
