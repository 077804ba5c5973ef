"""The errors officectl raises, one family per kind of failure.

The library below the command line raises these; the command line turns each into a
one-line message and the exit code its class names. Nothing here imports click.
"""

from __future__ import annotations


class OfficeError(Exception):
    """Base of every error a clerk can act on; ``exit_code`` is what the CLI exits with."""

    exit_code = 2


class BadInput(OfficeError):
    """A record, a field value, an id or a file is not what is wanted."""

    exit_code = 2


class NotFound(OfficeError):
    """No record, person or form by that name."""

    exit_code = 2


class Refused(OfficeError):
    """The workflow does not allow this step now, or not for this person."""

    exit_code = 3


class RegisterError(OfficeError):
    """The register cannot be written now: not found, locked, dirty or git failed."""

    exit_code = 4
