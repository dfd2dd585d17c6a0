"""The command line: JSON contract, lookups, and bad input without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.cli import main


def qabot(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    p = subprocess.run([sys.executable, "-m", "bot", *args], input=data, capture_output=True,
                       timeout=60)
    return subprocess.CompletedProcess(p.args, p.returncode, p.stdout.decode("utf-8", "replace"),
                                       p.stderr.decode("utf-8", "replace"))


def test_ask_json_gives_one_object_per_input_line():
    p = qabot("ask", "--json", "-", stdin="公示期几天\n今天天气怎么样\n\n第24条\n")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(rows) == 4
    for row in rows:
        assert set(row) == {"query", "articles", "abstained", "band", "kind", "reply"}
        assert isinstance(row["articles"], list) and len(row["articles"]) <= 5
    assert rows[0]["articles"][0] == 15 and rows[0]["abstained"] is False
    assert "公示期为7天" in rows[0]["reply"] and "第十五条" in rows[0]["reply"]
    assert rows[1]["abstained"] is True and "没有涉及" in rows[1]["reply"]
    assert rows[1]["band"] == "refuse" and rows[0]["band"] == "confident"
    assert rows[2]["abstained"] is True
    assert rows[3]["articles"] == [24]


def test_ask_prints_the_quote_and_citation(capsys):
    assert main(["ask", "奖金给多少"]) == 0
    out = capsys.readouterr().out
    assert "30万元" in out and "第十六条" in out


@pytest.mark.parametrize("arg", ["15", "十五", "第十五条", "第15条"])
def test_article_accepts_any_numeral_form(capsys, arg):
    assert main(["article", arg]) == 0
    assert "公示期为7天" in capsys.readouterr().out


@pytest.mark.parametrize("arg, words", [("99", "共26条"), ("abc", "不是条文编号"), ("0", "没有第0条")])
def test_article_refuses_what_is_not_an_article(capsys, arg, words):
    assert main(["article", arg]) == 2
    assert words in capsys.readouterr().err


def test_toc_lists_chapters_and_articles(capsys):
    assert main(["toc"]) == 0
    out = capsys.readouterr().out
    assert "第八章 附则" in out and "第二十六条" in out


def test_search_lists_sentences_with_the_keyword(capsys):
    assert main(["search", "公示"]) == 0
    out = capsys.readouterr().out
    assert "第十五条" in out and "公示期为7天" in out


def test_search_without_a_match_exits_non_zero(capsys):
    assert main(["search", "火星"]) == 1
    assert "没有" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["ask", ""], ["ask", "问" * 10_001], ["ask"]])
def test_bad_questions_get_a_chinese_message_and_exit_2(args):
    p = qabot(*args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and p.stderr.strip()


def test_binary_junk_on_stdin_is_answered_not_crashed_on():
    p = qabot("ask", "--json", "-", stdin=b"\xff\xfe\x00\x01garbage\n\x80\x81\n")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(rows) == 2 and all(r["abstained"] for r in rows)


def test_an_unknown_subcommand_is_a_usage_error():
    p = qabot("frobnicate")
    assert p.returncode == 2 and "Traceback" not in p.stderr
