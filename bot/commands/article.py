"""qabot article N"""

from __future__ import annotations

import argparse

from knowledge.errors import QabotError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("article", help="显示一条条文（编号可写 15、十五、第十五条）")
    p.add_argument("number", help="条文编号")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bot import configured
    from bot.features.qa import article_html, parse_article_number
    from bot.render import html_to_text
    from knowledge.claims import load_claims

    pack = configured.pack()
    total = len(pack.regulation.articles)
    n = parse_article_number(args.number)
    if n is None:
        raise QabotError(f"“{args.number[:20]}”不是条文编号，请写 1 到 {total} 的数字，例如 15 或 第十五条。")
    if not 1 <= n <= total:
        raise QabotError(f"《{pack.title}》共{total}条，没有第{n}条。")
    from bot.dialogue import Dialogue

    text = html_to_text(article_html(Dialogue(pack, features=["bot.features.qa"]), n))
    # as /article shows it in chat, every time; no date beside 第二十四条's ban
    notice = configured.revision_notice(pack, dated=not load_claims(pack).states_ban(text))
    if notice:
        print(f"ℹ️ {notice}\n")
    print(text)
    return 0
