"""Errors that reach the user as one line naming the input and the problem."""

from __future__ import annotations


class NewstraceError(Exception):
    """Base of every error the CLI reports without a traceback."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class InputError(NewstraceError):
    """A file, page or export could not be read or parsed."""


class FetchError(NewstraceError):
    """A URL could not be fetched (refused, unreachable, HTTP error, too large, timed out)."""


class NotFoundError(InputError):
    """What was asked for (an article, a post, a story) is not in the store."""
