"""``qabot validity --award-date D [--today T] [--revoked] [--json]``."""

from __future__ import annotations

import argparse
import datetime as dt
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validity", help="奖项有效期：有效期至、状态、可否使用荣誉、可否再次申报",
                       description="按第四条、第十七条、第二十一条、第二十四条计算奖项有效期；"
                                   "期间按知识包 pack.yaml 的 period_counting 计算（默认《民法典》"
                                   "第二百零一条、第二百零二条：认定当日不计入）")
    p.add_argument("--award-date", required=True, metavar="日期",
                   help="市政府认定日期，如 2021-12-20")
    p.add_argument("--today", metavar="日期", help="以哪一天计算（默认今天，Asia/Shanghai）；"
                                                 "不能早于认定日期")
    p.add_argument("--revoked", action="store_true", help="奖项已被撤销（第二十四条）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(run=run)


def today_arg(value: str | None) -> dt.date:
    """``--today`` or today's date in the pack's time zone."""
    from zoneinfo import ZoneInfo

    from bot import configured
    from knowledge.validity import parse_date

    if value:
        return parse_date(value)
    tz = str(configured.pack().meta.get("timezone", "Asia/Shanghai"))
    return dt.datetime.now(ZoneInfo(tz)).date()


def run(args: argparse.Namespace) -> int:
    from bot import configured
    from knowledge.claims import load_claims
    from knowledge.validity import DateError, assess_for, check_order, parse_date

    pack = configured.pack()
    try:
        award_date = parse_date(args.award_date)
    except DateError as e:
        raise DateError(f"--award-date：{e}") from None
    try:
        today = today_arg(args.today)
    except DateError as e:
        raise DateError(f"--today：{e}") from None
    check_order(award_date, today)  # nothing about an award exists before it was made
    v = assess_for(pack, award_date, today, revoked=args.revoked)
    if args.json:
        print(json.dumps(v.as_dict(), ensure_ascii=False))
        return 0
    print("\n".join(render_text(v, pack, load_claims(pack))))
    return 0


def render_text(v, pack, claims) -> list[str]:  # type: ignore[no-untyped-def]
    """The human-readable lines; a revoked award gets no date and no way back (第二十四条)."""
    names = {"valid": "有效", "expiring": "即将到期", "expired": "已期满", "revoked": "已撤销"}
    if v.state == "revoked":
        return [claims.text("status.revoked_state"), claims.text("validity.use.revoked"),
                claims.text("validity.reapply.barred")]
    lines = [claims.text("validity.until", until=v.valid_until.isoformat()),
             f"状态：{names[v.state]}；剩余天数：{v.days_left}"]
    if v.may_use_honor:
        lines.append(claims.text("validity.use.yes"))
        lines.append(claims.text("validity.reapply.from", again=v.reapply_from.isoformat()))
    else:
        lines.append(claims.text("validity.use.expired"))
        lines.append(claims.text("validity.reapply.now"))
    return lines
