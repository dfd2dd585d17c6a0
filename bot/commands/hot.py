"""``qabot hot [list|pin|hide|reset]``: the 热点问题 shown on /start and in the web chat."""

from __future__ import annotations

import argparse
import json

from bot.argtypes import whole

ARTICLE = whole("条文编号", 1, 999)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hot", help="热点问题：列出、置顶、隐藏、恢复")
    hs = p.add_subparsers(dest="action", metavar="操作", parser_class=type(p))
    ls = hs.add_parser("list", help="列出（默认）")
    ls.add_argument("--json", action="store_true")
    pin = hs.add_parser("pin", help="置顶某条的热点问题")
    pin.add_argument("article", type=ARTICLE, metavar="条")
    pin.add_argument("--text", metavar="问法", help="按钮上的问法（默认：当前的问法或示例问题）")
    for name, text in (("hide", "隐藏某条的热点问题"), ("reset", "取消置顶或隐藏")):
        hs.add_parser(name, help=text).add_argument("article", type=ARTICLE, metavar="条")
    p.set_defaults(run=run, action="list", json=False)


def run(args: argparse.Namespace) -> int:
    from bot import hot
    from bot.commands.feedback import open_dialogue
    from bot.features import teach
    from bot.learning import LearningError
    from bot.services import Services
    from bot.settings import load_settings
    from knowledge.errors import QabotError

    settings = load_settings()
    services = Services.from_settings(settings)
    try:
        d = open_dialogue(services)
        total = len(services.pack.regulation.articles)
        if args.action in ("pin", "hide", "reset"):
            action = {"pin": hot.PIN, "hide": hot.HIDE, "reset": None}[args.action]
            text = getattr(args, "text", None)
            if action == hot.PIN and not text:
                text = next((h.text for h in teach.hot_questions(d, refresh=True)
                             if h.article == args.article), None)
                if not text:
                    r = teach.fresh(d)
                    text = next((q for a, q, _ in r.questions if a == args.article), None)
            try:
                with services.session() as s:
                    hot.choose(s, args.article, action, services.now(), total, text)
            except LearningError as e:
                raise QabotError(str(e)) from None
        items = teach.hot_questions(d, refresh=True)
        if args.json:
            print(json.dumps([{"article": h.article, "text": h.text, "count": h.count,
                               "pinned": h.pinned} for h in items], ensure_ascii=False))
            return 0
        if not items:
            print(f"最近 {settings.hot_days} 天没有达到 {settings.hot_min_count} 次的热点问题。")
        for h in items:
            print(f"{'📌 ' if h.pinned else ''}第{h.article}条  {h.text}  （{h.count} 次）")
        with services.session() as s:
            hidden = hot.hidden(s)
        if hidden:
            print("已隐藏：" + "、".join(f"第{a}条" for a in hidden))
    finally:
        services.close()
    return 0
