"""Tiny random-weight Wan pipelines (2.2 TI2V and 2.1 I2V), for tests.

Built with the real classes from seeded tiny configs (diffusers' own Wan test recipe): a
WanTransformer3DModel, an AutoencoderKLWan, a UMT5 text encoder with a T5 tokenizer made from a
hand-written vocab, a UniPC flow-matching scheduler; plus, for 2.1, a CLIP vision encoder and its
image processor.

2.2 TI2V (`expand_timesteps`): the VAE is the 2.2 kind (patchified, residual, z_dim 48, 16x down), so
sides are multiples of 32 as on the real model. Its snapshot's model_index.json is the real repo's
(`WanPipeline`, `expand_timesteps: true`, no image encoder). Its VAE is made faithful by hand
(`faithful_vae`): with random weights a decoded frame is grey whatever went in, so "the still is
the first frame" could not be seen.

2.1 I2V: the 2.1 VAE (8x down, z_dim 16) and a transformer with `image_dim`, random throughout.

    save_tiny_wan(hf_cache)                      # both, under the registry's repo ids
    pipe = build_tiny_ti2v(); pipe = build_tiny_i2v(scratch)
"""

from __future__ import annotations

import json
from pathlib import Path

from .tiny_models import save_in_hf_cache

REPO_TI2V = "Wan-AI/Wan2.2-TI2V-5B-Diffusers"  # the registry's wan2.2-ti2v-5b record
REPO_I2V = "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"  # wan2.1-i2v-14b-480p
TEXT_DIM = 32

# The real Wan2.2-TI2V-5B-Diffusers model_index.json (less _diffusers_version): a WanPipeline that
# vidgen loads as WanImageToVideoPipeline, expand_timesteps carrying the 5B's first-frame route.
TI2V_INDEX = {
    "_class_name": "WanPipeline", "_diffusers_version": "0.35.0.dev0", "boundary_ratio": None,
    "expand_timesteps": True, "scheduler": ["diffusers", "UniPCMultistepScheduler"],
    "text_encoder": ["transformers", "UMT5EncoderModel"], "tokenizer": ["transformers", "T5TokenizerFast"],
    "transformer": ["diffusers", "WanTransformer3DModel"], "transformer_2": [None, None],
    "vae": ["diffusers", "AutoencoderKLWan"],
}

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
K = 100.0  # the faithful VAE's constant channel: large, so RMS norms divide by about K alone
S = 0.05  # its heads' pre-SiLU scale: small, so SiLU is nearly linear (x/2)


def _text():
    """A T5 (Unigram) tokenizer over single letters and a UMT5 encoder sized for it."""
    from transformers import T5Tokenizer, UMT5Config, UMT5EncoderModel

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -1.0)]
    vocab += [(c, -2.0) for c in _LETTERS] + [("\u2581" + c, -1.5) for c in _LETTERS]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0)
    encoder = UMT5EncoderModel(UMT5Config(vocab_size=len(tokenizer), d_model=TEXT_DIM, d_kv=8, d_ff=37, num_layers=2,
                                          num_heads=4, relative_attention_num_buckets=8))
    return tokenizer, encoder


def _scheduler(flow_shift: float):
    from diffusers import UniPCMultistepScheduler

    # The real snapshots' scheduler: UniPC on flow sigmas (flow_shift 5.0 for TI2V 5B, 3.0 for 480p).
    return UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=flow_shift,
                                   num_train_timesteps=1000)


def _transformer(in_channels: int, out_channels: int, image_dim: int | None = None):
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
                                 in_channels=in_channels, out_channels=out_channels, text_dim=TEXT_DIM, freq_dim=256,
                                 ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                 rope_max_seq_len=32, image_dim=image_dim)


def faithful_vae():
    """A 2.2-kind AutoencoderKLWan (z_dim 48, patch 2, residual blocks: 16x down) set by hand so that
    decode(encode(picture)) is the picture's 16x16 block means, and frames between two latent frames
    are interpolated.

    How: the residual blocks' and resamplers' own paths are zeroed, so the parameter-free shortcuts
    (AvgDown3D: average pooling; DupUp3D: nearest upsampling) carry the 12 patchified channels; a
    constant channel of K makes each RMS norm divide by about K, and the heads scale by S before their
    SiLU, so norm + SiLU + conv is nearly linear. The decoder's temporal upsamplers keep one job: the
    earlier of each pair of new frames is halfway to the previous frame (linear interpolation)."""
    import torch
    from diffusers import AutoencoderKLWan
    from diffusers.models.autoencoders.autoencoder_kl_wan import WanResample

    dim, z, n = 16, 48, 12
    vae = AutoencoderKLWan(base_dim=dim, z_dim=z, in_channels=n, out_channels=n, is_residual=True, patch_size=2,
                           latents_mean=[0.0] * z, latents_std=[1.0] * z, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           scale_factor_spatial=16, temperal_downsample=[False, True, True])
    eye = torch.arange(n)
    with torch.no_grad():
        for p in vae.parameters():
            p.zero_()
        for m in vae.modules():
            if isinstance(m, WanResample) and m.mode == "upsample3d":
                m.resample[1].weight[torch.arange(dim), torch.arange(dim), 1, 1] = 1.0  # identity 3x3
                m.time_conv.weight[eye, eye, 1] = 0.5  # first new frame: + (previous - current) / 2
                m.time_conv.weight[eye, eye, 2] = -0.5
        for conv_in in (vae.encoder.conv_in, vae.decoder.conv_in):
            conv_in.weight[eye, eye, 2, 1, 1] = 1.0  # the current frame, centre tap
            conv_in.bias[n] = K
        for head, out in ((vae.encoder, vae.encoder.conv_out), (vae.decoder, vae.decoder.conv_out)):
            head.norm_out.gamma[:n] = S * K / dim ** 0.5  # the norm's output is S times the value
            out.weight[eye, eye, 2, 1, 1] = 2.0 / S  # SiLU(S v) ~ S v / 2
        vae.quant_conv.weight[torch.arange(2 * z), torch.arange(2 * z), 0, 0, 0] = 1.0
        vae.post_quant_conv.weight[torch.arange(z), torch.arange(z), 0, 0, 0] = 1.0
    return vae


def build_tiny_ti2v():
    """A WanImageToVideoPipeline like Wan 2.2 TI2V 5B: expand_timesteps, no image encoder, in == out == z_dim."""
    import torch
    from diffusers import WanImageToVideoPipeline

    torch.manual_seed(0)
    tokenizer, text_encoder = _text()
    return WanImageToVideoPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=faithful_vae(),
                                   scheduler=_scheduler(5.0), transformer=_transformer(48, 48),
                                   expand_timesteps=True)


def build_tiny_i2v():
    """A WanImageToVideoPipeline like Wan 2.1 I2V: CLIP image encoder, transformer with image_dim,
    in_channels = latents 16 + mask 4 + condition 16."""
    import torch
    from diffusers import AutoencoderKLWan, WanImageToVideoPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    tokenizer, text_encoder = _text()
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    encoder = CLIPVisionModel(CLIPVisionConfig(hidden_size=4, projection_dim=4, num_hidden_layers=2,
                                               num_attention_heads=2, image_size=32, intermediate_size=16,
                                               patch_size=8))
    return WanImageToVideoPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=_scheduler(3.0),
                                   image_processor=CLIPImageProcessor(crop_size=32, size=32), image_encoder=encoder,
                                   transformer=_transformer(36, 16, image_dim=4))


def save_tiny_wan(cache: Path) -> dict[str, Path]:
    """Both tiny pipelines in an HF cache under the records' repos; the TI2V snapshot's model_index is
    the real repo's (WanPipeline). Returns {repo: snapshot folder}."""
    ti2v = save_in_hf_cache(build_tiny_ti2v(), cache, REPO_TI2V)
    (ti2v / "model_index.json").write_text(json.dumps(TI2V_INDEX, indent=2))
    return {REPO_TI2V: ti2v, REPO_I2V: save_in_hf_cache(build_tiny_i2v(), cache, REPO_I2V)}
