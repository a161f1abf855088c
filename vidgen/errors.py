"""The one exception type users see. Its message says what to fix."""


class VidgenError(Exception):
    """A failure the user can act on; the message is one line, shown as is (CLI, UI, API)."""


class Cancelled(VidgenError):
    """Raised at the next cancel checkpoint after a job was asked to stop."""

    def __init__(self, message: str = "Cancelled by request."):
        super().__init__(message)
