"""vidgen studio: `python app.py [--host H] [--port P] [--share] [--auth user:pass] [--data DIR] [--gpu-slots N]`.

Also the Hugging Face Space entry point (app_file). Building the UI loads no model.
"""

from __future__ import annotations

import argparse
import sys

from vidgen.errors import VidgenError
from vidgen.ui.serve import add_arguments, serve


def main(argv: list[str] | None = None) -> int:
    args = add_arguments(argparse.ArgumentParser(prog="app.py", description="The vidgen studio (Gradio).")).parse_args(argv)
    try:
        serve(args)
    except VidgenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
