"""``qabot winners import|list|export|revoke|expiring|code|quota``: the registry, for staff."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.argtypes import whole, year

if TYPE_CHECKING:
    from bot.services import Services


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("winners", help="获奖名录：导入、列出、导出、撤销、即将到期、绑定码",
                       description="获奖单位和个人名录（工作人员使用）")
    ws = p.add_subparsers(dest="action", metavar="操作", required=True,
                          parser_class=type(p))
    imp = ws.add_parser("import", help="导入名录（CSV：UTF-8/GBK，或 .xlsx）")
    imp.add_argument("file", metavar="文件")
    ls = ws.add_parser("list", help="列出名录")
    ls.add_argument("--active", action="store_true",
                    help="只列出目前有效的（未撤销且在有效期内，第四条、第二十四条）")
    ls.add_argument("--not-revoked", action="store_true", help="只列出未撤销的（含已期满的）")
    ls.add_argument("--today", metavar="日期", help="以哪一天判断是否有效（默认今天）")
    ex = ws.add_parser("export", help="导出为 CSV（Excel 可直接打开）")
    ex.add_argument("-o", "--output", metavar="文件", help="写入文件（默认输出到屏幕）")
    rv = ws.add_parser("revoke", help="撤销奖项（第二十四条）")
    rv.add_argument("name", metavar="名称")
    rv.add_argument("--reason", required=True, metavar="原因", 
                    help="撤销原因，如 第二十四条（一）…")
    rv.add_argument("--year", type=year, metavar="年度", help="同名多次获奖时指定年度")
    rv.add_argument("--date", metavar="日期",
                    help="撤销日期（默认今天；须在认定日期之后、有效期之内，第二十四条）")
    exp = ws.add_parser("expiring", help="列出即将到期的奖项")
    exp.add_argument("--within", type=whole("天数", 0, 99_999), default=180, metavar="天",
                     help="多少天内到期（默认 180）")
    exp.add_argument("--today", metavar="日期")
    cd = ws.add_parser("code", help="生成一次性绑定码，交给获奖联系人发送 /bind 码")
    cd.add_argument("name", metavar="名称")
    cd.add_argument("--year", type=year, metavar="年度")
    ws.add_parser("quota", help="按第四条核对每年获奖名额")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bot import registry
    from bot.services import Services
    from bot.settings import load_settings
    from knowledge.errors import QabotError
    from knowledge.validity import parse_date

    services = Services.from_settings(load_settings())
    try:
        if args.action == "import":
            path = Path(args.file)
            try:
                data = path.read_bytes()
            except OSError:
                raise QabotError(f"无法读取文件：{args.file}") from None
            print(services.import_roster_bytes(data, path.name).summary())
        elif args.action == "list":
            today = parse_date(args.today) if args.today else services.today()
            _print_list(services, today, include_revoked=not args.not_revoked,
                        valid_on=today if args.active else None)
        elif args.action == "export":
            text = services.export_csv()
            if args.output:
                try:
                    Path(args.output).write_text(text, encoding="utf-8-sig", newline="")
                except OSError as e:
                    raise QabotError(f"无法写入文件 {args.output}：{e.strerror}") from None
                print(f"已导出到 {args.output}")
            else:
                sys.stdout.write(text)
        elif args.action == "revoke":
            from bot.features.winners import revoked_text
            from knowledge.claims import load_claims

            when = parse_date(args.date) if args.date else services.today()
            with services.session() as s:
                w = registry.revoke(s, args.name, args.reason, when, services.now(), args.year,
                                    services.pack)
            print(revoked_text(services.pack, w, w.name, w.revoked_reason or ""))
            print(load_claims(services.pack).text("revoke.barred"))
        elif args.action == "expiring":
            today = parse_date(args.today) if args.today else services.today()
            with services.session() as s:
                rows = registry.expiring(s, today, args.within)
            if not rows:
                print(f"{args.within} 天内没有到期的奖项。")
            for w in rows:
                left = (w.valid_until - today).days
                print(f"{w.valid_until}  剩 {left:>3} 天  {w.award_year}年度"
                      f"{registry.KIND_LABEL[w.kind]}  {w.name}")
        elif args.action == "code":
            code, w = services.issue_code(args.name, args.year)
            days = services.settings.bind_code_ttl_days
            print(f"{w.name}（{w.award_year}年度）的绑定码：{code}")
            print(f"一次有效，{days} 天内使用。请获奖联系人在机器人中发送：/bind {code}")
        elif args.action == "quota":
            warnings = services.quota_warnings()
            print("\n".join(warnings) if warnings else "各年度名额均未超过第四条的规定。")
    finally:
        services.close()
    return 0


def _print_list(services: Services, today: dt.date, include_revoked: bool,
                valid_on: dt.date | None) -> None:
    from bot import registry

    names = {"valid": "有效", "expiring": "即将到期", "expired": "已期满", "revoked": "已撤销"}
    with services.session() as s:
        winners = registry.list_winners(s, include_revoked=include_revoked, valid_on=valid_on)
        empty = not winners and not registry.list_winners(s)
    if empty:
        print("名录为空。用 qabot winners import 文件 导入。")
    elif not winners:
        print("没有符合条件的奖项。")
    for w in winners:
        v = registry.validity_of(w, today, services.pack)
        flag = "（再次获奖）" if w.repeat_award else ""
        state = (f"已撤销（{w.revoked_on}）" if v.state == "revoked"
                 else f"有效期至 {v.valid_until}  {names[v.state]}")
        print(f"{w.award_year}  {registry.KIND_LABEL[w.kind]}  {w.name}{flag}  {state}")
