"""Import a roster file that staff uploaded in chat, through the registry (issue 4)."""

from __future__ import annotations

from typing import Any

from bot.turn import esc
from knowledge.errors import QabotError


class RosterUnavailable(QabotError):
    """The services have no registry import."""


def import_roster_bytes(services: Any, filename: str, data: bytes) -> str:
    """Import the uploaded roster (all rows or none); return an HTML summary for staff."""
    importer = getattr(services, "import_roster_bytes", None)
    if importer is None:
        raise RosterUnavailable("名单导入功能不可用。")
    report = importer(data, filename)
    return f"📋 名单 <b>{esc(filename)}</b>：{esc(report.summary())}"
