"""``qabot remind [--dry-run] [--today D]``: send (or show) the reminders due today.

Sending starts the Telegram channel for one run (handlers/telegram/reminders.py); the dry run
needs no channel. Several at once, or beside running bots, send each reminder once."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("remind", help="有效期提醒：列出或发送今天应发的提醒",
                       description="按有效期节点（到期前180/90/30天、最后一天、期满次日）发送提醒")
    p.add_argument("--dry-run", action="store_true", help="只列出将发送的内容和对象，不发送")
    p.add_argument("--today", metavar="日期", help="以哪一天计算（默认今天）")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import html
    import re

    from bot import reminders
    from bot.services import Services
    from bot.settings import load_settings
    from knowledge.validity import parse_date

    settings = load_settings()
    if not args.dry_run:
        settings.require_token()
    services = Services.from_settings(settings)
    try:
        today = parse_date(args.today) if args.today else services.today()
        if args.dry_run:
            with services.session() as s:
                due = reminders.plan(s, today, services.now())
            if not due:
                print(f"{today} 没有应发送的提醒。")
            for r in due:
                text = html.unescape(re.sub(r"<[^>]+>", "", reminders.render(r, services.pack, today)))
                print(f"— 发给 chat {r.chat_id}｜{r.name}（{r.award_year}年度）｜节点 {r.milestone}"
                      f"｜有效期至 {r.valid_until}\n{text}\n")
            print(f"共 {len(due)} 条（未发送）。")
            return 0

        from handlers.telegram.reminders import remind_once

        rep = asyncio.run(remind_once(settings, services, today))
        elsewhere = f"，其他进程已发送或正在发送 {rep.elsewhere}" if rep.elsewhere else ""
        print(f"应发 {rep.planned} 条：本进程已发送 {rep.sent}，用户已屏蔽 {rep.blocked}，"
              f"待下次重试 {rep.deferred}{elsewhere}。")
    finally:
        services.close()
    return 0
