"""qabot chat: the shared dialogue in a terminal, buttons as numbered choices."""

from __future__ import annotations

import io

from bot.dialogue import Dialogue
from handlers.terminal import TerminalChat


def run_chat(lines: list[str]) -> str:
    out = io.StringIO()
    feed = iter(lines)

    def read(prompt: str) -> str:
        try:
            line = next(feed)
        except StopIteration:
            raise EOFError from None
        out.write(prompt + line + "\n")
        return line

    assert TerminalChat(Dialogue(), out).loop(read) == 0
    return out.getvalue()


def test_a_question_is_answered_with_quote_and_numbered_buttons():
    out = run_chat(["公示期几天"])
    assert "公示期为7天" in out and "第十五条" in out
    assert "[1] 📄 第十五条全文" in out


def test_a_number_picks_a_button_of_the_last_reply():
    out = run_chat(["公示期几天", "1"])
    assert "对公示无异议的单位或个人" in out  # the whole article, shown by the button


def test_help_toc_and_article_work_in_the_terminal():
    out = run_chat(["/help", "/toc", "/article 24", "/article 99"])
    assert "/selfcheck" in out
    assert "第八章 附则" in out
    assert "追缴奖金" in out
    assert "没有第99条" in out


def test_an_unknown_command_is_explained():
    assert "没有 /frob 这个命令" in run_chat(["/frob"])


def test_quit_ends_the_chat():
    out = run_chat(["/quit", "公示期几天"])
    assert "再见" in out and "公示期为7天" not in out


def test_a_stale_button_number_is_read_as_a_question_not_a_crash():
    out = run_chat(["/toc", "7"])
    assert "你：7" in out  # no buttons offered: 7 is read as text and answered


def test_while_a_number_is_expected_choices_are_marked_and_picked_with_a_hash():
    out = run_chat(["/selfcheck", "1", "1", "#1"])
    assert "[#1] 不确定" in out  # the years question: 1 would be read as 1 year
    assert "第4/" in out  # #1 picked 不确定 and moved on
