"""``qabot check-usage [--award-date D] [--today T] [--revoked] [--json] TEXT``."""

from __future__ import annotations

import argparse
import json
import sys

from bot.argtypes import year


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check-usage", help="检查宣传文字中荣誉称号的用法（第二十一条）",
                       description="检查宣传文字是否注明获奖年份、是否用于产品宣传、是否已过有效期")
    p.add_argument("text", nargs="?", metavar="文字", help="宣传文字；省略或写 - 时从标准输入读取")
    p.add_argument("--award-date", metavar="日期", help="认定日期，用于核对年份和有效期")
    p.add_argument("--award-year", type=year, metavar="年度", help="获奖年度（默认认定日期的年份）")
    p.add_argument("--today", metavar="日期", help="以哪一天计算（默认今天）")
    p.add_argument("--revoked", action="store_true", help="奖项已被撤销（第二十四条）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bot import configured
    from bot.commands.validity import today_arg
    from knowledge.errors import QabotError
    from knowledge.usage import check_usage
    from knowledge.validity import check_order, parse_date

    text = args.text
    if text is None or text == "-":
        text = sys.stdin.read()
    if not text.strip():
        raise QabotError("请提供要检查的宣传文字")
    if args.award_year is not None and not 1000 <= args.award_year <= 9999:
        raise QabotError(f"获奖年度应为四位数字，如 2021（收到 {str(args.award_year)[:20]}）")
    award_date = parse_date(args.award_date) if args.award_date else None
    today = today_arg(args.today)
    if award_date is not None:
        check_order(award_date, today)
    result = check_usage(text, configured.pack(), award_year=args.award_year, award_date=award_date,
                         today=today, revoked=args.revoked)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        print(result.reply)
    return 0
