"""The full-size Wav2Lip generator with seeded random weights, saved as the authors publish it, for tests.

    save_wav2lip(hf_cache)                      # {"state_dict": {"module." + key: tensor}} at
                                                # checkpoints/wav2lip_gan.pth in a camenduru/Wav2Lip snapshot
    save_wav2lip(hf_cache, "tiny-org/bare", weights="w.pth", prefix=False)   # a bare state dict
    face = astronaut_face()                     # scikit-image's astronaut, her face box found by OpenCV

The BatchNorm statistics are measured, not the defaults 0 and 1, so a load that skipped them would show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .tiny_models import snapshot_dir

REPO = "camenduru/Wav2Lip"  # the registry's wav2lip-gan record
WEIGHTS = "checkpoints/wav2lip_gan.pth"


def random_state(seed: int = 0) -> dict[str, Any]:
    """The generator's state dict: seeded random weights, BatchNorm statistics measured on one
    seeded random batch (a trained net's are matched to its activations; the defaults 0 and 1 are
    not, and would leave the output nearly blind to the audio)."""
    import torch
    from torch import nn

    from vidgen.services.lipsync import wav2lip_net

    torch.manual_seed(seed)
    net = wav2lip_net.build()
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for m in norms:
            m.weight.uniform_(0.8, 1.2)
            m.bias.normal_(0.0, 0.1)
            m.momentum = None  # the batch's statistics, not a blend with the defaults
        net.train()(torch.rand(16, 1, 80, 16) * 8 - 4, torch.rand(16, 6, 96, 96))
    return {k: v.clone() for k, v in net.state_dict().items()}


def mark_main(root: Path) -> None:
    refs = root.parent.parent / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / "main").write_text(root.name)


def save_checkpoint(cache: Path, repo: str, weights: str, checkpoint: Any) -> Path:
    """`checkpoint` (torch.save'd) at `weights` in an HF cache snapshot of `repo`; returns the file."""
    import torch

    root = snapshot_dir(cache, repo)
    path = root / weights
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, str(path))
    mark_main(root)
    return path


def save_wav2lip(cache: Path, repo: str = REPO, *, weights: str = WEIGHTS, prefix: bool = True,
                 state: dict[str, Any] | None = None, seed: int = 0) -> dict[str, Any]:
    """The random generator saved in the published layout (or bare, without `prefix`); returns its
    state dict (keys without the prefix)."""
    state = state if state is not None else random_state(seed)
    if prefix:  # as the authors' DataParallel training saved it, with the step counters beside it
        checkpoint: Any = {"state_dict": {"module." + k: v for k, v in state.items()}, "global_step": 0,
                           "global_epoch": 0, "optimizer": None}
    else:
        checkpoint = state
    save_checkpoint(cache, repo, weights, checkpoint)
    return state


def astronaut_face() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """(the 512 x 512 RGB astronaut, her face box (x, y, w, h) from OpenCV's frontal Haar cascade)."""
    import cv2
    from skimage import data

    image = data.astronaut()
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    found = cascade.detectMultiScale(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), scaleFactor=1.1, minNeighbors=5)
    assert len(found) == 1, found
    x, y, w, h = (int(v) for v in found[0])
    return image, (x, y, w, h)


def tone(freq: float, seconds: float, sr: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
