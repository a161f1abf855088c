"""A tiny random-weight MusicGen, saved in the HF cache layout, for tests and benchmarks.

Built with the real transformers classes from seeded tiny configs, so vidgen's MusicGen service
runs exactly as on real weights, on the CPU, in well under a second per generation:
3200 Hz EnCodec with a hop of 64 samples (50 frames a second, like Meta's models), 2 codebooks
of 64 codes, a 1-layer T5 text encoder over a hand-written word vocabulary, and a decoder whose
position table gives a one-second generation window (`window_frames` = 50), so continuation
past the window is exercised by any request over a second. `stereo=True` builds the layout of
Meta's musicgen-stereo models (two codebooks per channel).

    repo = save_tiny_musicgen(tmp / "hub")               # HF_HUB_CACHE=tmp/hub, HF_HUB_OFFLINE=1
    spec = registry.add(repo, "music")                   # backend transformers-musicgen
"""

from __future__ import annotations

from pathlib import Path

from .tiny_models import snapshot_dir

REPO = "tiny-org/tiny-musicgen"
STEREO_REPO = "tiny-org/tiny-musicgen-stereo"
SAMPLE_RATE = 3200
FRAME_RATE = 50
CODEBOOK_SIZE = 64
NUM_CODEBOOKS = 2
WINDOW_FRAMES = 50  # one second

_WORDS = ("joyful upbeat calm peaceful sad melancholic tense suspenseful mysterious dark romantic tender "
          "epic powerful light unobtrusive ambient orchestral piano electronic lofi rock jazz cinematic "
          "soundtrack instrumental no vocals bpm and soft warm synth pads strings").split()


def _tokenizer():
    """A T5 tokenizer from a (piece, score) vocabulary: whole words, then single characters as a
    fallback, so any prompt tokenizes (no sentencepiece file needed in transformers 5)."""
    from transformers import T5Tokenizer

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [("▁" + w, -3.0 - i * 0.01) for i, w in enumerate(_WORDS)]
    vocab += [(ch, -8.0) for ch in "abcdefghijklmnopqrstuvwxyz0123456789,.-"]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


def build_tiny_musicgen(stereo: bool = False):
    """(model, processor): a MusicgenForConditionalGeneration with random weights (seeded).
    Stereo, like Meta's musicgen-stereo models, interleaves two codebooks per channel."""
    import torch
    from transformers import (EncodecConfig, EncodecFeatureExtractor, MusicgenConfig, MusicgenDecoderConfig,
                              MusicgenForConditionalGeneration, MusicgenProcessor, T5Config)

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    text = T5Config(vocab_size=len(tokenizer), d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2,
                    decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    codec = EncodecConfig(sampling_rate=SAMPLE_RATE, target_bandwidths=[0.6], upsampling_ratios=[8, 8],
                          hidden_size=16, num_filters=4, num_residual_layers=1, num_lstm_layers=1,
                          codebook_size=CODEBOOK_SIZE)
    assert codec.frame_rate == FRAME_RATE and codec.num_quantizers >= NUM_CODEBOOKS
    # The decoder's special ids equal the codebook size (one past the last code), as in Meta's models.
    channels = 2 if stereo else 1
    codebooks = NUM_CODEBOOKS * channels
    decoder = MusicgenDecoderConfig(vocab_size=CODEBOOK_SIZE, max_position_embeddings=WINDOW_FRAMES + codebooks,
                                    num_hidden_layers=2, ffn_dim=32, num_attention_heads=2, hidden_size=16,
                                    num_codebooks=codebooks, audio_channels=channels, pad_token_id=CODEBOOK_SIZE,
                                    bos_token_id=CODEBOOK_SIZE)
    model = MusicgenForConditionalGeneration(MusicgenConfig(text_encoder=text, audio_encoder=codec, decoder=decoder))
    with torch.no_grad():  # EnCodec starts with all-zero codebooks: every code would decode to the same sound
        for name, buffer in model.audio_encoder.named_buffers():
            if name.endswith(".embed") or name.endswith(".embed_avg"):
                buffer.copy_(torch.randn(buffer.shape))
    gen = model.generation_config
    gen.pad_token_id = gen.bos_token_id = gen.decoder_start_token_id = CODEBOOK_SIZE
    gen.do_sample, gen.guidance_scale = True, 3.0  # Meta's defaults: sampling with classifier-free guidance
    features = EncodecFeatureExtractor(feature_size=channels, sampling_rate=SAMPLE_RATE, padding_value=0.0)
    return model.eval(), MusicgenProcessor(feature_extractor=features, tokenizer=tokenizer)


def save_tiny_musicgen(cache_dir: Path, repo: str = REPO, *, stereo: bool = False) -> str:
    """Save the tiny MusicGen (model and processor in one folder, as on the hub) into the HF hub
    cache at `cache_dir`: a snapshot folder and refs/main. Returns the repo id. An existing
    snapshot is kept."""
    folder = snapshot_dir(Path(cache_dir), repo)
    if not (folder / "model.safetensors").is_file():
        model, processor = build_tiny_musicgen(stereo)
        model.save_pretrained(str(folder), safe_serialization=True)
        processor.save_pretrained(str(folder))
        refs = folder.parent.parent / "refs"
        refs.mkdir(parents=True, exist_ok=True)
        (refs / "main").write_text(folder.name)
    return repo
