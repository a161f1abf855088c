"""vidgen studio: `python app.py [--host H] [--port P] [--share] [--auth user:pass] [--data DIR] [--gpu-slots N]`.

Also the Hugging Face Space entry point (app_file). Building the UI loads no model.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from vidgen.errors import VidgenError
from vidgen.ui.serve import add_arguments, serve


def space_extras() -> None:
    """A Hugging Face Space installs requirements.txt only: the SoundFont player of the built-in
    composer (requirements-nodeps.txt, without its playback-only pyaudio) is installed here, once."""
    if os.environ.get("SPACE_ID") and importlib.util.find_spec("tinysoundfont") is None:
        nodeps = Path(__file__).with_name("requirements-nodeps.txt")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-r", str(nodeps)], check=False)


def main(argv: list[str] | None = None) -> int:
    space_extras()
    args = add_arguments(argparse.ArgumentParser(prog="app.py", description="The vidgen studio (Gradio).")).parse_args(argv)
    try:
        serve(args)
    except VidgenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
