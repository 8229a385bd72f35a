"""One exception type for every user-facing error: the CLI prints it as one line, never a traceback."""

from __future__ import annotations

import re


MAX_MESSAGE = 2000  # characters: a message quoting a user's value (a 400 MB string) stays one readable line


# user:password@ or token@ in a URL, and key-like query parameters
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@")
_URL_SECRET_PARAM = re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access[_-]?token|password|secret|sig)=)[^&#\s]+")


def redact_text(text: str) -> str:
    """`text` with credentials in URLs replaced by `***` (user:password@host, ?api_key=...)."""
    if "://" not in text:
        return text
    return _URL_SECRET_PARAM.sub(r"\1***", _URL_USERINFO.sub(r"\g<scheme>***@", text))


class CrossinError(Exception):
    """A problem with the user's input or environment, with the place it was found."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        message = redact_text(message)  # here, for every message: a URL's password is never printed
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 20] + f" ... ({len(message):,} chars)"
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(where + message)
