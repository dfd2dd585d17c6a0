"""``qabot db upgrade``: apply the schema migrations (also done on start-up)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="数据库：升级表结构", description="数据库维护")
    p.add_argument("action", choices=["upgrade", "current"],
                   help="upgrade 升级到最新结构；current 显示当前版本")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bot.settings import load_settings
    from bot.storage import current_revision, make_engine, upgrade_database

    settings = load_settings()
    engine = make_engine(settings.db_url)
    try:
        if args.action == "upgrade":
            upgrade_database(engine)
        print(f"数据库结构版本：{current_revision(engine) or '（空）'}")
    finally:
        engine.dispose()
    return 0
