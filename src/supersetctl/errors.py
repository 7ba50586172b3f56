"""Typed errors of supersetctl.

The tree::

    SupersetctlError                 base; ``exit_code`` says how the CLI exits
    ├── UsageError                   bad arguments or flags (exit 2)
    ├── ConfigError                  a file of the repo cannot be read or is invalid (exit 2)
    │   └── ContractError            the repo layout the contract names is missing or broken
    ├── SecretsError                 the secret scanner could not run (exit 2)
    ├── SupersetAPIError             the Superset REST API refused or failed (exit 1)
    ├── DatabaseError                PostgreSQL refused or failed (exit 1)
    ├── RegistryError                an OCI registry refused or failed (exit 1)
    ├── DeployError                  the DigitalOcean API refused or a deployment failed (exit 1)
    ├── GitHubError                  the GitHub API refused or failed (exit 1)
    ├── LocalStackError              the local stack could not start, stop or answer (exit 1)
    ├── BrowserError                 headless Chromium could not start, log in or render (exit 1)
    └── OperationFailed              a command ran and found failures (exit 1)

Library functions raise these; only the CLI turns them into messages and exit codes. Messages
never carry a secret value: build them from names, not values, and pass anything doubtful
through :func:`supersetctl.redact.redact`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes of every command."""

    OK = 0
    FINDINGS = 1  # findings, violations, drift, a plan with changes, a failed operation
    USAGE = 2  # usage or configuration error
    INTERNAL = 3  # a bug in supersetctl: the traceback goes to a log file
    INTERRUPTED = 130  # Ctrl-C


class SupersetctlError(Exception):
    """Base of every error supersetctl raises on purpose."""

    exit_code: ExitCode = ExitCode.FINDINGS

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class UsageError(SupersetctlError):
    exit_code = ExitCode.USAGE


class ConfigError(SupersetctlError):
    """A repo file is unreadable or invalid; ``path`` and ``line`` point at it when known."""

    exit_code = ExitCode.USAGE

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return where + super().__str__()


class ContractError(ConfigError):
    pass


class SecretsError(SupersetctlError):
    exit_code = ExitCode.USAGE


class SupersetAPIError(SupersetctlError):
    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class DatabaseError(SupersetctlError):
    pass


class RegistryError(SupersetctlError):
    pass


class DeployError(SupersetctlError):
    pass


class GitHubError(SupersetctlError):
    pass


class LocalStackError(SupersetctlError):
    pass


class BrowserError(SupersetctlError):
    pass


class OperationFailed(SupersetctlError):
    pass
