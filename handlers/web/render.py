"""Dialogue replies as JSON for the page (and any other front end).

The dialogue writes a small subset of Telegram HTML with its texts already escaped. Here that
HTML is parsed again and only the known tags pass, without attributes; everything else becomes
text. The page then builds its DOM from these few tags itself, so a bot text can never become
markup on the page, whatever a feature or the knowledge pack contains.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

from bot.render import html_to_text
from bot.turn import Reply

ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "u", "s", "code", "pre", "blockquote"})


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ALLOWED_TAGS:
            self.out.append(f"<{tag}>")
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ALLOWED_TAGS and tag in self.open:
            while self.open:  # close what a sloppy reply left open inside it
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def sanitise(markup: str) -> str:
    """Only ``<b> <i> <u> <s> <code> <pre> <blockquote>`` (no attributes) and escaped text."""
    parser = _Sanitiser()
    parser.feed(markup)
    return parser.result()


def reply_json(reply: Reply) -> dict[str, Any]:
    """One reply: safe HTML, plain text, rows of buttons, and what the page may do with it."""
    data = reply.data or {}
    report = data.get("report")
    return {
        "html": sanitise(reply.html),
        "text": html_to_text(reply.html),
        "buttons": [[{"label": b.label, "data": b.data} for b in row if not b.url]
                    for row in reply.buttons if any(not b.url for b in row)],
        "expects_text": reply.expects_text,
        # In answer to a press, this reply takes the place of the pressed message (the
        # questionnaire is one message): the page replaces its last bot bubble.
        "replace_previous": reply.replace,
        # A short note about the press itself (used up, someone else's): the page shows it
        # as a note, not as an answer.
        "popup": reply.popup,
        "report": report if isinstance(report, dict) else None,
    }


def replies_json(replies: list[Reply]) -> list[dict[str, Any]]:
    return [reply_json(r) for r in replies]
