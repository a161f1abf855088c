"""Tiny random-weight MuseTalk parts in the published layouts, for tests.

Built with the real classes from seeded tiny configs, so vidgen's loader and generate run exactly as on
the real weights, on the CPU, in seconds:

- TMElyralab/MuseTalk: `musetalkV15/musetalk.json` + `musetalkV15/unet.pth` (a state dict), a
  UNet2DConditionModel shaped like MuseTalk's (cross-attention blocks first, a plain one last; 8 input
  channels = masked + reference latents, 4 out) at width 32, cross-attention as wide as the tiny Whisper.
- stabilityai/sd-vae-ft-mse: an AutoencoderKL diffusers folder that, like the real one, downsamples 8x
  (a 256 px face -> 32 x 32 latents), with the real scaling factor.
- openai/whisper-tiny: a WhisperModel (d_model 32, 2 encoder layers: 3 hidden states) and the stock
  WhisperFeatureExtractor (80 mels, 30 s pieces, 50 Hz frames).
"""

from __future__ import annotations

import json
from pathlib import Path

from .tiny_models import snapshot_dir

REPO, VAE_REPO, WHISPER_REPO = "TMElyralab/MuseTalk", "stabilityai/sd-vae-ft-mse", "openai/whisper-tiny"
WIDTH = 32  # the tiny Whisper's d_model, and so the UNet's cross_attention_dim
LAYERS = 2  # Whisper encoder layers: 3 hidden states per whisper frame


def _snapshot(cache: Path, repo: str) -> Path:
    folder = snapshot_dir(cache, repo)
    folder.mkdir(parents=True, exist_ok=True)
    refs = folder.parent.parent / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / "main").write_text(folder.name)
    return folder


def build_unet():
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=32, in_channels=8, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=WIDTH, attention_head_dim=8, norm_num_groups=32, flip_sin_to_cos=True, freq_shift=0)


def build_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 16, 16, 16),
                         down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                         layers_per_block=1, norm_num_groups=8, sample_size=256, scaling_factor=0.18215)


def build_whisper():
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    config = WhisperConfig(vocab_size=64, num_mel_bins=80, d_model=WIDTH, encoder_layers=LAYERS, decoder_layers=1,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                           max_source_positions=1500, max_target_positions=16, pad_token_id=0, bos_token_id=1,
                           eos_token_id=2, decoder_start_token_id=1)
    return WhisperModel(config), WhisperFeatureExtractor()


def save_unet(cache: Path, unet=None) -> Path:
    """The UNet as MuseTalk publishes it: its config as musetalk.json, its state dict as unet.pth."""
    import torch

    unet = unet or build_unet()
    folder = _snapshot(cache, REPO) / "musetalkV15"
    folder.mkdir(parents=True, exist_ok=True)
    config = {"_class_name": "UNet2DConditionModel", **{k: v for k, v in unet.config.items() if not k.startswith("_")}}
    (folder / "musetalk.json").write_text(json.dumps(config, indent=2))
    torch.save(unet.state_dict(), folder / "unet.pth")
    return folder.parent


def save_tiny_musetalk(cache: Path) -> dict:
    """All three parts in an HF cache (seeded); returns the UNet's state dict for the round trip."""
    import torch

    torch.manual_seed(0)
    unet = build_unet()
    save_unet(cache, unet)
    build_vae().save_pretrained(str(_snapshot(cache, VAE_REPO)), safe_serialization=True)
    whisper, extractor = build_whisper()
    folder = _snapshot(cache, WHISPER_REPO)
    whisper.save_pretrained(str(folder), safe_serialization=True)
    extractor.save_pretrained(str(folder))
    return {k: v.clone() for k, v in unet.state_dict().items()}
