"""Turn the dialogue's Telegram-HTML replies into plain text for terminals and JSON."""

from __future__ import annotations

import html
import re

_BLOCKQUOTE = re.compile(r"<blockquote>(.*?)</blockquote>", re.S)
_TAG = re.compile(r"</?(b|i|u|s|code|pre|a)(\s[^>]*)?>")


def html_to_text(markup: str) -> str:
    def quote(m: re.Match[str]) -> str:
        return "\n".join("  │ " + ln for ln in m.group(1).strip("\n").split("\n"))

    text = _BLOCKQUOTE.sub(quote, markup)
    text = _TAG.sub("", text)
    return html.unescape(text)
