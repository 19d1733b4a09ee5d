"""What can go wrong, each with its exit code; the top-level handler prints the message, never a trace.

    CliError               exit 1
    ├── UsageError         exit 3  bad arguments, configuration or project files
    ├── ApiError           exit 4  the platform answered with an error (its code and message)
    └── ConnectionFailed   exit 5  the platform could not be reached
Exit 2 is kept for `apimctl diff` finding drift.
"""

from __future__ import annotations

OK = 0
DRIFT = 2
USAGE = 3
API = 4
CONNECTION = 5


class CliError(Exception):
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CliError):
    exit_code = USAGE


class ApiError(CliError):
    exit_code = API

    def __init__(self, status: int, code: str | None, message: str, description: str = "") -> None:
        self.status, self.code, self.description = status, code, description
        text = f"{status}"
        if code:
            text += f" [{code}]"
        text += f" {message}"
        if description and description != message:
            text += f": {description}"
        super().__init__(text)


class ConnectionFailed(CliError):
    exit_code = CONNECTION
