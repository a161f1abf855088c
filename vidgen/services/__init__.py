"""Capabilities (script, images, animation, voice, music, assembly). None imports gradio."""
