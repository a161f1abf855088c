"""One Settings object, read from the environment (VIDGEN_*) when asked, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    max_script_bytes: int = 256 * 1024  # ~40k words, hours of video
    max_scenes: int = 500
    ffmpeg: str = ""  # path to an ffmpeg binary; "" uses the one imageio-ffmpeg ships

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike | None = None) -> "Settings":
        env = os.environ
        root = data_dir or env.get("VIDGEN_DATA") or "data"
        s = cls(data_dir=Path(root).expanduser().resolve(), ffmpeg=env.get("VIDGEN_FFMPEG", ""))
        if "VIDGEN_MAX_SCRIPT_KB" in env:
            s = replace(s, max_script_bytes=int(env["VIDGEN_MAX_SCRIPT_KB"]) * 1024)
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
