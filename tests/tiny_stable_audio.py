"""A tiny random-weight Stable Audio Open pipeline, saved in the HF cache layout of the real repo, for tests.

Built with the real classes from seeded tiny configs (diffusers' `get_dummy_components` recipe,
rewritten): a 1-layer T5 encoder over a hand-written word vocabulary, the projection model, a
2-layer DiT, a stereo Oobleck VAE and the Cosine DPM-Solver (SDE) scheduler. The VAE hops 16
samples at 4000 Hz and the DiT holds 256 latents, so one generation is at most WINDOW (1.024 s):
any longer bed loops, any longer event is refused. Saved with the real repo's folder and file
names (model_index.json naming T5TokenizerFast, as the hub's does), so the registry's
`stable-audio-open-1.0` record finds it offline.

    save_tiny_stable_audio(tmp / "hub")                 # HF_HUB_CACHE=tmp/hub, HF_HUB_OFFLINE=1
    spec = registry.get("stable-audio-open-1.0")
"""

from __future__ import annotations

import json
from pathlib import Path

from .tiny_models import save_in_hf_cache

REPO = "stabilityai/stable-audio-open-1.0"  # the registry's stable-audio-open-1.0 record
SAMPLE_RATE = 4000
HOP = 16  # the VAE's downsampling ratios (4, 4)
LATENTS = 256  # the DiT's sample_size
WINDOW = LATENTS * HOP / SAMPLE_RATE  # 1.024 s

_WORDS = ("rain thunder wind sea waves fire crowd footsteps knock bell gull cries over the harbour a an on "
          "tin roof door slams sound effect steady ambience low quality distorted music speech").split()


def _tokenizer():
    """A T5 tokenizer from a (piece, score) vocabulary: whole words, then single characters as a
    fallback, so any prompt tokenizes (no sentencepiece file needed in transformers 5)."""
    from transformers import T5TokenizerFast

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [("▁" + w, -3.0 - i * 0.01) for i, w in enumerate(_WORDS)]
    vocab += [(ch, -8.0) for ch in "abcdefghijklmnopqrstuvwxyz0123456789,.-'"]
    return T5TokenizerFast(vocab=vocab, extra_ids=0, model_max_length=24)


def build_tiny_stable_audio():
    """A StableAudioPipeline with random weights (seeded)."""
    import torch
    from diffusers import (AutoencoderOobleck, CosineDPMSolverMultistepScheduler, StableAudioDiTModel,
                           StableAudioPipeline)
    from diffusers.pipelines.stable_audio import StableAudioProjectionModel
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    text = T5EncoderModel(T5Config(vocab_size=len(tokenizer), d_model=16, d_kv=4, d_ff=32, num_layers=1,
                                   num_heads=2, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0))
    cond, latent = 8, 4  # the conditioning width; the VAE's latent channels
    projection = StableAudioProjectionModel(text_encoder_dim=16, conditioning_dim=cond, min_value=0, max_value=64)
    transformer = StableAudioDiTModel(
        sample_size=LATENTS, in_channels=latent, out_channels=latent, num_layers=2, attention_head_dim=8,
        num_attention_heads=2, num_key_value_attention_heads=1, cross_attention_dim=16, time_proj_dim=8,
        global_states_input_dim=2 * cond, cross_attention_input_dim=cond)  # global: start and end seconds
    vae = AutoencoderOobleck(encoder_hidden_size=8, downsampling_ratios=[4, 4], channel_multiples=[1, 2],
                             decoder_channels=8, decoder_input_channels=latent, audio_channels=2,
                             sampling_rate=SAMPLE_RATE)
    # The real repo's scheduler_config.json, as far as it differs from the defaults.
    scheduler = CosineDPMSolverMultistepScheduler(sigma_min=0.3, sigma_max=500, sigma_data=1.0,
                                                  sigma_schedule="exponential", solver_order=2,
                                                  prediction_type="v_prediction", rho=7.0, solver_type="midpoint",
                                                  final_sigmas_type="zero")
    return StableAudioPipeline(vae=vae, text_encoder=text, projection_model=projection, tokenizer=tokenizer,
                               transformer=transformer, scheduler=scheduler)


def save_tiny_stable_audio(cache_dir: Path, repo: str = REPO) -> Path:
    """The tiny pipeline in an HF hub cache snapshot of `repo` (refs/main set); returns its folder."""
    folder = save_in_hf_cache(build_tiny_stable_audio(), Path(cache_dir), repo)
    index = folder / "model_index.json"
    data = json.loads(index.read_text())
    data["tokenizer"] = ["transformers", "T5TokenizerFast"]  # as the hub's; transformers 5 makes it T5Tokenizer
    index.write_text(json.dumps(data, indent=2))
    return folder
