"""The one place where a `VidgenError` becomes a `gr.Error` the browser and API clients see."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, TypeVar

import gradio as gr
from gradio.context import LocalContext

from ..errors import VidgenError

F = TypeVar("F", bound=Callable[..., Any])


def shown(fn: F) -> F:
    """Wrap a callback so a VidgenError reaches the user as its one-line message (never swallowed).

    Works for plain functions and generators; anything else propagates as the bug it is.
    """
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except VidgenError as e:
                raise gr.Error(str(e), print_exception=False) from e

        return gen  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except VidgenError as e:
            raise gr.Error(str(e), print_exception=False) from e

    return call  # type: ignore[return-value]


def signed_in_user() -> str:
    """The login of the request being handled ("" without logins or outside a request): Gradio keeps
    the request of the event it runs in its context, in the thread the callback runs in."""
    request = LocalContext.request.get(None)
    return (getattr(request, "username", None) or "") if request is not None else ""
