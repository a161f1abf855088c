"""vidgen: turn a written script into a finished video.

Importing the package is cheap on purpose: heavy libraries (torch, diffusers, gradio,
onnxruntime, cv2) are imported inside the functions that need them.
"""

__version__ = "0.1.0"
