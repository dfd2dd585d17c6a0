"""``qabot stats [--days N] [--json]``: how the bot is doing, numbers only."""

from __future__ import annotations

import argparse
import json

from bot.argtypes import whole


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="运行情况：每天的问题数、作答率、评价、自查、提醒（只有数字）")
    p.add_argument("--days", type=whole("天数", 1, 366), default=7, metavar="天", help="最近多少天（默认 7）")
    p.add_argument("--today", metavar="日期", help="截止哪一天（默认今天）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bot.commands.feedback import open_dialogue
    from bot.features import teach
    from bot.services import Services
    from bot.settings import load_settings
    from bot.stats import compute, render
    from knowledge.errors import QabotError
    from knowledge.validity import parse_date

    if not 1 <= args.days <= 366:
        raise QabotError("--days 应在 1 到 366 之间。")
    settings = load_settings()
    services = Services.from_settings(settings)
    try:
        today = parse_date(args.today) if args.today else services.today()
        d = open_dialogue(services)
        words = teach.topic_words(teach.fresh(d))
        with services.session() as s:
            stats = compute(s, today, args.days, settings.tz, topic_words=words)
        if args.json:
            print(json.dumps(stats.to_json(), ensure_ascii=False))
        else:
            print("\n".join(render(stats, lambda a: f"第{a}条")))
            keep = settings.question_retention_days
            if args.days > keep:
                print(f"（问题只保存 {keep} 天，更早的不在统计内。）")
    finally:
        services.close()
    return 0
