"""One Settings object, read from the environment (VIDGEN_*) when asked, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import VidgenError


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    max_script_bytes: int = 256 * 1024  # ~40k words, hours of video
    max_scenes: int = 500
    ffmpeg: str = ""  # path to an ffmpeg binary; "" uses the one imageio-ffmpeg ships
    voices_dir: Path | None = None  # VIDGEN_VOICES_DIR: a folder of the user's Piper voices
    renders_per_hour: int = 20  # VIDGEN_RENDERS_PER_HOUR: per signed-in user (0 = no limit)
    jobs_per_user: int = 3  # VIDGEN_JOBS_PER_USER: queued or running at once, per signed-in user (0 = no limit)

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike | None = None) -> "Settings":
        env = os.environ
        root = data_dir or env.get("VIDGEN_DATA") or "data"
        s = cls(data_dir=Path(root).expanduser().resolve(), ffmpeg=env.get("VIDGEN_FFMPEG", ""))
        if env.get("VIDGEN_VOICES_DIR"):
            s = replace(s, voices_dir=Path(env["VIDGEN_VOICES_DIR"]).expanduser())
        if "VIDGEN_MAX_SCRIPT_KB" in env:
            s = replace(s, max_script_bytes=int(env["VIDGEN_MAX_SCRIPT_KB"]) * 1024)
        for name in ("renders_per_hour", "jobs_per_user"):
            value = env.get(f"VIDGEN_{name.upper()}", "")
            if value:
                if not value.isdigit():
                    raise VidgenError(f"VIDGEN_{name.upper()} must be a whole number 0 or more (0 = no limit), "
                                     f"not {value!r}.")
                s = replace(s, **{name: int(value)})
        return s

    @property
    def db_path(self) -> Path:
        return self.data_dir / "vidgen.json"

    @property
    def assets_dir(self) -> Path:
        return self.data_dir / "assets"

    @property
    def renders_dir(self) -> Path:
        return self.data_dir / "renders"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def voice_folders(self) -> tuple[Path, ...]:
        """Where the user's Piper voices (.onnx + .onnx.json) are looked for: VIDGEN_VOICES_DIR, then
        the data folder's voices/."""
        return tuple(p for p in (self.voices_dir, self.data_dir / "voices") if p is not None)
