"""The one exception type users see. Its message says what to fix."""

import re

# An absolute path of two or more parts. Answers name things by id, never the server's folders.
_PATH = re.compile(r"(?<![\w<>:/])/(?:[^\s'\"/:]+/)+[^\s'\":,;]*")


class VidgenError(Exception):
    """A failure the user can act on; the message is one line, shown as is (CLI, UI, API)."""


class Cancelled(VidgenError):
    """Raised at the next cancel checkpoint after a job was asked to stop."""

    def __init__(self, message: str = "Cancelled by request."):
        super().__init__(message)


def without_paths(text: str) -> str:
    """`text` with every absolute path replaced by <file> (a library's reason may hold one)."""
    return _PATH.sub("<file>", text)
