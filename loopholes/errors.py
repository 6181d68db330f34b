"""One exception hierarchy. Every message here is user-facing API: it names what is
wrong, where, and what would be valid, in one line, because the CLI prints it as is."""

from __future__ import annotations

import unicodedata

MAX_MESSAGE = 600
"""Longest message the CLI prints; the rest of a runaway message is cut."""


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` as one printable line: control characters (newlines included) escaped, so
    input echoed in a message cannot break lines or drive the terminal."""
    out = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    line = "".join(out)
    return line if len(line) <= limit else line[: limit - 3] + "..."


class LoopholesError(Exception):
    """Base of every error the tool raises on purpose; the CLI turns it into exit code 2."""


class SpecError(LoopholesError, ValueError):
    """A lifecycle spec file cannot be read or does not describe a valid lifecycle."""

    def __init__(self, message: str, *, source: str = "", step: str = "", field: str = ""):
        self.source, self.step, self.field = source, step, field
        where = [part for part in (source, f"step '{step}'" if step else "", f"field '{field}'" if field else "") if part]
        super().__init__(one_line(f"{': '.join(where)}: {message}" if where else message))


class PolicyError(LoopholesError, ValueError):
    """A policy module or id cannot be loaded, or a policy is malformed."""


class ReadingError(PolicyError):
    """A reading was asked for that the policy does not offer."""


class CoefficientError(LoopholesError, ValueError):
    """A capability coefficient file is missing, malformed or lacks a citation."""


class StrategyError(LoopholesError, ValueError):
    """An unknown strategy id, or a strategy that is malformed."""


class UsageError(LoopholesError, ValueError):
    """A command-line argument is out of range or does not fit the command."""


class OutputError(UsageError):
    """An output folder or file cannot be written; the message names the path and the reason."""
