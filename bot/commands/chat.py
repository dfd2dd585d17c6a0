"""qabot chat: the bot's dialogue in a terminal."""

from __future__ import annotations

import argparse
import logging
import sys

logger = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="在终端里和助手对话（与 Telegram 机器人同一套对话）")
    p.add_argument("--no-db", action="store_true", help="不连接数据库（获奖单位相关功能不可用）")
    p.set_defaults(run=run)


def _services(no_db: bool) -> object | None:
    if no_db:
        return None
    try:
        from bot.services import Services
        from bot.settings import load_settings

        return Services.from_settings(load_settings())
    except ImportError:
        return None
    except Exception as e:  # the chat still answers questions without a database
        logger.debug("no database for chat", exc_info=True)
        print(f"（数据库不可用，获奖单位相关功能暂不可用：{type(e).__name__}）", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    from bot.dialogue import Dialogue
    from handlers.terminal import TerminalChat

    d = Dialogue(services=_services(args.no_db))
    read = input if sys.stdin.isatty() else _read_piped
    return TerminalChat(d).loop(read)


def _read_piped(prompt: str) -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    print(prompt + line.rstrip("\n"))
    return line
