"""Turn dialogue replies into Telegram ``send_message`` arguments.

A reply's HTML is already escaped by the features; here it gets an inline keyboard and, when
longer than Telegram's 4096-character limit, is split on sentence boundaries so that every
piece is valid HTML on its own (tags open at a cut are closed and reopened).
"""

from __future__ import annotations

import re
from typing import Any

from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
)
from telegram.constants import MessageLimit, ParseMode

from bot.turn import Button, Reply

LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096

_ATOM = re.compile(r"<[^>]*>|&#?\w+;|.", re.S)
_SENTENCE_END = set("。！？；!?\n")
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)")


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, url=b.url) if b.url
          else InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
         for row in rows])


def render(reply: Reply, *, group: bool = False) -> list[dict[str, Any]]:
    """The ``send_message`` keyword arguments for one reply (more than one if it is long)."""
    chunks = split_html(reply.html)
    out: list[dict[str, Any]] = [
        {"text": chunk, "parse_mode": ParseMode.HTML,
         "link_preview_options": LinkPreviewOptions(is_disabled=True)}
        for chunk in chunks
    ]
    markup: InlineKeyboardMarkup | ForceReply | None = keyboard(reply.buttons)
    if markup is None and reply.expects_text and group:
        # A bot in a group only sees replies to its own messages: ask for one.
        markup = ForceReply(selective=True)
    if markup is not None:
        out[-1]["reply_markup"] = markup
    return out


def split_html(text: str, limit: int = LIMIT) -> list[str]:
    """Split Telegram HTML into pieces of at most ``limit`` characters, at sentence ends.

    Each piece closes the tags still open at its end and the next reopens them; a sentence
    longer than ``limit`` is cut between characters (never inside a tag or an entity).
    """
    if len(text) <= limit:
        return [text] if text.strip() else ["…"]
    pieces: list[str] = []
    stack: list[tuple[str, str]] = []  # (name, opening tag) of tags open at the end of cur
    cur = ""
    head = 0  # length of the reopened tags at the start of cur
    brk: tuple[int, list[tuple[str, str]]] | None = None  # last sentence end in cur

    def closers(tags: list[tuple[str, str]]) -> str:
        return "".join(f"</{name}>" for name, _ in reversed(tags))

    def openers(tags: list[tuple[str, str]]) -> str:
        return "".join(tag for _, tag in tags)

    for atom in _ATOM.findall(text):
        after = list(stack)
        m = _TAG.match(atom) if atom.startswith("<") else None
        if m:
            if m.group(1):
                if after and after[-1][0] == m.group(2).lower():
                    after.pop()
            else:
                after.append((m.group(2).lower(), atom))
        while len(cur) + len(atom) + len(closers(after)) > limit and cur:
            if brk is not None and brk[0] > head:
                at, tags = brk
                pieces.append(cur[:at] + closers(tags))
                cur = openers(tags) + cur[at:]
                head = len(openers(tags))
            else:
                pieces.append(cur + closers(stack))
                cur = openers(stack)
                head = len(cur)
            brk = None
            if cur and len(cur) == head:
                break  # only reopened tags left: nothing more to cut here
        cur += atom
        stack = after
        if atom in _SENTENCE_END:
            brk = (len(cur), list(stack))
    pieces.append(cur)
    out = [p.strip() for p in pieces]
    return [p for p in out if re.sub(r"<[^>]*>", "", p).strip()] or ["…"]
