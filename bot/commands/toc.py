"""qabot toc"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("toc", help="办法目录")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bot.dialogue import Dialogue
    from bot.features.qa import toc_html
    from bot.render import html_to_text

    print(html_to_text(toc_html(Dialogue(features=["bot.features.qa"]))))
    return 0
