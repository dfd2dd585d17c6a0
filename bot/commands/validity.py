"""``qabot validity --award-date D [--today T] [--revoked] [--json]``."""

from __future__ import annotations

import argparse
import datetime as dt
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validity", help="奖项有效期：有效期至、状态、可否使用荣誉、可否再次申报",
                       description="按第四条、第十七条、第二十一条、第二十四条计算奖项有效期")
    p.add_argument("--award-date", required=True, metavar="日期",
                   help="市政府认定日期，如 2021-12-20")
    p.add_argument("--today", metavar="日期", help="以哪一天计算（默认今天，Asia/Shanghai）")
    p.add_argument("--revoked", action="store_true", help="奖项已被撤销（第二十四条）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(run=run)


def today_arg(value: str | None) -> dt.date:
    """``--today`` or today's date in the pack's time zone."""
    from zoneinfo import ZoneInfo

    from knowledge.pack import load_pack
    from knowledge.validity import parse_date

    if value:
        return parse_date(value)
    return dt.datetime.now(ZoneInfo(str(load_pack().meta.get("timezone", "Asia/Shanghai")))).date()


def run(args: argparse.Namespace) -> int:
    from knowledge.pack import load_pack
    from knowledge.validity import assess, parse_date

    pack = load_pack()
    v = assess(parse_date(args.award_date), today_arg(args.today),
               int(pack.value("validity_years")), revoked=args.revoked,
               revoked_may_reapply=bool(pack.value("revoked_may_reapply")))
    if args.json:
        print(json.dumps(v.as_dict(), ensure_ascii=False))
        return 0
    names = {"valid": "有效", "expiring": "即将到期", "expired": "已期满", "revoked": "已撤销"}
    print(f"有效期至：{v.valid_until.isoformat()}（{pack.fact('validity_years').ref.label}）")
    print(f"状态：{names[v.state]}；剩余天数：{v.days_left}")
    print(f"可使用荣誉称号：{'是' if v.may_use_honor else '否'}（第二十一条）")
    print(f"可再次申报：{'是' if v.may_reapply else '否'}（第十七条、第二十四条）")
    return 0
