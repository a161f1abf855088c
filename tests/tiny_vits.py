"""A tiny random-weight VITS voice (transformers `VitsModel` + `VitsTokenizer`), for tests.

Built from a seeded tiny `VitsConfig` with the real classes, so services/vits.py runs as on MMS-TTS
weights, on the CPU, in milliseconds. Its "speech" is noise of random length (random duration
predictor), but it is loud, at 16 kHz, and repeatable under a seed. The tokenizer reads letters
without phonemizing (`phonemize=False`); `<pad>` is id 0 because VITS inserts id 0 as the blank
between tokens.

    cache = make_hf_cache(tmp / "hub")     # the voice in the HF cache layout (snapshots/<commit>, refs/main)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache)); monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = registry.add(REPO, "voice")      # a user model; backend transformers-vits
"""

from __future__ import annotations

import json
from pathlib import Path

from .tiny_models import snapshot_dir

REPO = "tiny-org/tiny-vits"
MULTI_REPO = "tiny-org/tiny-vits-multi"  # three speakers
SAMPLE_RATE = 16000
HOP = 64  # samples per spectrogram frame: the product of upsample_rates

_VOCAB = ["<pad>", "<unk>", " ", "'", *"abcdefghijklmnopqrstuvwxyz"]


def build_tiny_vits(folder: Path, *, speakers: int = 1, seed: int = 0):
    """A VitsModel and VitsTokenizer with random (seeded) weights, saved into `folder`."""
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(_VOCAB)}))
    tokenizer = VitsTokenizer(str(folder / "vocab.json"), phonemize=False, language="eng")
    torch.manual_seed(seed)
    config = VitsConfig(
        vocab_size=len(_VOCAB), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=16,
        flow_size=16, spectrogram_bins=9, upsample_initial_channel=16, upsample_rates=[8, 8],
        upsample_kernel_sizes=[16, 16], resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1]],
        depth_separable_num_layers=1, duration_predictor_filter_channels=16, duration_predictor_num_flows=1,
        prior_encoder_num_flows=1, prior_encoder_num_wavenet_layers=1, posterior_encoder_num_wavenet_layers=1,
        num_speakers=speakers, speaker_embedding_size=8 if speakers > 1 else 0,
        sampling_rate=SAMPLE_RATE, layerdrop=0.0, pad_token_id=0)
    model = VitsModel(config).eval()
    model.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    return model, tokenizer


def make_hf_cache(cache: Path) -> Path:
    """An HF hub cache folder holding the tiny voice (REPO) and a three-speaker one (MULTI_REPO)."""
    for repo, speakers in ((REPO, 1), (MULTI_REPO, 3)):
        folder = snapshot_dir(cache, repo)
        build_tiny_vits(folder, speakers=speakers)
        refs = folder.parent.parent / "refs"
        refs.mkdir(parents=True, exist_ok=True)
        (refs / "main").write_text(folder.name)
    return cache
