"""Types for the command line's numbers: every number typed to ``qabot`` is read by the one
parser for typed numbers (``knowledge.numerals.parse_int``), as in chat, and a bad one gets a
Chinese message saying what was expected (argparse's own int type says ``invalid int value``
and reads ² differently from the chat)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from knowledge.numerals import parse_int, parse_year


def whole(what: str, lo: int | None = None, hi: int | None = None, *,
          digits_only: bool = False) -> Callable[[str], int]:
    """An argparse type: a whole number between ``lo`` and ``hi`` (either may be open)."""

    def read(text: str) -> int:
        n = parse_int(text, lo=lo, hi=hi, digits_only=digits_only)
        if n is None:
            if lo is not None and hi is not None:
                bounds = f" {lo} 到 {hi} 之间的整数"
            elif lo is not None:
                bounds = f"不小于 {lo} 的整数"
            else:
                bounds = "整数"
            raise argparse.ArgumentTypeError(f"“{text[:20]}”不是{what}，应为{bounds}")
        return n

    read.__name__ = what
    return read


def year(text: str) -> int:
    """An argparse type: a four-digit year (2021, ２０２１, 二〇二一)."""
    n = parse_year(text)
    if n is None:
        raise argparse.ArgumentTypeError(f"“{text[:20]}”不是年度，应为四位数字，如 2021")
    return n
