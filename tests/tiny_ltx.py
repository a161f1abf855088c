"""Tiny random-weight LTX-Video pipelines, for tests.

Built with the real classes from seeded tiny configs (diffusers' own LTX test recipe): a one-layer
LTXVideoTransformer3DModel, a two-scaling AutoencoderKLLTXVideo (4x in space and in time, so 9
frames are 3 latent frames), a tiny T5 encoder with a T5 tokenizer made offline from a hand-written
unigram vocabulary (single letters), a flow-matching Euler scheduler. The VAE's encoder is given a
near-zero posterior variance (random weights give a log-variance near 0: unit noise around the
mean), so the latent a picture encodes to is the picture's own; its decoder stays random (it
paints no recognisable picture).

    save_tiny_ltx(cache)                              # the registry's ltx-video repo (LTXPipeline model_index)
    save_tiny_ltx(cache, DISTILLED_REPO, condition=True)  # LTXConditionPipeline, timestep-conditioned VAE
"""

from __future__ import annotations

import string
from pathlib import Path

from .tiny_models import save_in_hf_cache

REPO = "Lightricks/LTX-Video"  # the registry's ltx-video record
DISTILLED_REPO = "Lightricks/LTX-Video-0.9.7-distilled"  # ltx-video-0.9.7-distilled
SCALE = 4  # the tiny VAE's spatial and temporal compression


def _tokenizer():
    from transformers import T5Tokenizer

    # T5's layout: <pad>=0, </s>=1, <unk>=2, then the pieces; no sentencepiece file needed.
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(ch, -3.0) for ch in string.ascii_lowercase] + [("▁" + ch, -2.5) for ch in string.ascii_lowercase]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=128)


def build_tiny_ltx(*, condition: bool = False):
    """An LTXImageToVideoPipeline (LTXConditionPipeline with `condition`, its VAE timestep-conditioned
    as 0.9.1+ VAEs are) with random weights (seeded)."""
    import torch
    from diffusers import (AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXConditionPipeline,
                           LTXImageToVideoPipeline, LTXVideoTransformer3DModel)
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    text_encoder = T5EncoderModel(T5Config(
        vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=37, num_layers=1, num_heads=4,
        relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0))
    transformer = LTXVideoTransformer3DModel(in_channels=8, out_channels=8, patch_size=1, patch_size_t=1,
                                             num_attention_heads=4, attention_head_dim=8, cross_attention_dim=32,
                                             num_layers=1, caption_channels=32)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False), decoder_inject_noise=(False,) * 5,
        upsample_residual=(False,) * 4, upsample_factor=(1,) * 4, timestep_conditioning=condition,
        patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False)
    with torch.no_grad():  # a narrow posterior: a picture's sampled latent is its mean
        vae.encoder.conv_out.conv.weight[-1].zero_()
        vae.encoder.conv_out.conv.bias[-1].fill_(-30.0)  # the log-variance channel (clamped there)
    # LTX-Video's own I2V schedule is resolution-shifted (mu); the condition pipeline sets its own sigmas.
    scheduler = FlowMatchEulerDiscreteScheduler(**({} if condition else dict(
        use_dynamic_shifting=True, base_image_seq_len=1024, base_shift=0.95, max_shift=2.05, shift_terminal=0.1)))
    cls = LTXConditionPipeline if condition else LTXImageToVideoPipeline
    return cls(scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer)


def save_tiny_ltx(cache: Path, repo: str = REPO, *, condition: bool = False) -> Path:
    """The tiny pipeline in an HF cache snapshot of `repo`; without `condition` its model_index names
    LTXPipeline, as the real Lightricks/LTX-Video root does."""
    import json

    folder = save_in_hf_cache(build_tiny_ltx(condition=condition), cache, repo)
    if not condition:
        index = folder / "model_index.json"
        index.write_text(json.dumps({**json.loads(index.read_text()), "_class_name": "LTXPipeline"}, indent=2))
    return folder
