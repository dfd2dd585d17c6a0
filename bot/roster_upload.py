"""Import a roster file that staff uploaded in chat, through the registry (issue 4).

The registry reads files by path (CSV in UTF-8/BOM/GBK, .xlsx); the upload is written to a
temporary file with its own suffix, imported all-or-nothing, and removed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath
from typing import Any

from bot.dialogue import esc
from knowledge.errors import QabotError


class RosterUnavailable(QabotError):
    """The registry is not installed."""


def import_roster_bytes(services: Any, filename: str, data: bytes) -> str:
    """Import the uploaded roster; return an HTML summary for staff (QabotError if refused)."""
    try:
        from bot.registry import import_roster
    except ModuleNotFoundError as e:
        raise RosterUnavailable("名单导入功能尚未安装（bot.registry）。") from e
    suffix = PurePath(filename).suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"roster{suffix}"
        path.write_bytes(data)
        result = import_roster(services, path)
    return f"名单 <b>{esc(filename)}</b> 已导入。\n{esc(result)}"
