"""A request the broker refuses: an HTTP status, a stable code for the caller and the audit
line, and a message that never holds a token or a secret."""

from __future__ import annotations


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
