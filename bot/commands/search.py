"""qabot search KEYWORD"""

from __future__ import annotations

import argparse

from knowledge.errors import QabotError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="列出含有关键词的全部条文和句子")
    p.add_argument("keyword", help="关键词")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bot.dialogue import Dialogue
    from bot.features.qa import retriever, search_reply
    from bot.render import html_to_text

    kw = args.keyword.strip()
    if not kw:
        raise QabotError("关键词是空的，例如：qabot search 公示")
    d = Dialogue(features=["bot.features.qa"])
    print(html_to_text(search_reply(d, kw).html))
    return 0 if retriever(d).search(kw) else 1
