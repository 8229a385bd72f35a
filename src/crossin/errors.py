"""One exception type for every user-facing error: the CLI prints it as one line, never a traceback."""

from __future__ import annotations


MAX_MESSAGE = 2000  # characters: a message quoting a user's value (a 400 MB string) stays one readable line


class CrossinError(Exception):
    """A problem with the user's input or environment, with the place it was found."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        from .io import redact_secrets  # here, for every message: a URL's password is never printed

        message = redact_secrets(message)
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 20] + f" ... ({len(message):,} chars)"
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(where + message)
