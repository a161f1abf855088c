"""Models: the registry (data), the GPU model cache and hub downloads.

Importing this package loads nothing: torch, diffusers and huggingface_hub are imported by the
functions that need them.
"""
