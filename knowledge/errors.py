"""One base class for errors a user can be told about; the glue turns them into messages."""

from __future__ import annotations


class QabotError(Exception):
    """An error whose message (in Chinese) can be shown to the user as it is."""

    exit_code = 2
