"""The notice that the measures were revised (``qabot pack supersede``), where it must show.

While staff have recorded a revision, every conversation sees the notice once (the first reply
after it was recorded), and every /article and /status reply carries it, as does every
self-check result (the self-check adds it itself). The revision is read from the database
through ``Services.supersession``, so every running process shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.turn import Reply, Turn, esc
from knowledge.claims import load_claims

if TYPE_CHECKING:
    from bot.dialogue import Dialogue

SEEN = "pack_notice"  # state key: the revision this conversation has been told about
ALWAYS = ("/article", "/status", "btn:art")


def notice_text(turn: Turn, *, dated: bool = True) -> str:
    """The notice as plain text, or "" when no revision is recorded (or no database).
    ``dated=False`` leaves the date out, for a message that states a ban (第二十四条)."""
    svc = turn.dialogue.services
    sup = svc.supersession() if svc is not None and hasattr(svc, "supersession") else None
    if sup is None:
        return ""
    if not dated:
        return load_claims(turn.pack).text("notice.superseded_undated", by=sup.by)
    return load_claims(turn.pack).text("notice.superseded", date=sup.since.isoformat(),
                                       by=sup.by)


def register(d: Dialogue) -> None:
    def add_notice(turn: Turn, asked: str, replies: list[Reply]) -> list[Reply]:
        if not replies or asked == "btn:wforget":  # /forget leaves nothing behind
            return replies
        text = notice_text(turn)
        if not text:
            return replies
        seen = turn.state.get(SEEN) == text
        turn.state[SEEN] = text
        if (seen and asked not in ALWAYS) or any(esc(text) in r.html for r in replies):
            return replies
        # a message of its own: a dated notice never shares a message with a ban (第二十四条)
        return [Reply(f"<i>ℹ️ {esc(text)}</i>"), *replies]

    d.reply_filters.append(add_notice)
