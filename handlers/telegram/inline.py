"""Inline mode: ``@bot 公示`` or ``@bot 24`` in any chat offers matching articles."""

from __future__ import annotations

import logging
import re

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import InlineQueryLimit, ParseMode
from telegram.ext import ContextTypes

from handlers.telegram import texts
from handlers.telegram.common import dialogue_of
from handlers.telegram.render import split_html

logger = logging.getLogger(__name__)

MAX_RESULTS = 10


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the articles matching the query as messages to insert."""
    query = update.inline_query
    if query is None:
        return
    text = query.query.strip()[:64]
    results = []
    if text:
        try:
            from bot.features.qa import inline_results
        except ImportError:
            logger.warning("inline query without bot.features.qa.inline_results")
            found: list[tuple[int, str, str]] = []
        else:
            found = inline_results(dialogue_of(context), text)
        for number, title, html_text in found[:MAX_RESULTS]:
            results.append(InlineQueryResultArticle(
                id=f"art{number}",
                title=title,
                description=_plain(html_text)[:100],
                input_message_content=InputTextMessageContent(
                    split_html(html_text)[0], parse_mode=ParseMode.HTML),
            ))
    button_text = texts.INLINE_HINT if not text else (None if results else texts.INLINE_NONE)
    kwargs = {}
    if button_text:
        from telegram import InlineQueryResultsButton

        kwargs["button"] = InlineQueryResultsButton(button_text, start_parameter="help")
    await query.answer(results[:InlineQueryLimit.RESULTS], cache_time=300, **kwargs)


def _plain(html_text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", html_text)).replace("&lt;", "<") \
        .replace("&gt;", ">").replace("&amp;", "&").strip()
