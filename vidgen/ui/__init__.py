"""The Gradio studio: one module per tab, `api` for the JSON-only endpoints, `builder` to assemble.

Only `vidgen.ui` imports gradio, and only when `build_app`/`launch_options` are first used (the
CLI imports `vidgen.ui.serve` for its flags without paying for gradio). Callbacks are one line
into `vidgen.studio.Studio`.
"""

from typing import Any

__all__ = ["build_app", "launch_options"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import builder

        return getattr(builder, name)
    raise AttributeError(name)
