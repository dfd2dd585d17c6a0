"""The ``qabot`` command line. Each subcommand lives in ``bot/commands/<name>.py`` with
``add_parser(subparsers)`` and ``run(args) -> int``; heavy imports stay inside ``run`` so that
``qabot ask`` starts fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from importlib import import_module

from knowledge.errors import QabotError

COMMANDS = [
    "ask", "article", "toc", "search", "chat",  # issue 2
    "selfcheck",  # issue 3
    "validity", "check_usage", "winners", "db", "remind",  # issue 4
    "run",  # issue 5
    "serve",  # issue 12
    "feedback", "pack", "stats", "hot",  # issue 13
]


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with its usage errors in Chinese and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        message = re.sub(r"^argument (\S+): ", r"\1：", message)  # argparse's own prefix
        print(f"{self.prog}: 参数错误：{message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="qabot", description="质量奖助手：沧州市政府质量奖管理办法问答")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=ChineseArgumentParser)
    for name in COMMANDS:
        try:
            module = import_module(f"bot.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"bot.commands.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    logging.basicConfig(level=os.environ.get("QABOT_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from knowledge.cache import paused_gc

    with paused_gc():  # the commands' imports
        parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except QabotError as e:
        print(f"错误：{e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception:
        if os.environ.get("QABOT_DEBUG"):
            raise
        logging.getLogger("qabot").debug("unexpected error", exc_info=True)
        print("内部错误：操作未完成。设置 QABOT_DEBUG=1 可查看详细信息。", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
