"""Bad input on the command line: every subcommand answers with a clear Chinese message and
exit code 2, and never a traceback. Hostile but valid text (emoji, control characters, SQL,
30,000 characters) is answered normally.

Each case runs ``python -m bot …`` in a subprocess with its own ``QABOT_DATA_DIR``; they run
in parallel to keep the suite quick.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

HOSTILE = ["😀👨‍👩‍👧‍👦", "\u202eالتقديم\u202c", "'; DROP TABLE winner; --", "<b>&amp;</b>",
           "\u200b\u200d\ufeff", "a\x01b\x7fc", "²", "1" + "0" * 5000, "中" * 30_000]
BAD_DATES = ["2021-02-30", "明天", "", "2021-13-01", "0000-00-00", "９９９９９-1-1", "²"]

# (arguments, stdin, expected exit code); 2 means "bad input, told why".
CASES: list[tuple[list[str], str | None, int]] = [
    (["no-such-command"], None, 2),
    (["--no-such-option"], None, 2),
    *[(["article", n], None, 2) for n in ["0", "-1", "27", "abc", "²", "①", "1" + "0" * 5000,
                                          "第零条", "", "😀", "'; DROP"]],
    (["article"], None, 2),
    (["search"], None, 2),
    (["search", ""], None, 2),
    *[(["search", t], None, 1) for t in HOSTILE[:6]],  # no match: exit 1, as grep does
    *[(["ask", t], None, 0) for t in HOSTILE[:-1]],
    (["ask", HOSTILE[-1]], None, 2),  # too long: told the limit
    (["ask", "-"], "\n".join(HOSTILE) + "\n", 0),
    (["ask", "-"], "\udcff".encode("utf-8", "surrogateescape").decode("latin-1"), 0),
    (["toc", "extra"], None, 2),
    *[(["validity", "--award-date", d], None, 2) for d in BAD_DATES],
    (["validity"], None, 2),
    (["validity", "--award-date", "2021-12-20", "--today", "2021-02-30"], None, 2),
    (["check-usage", "--award-date", "2021-02-30", "荣获沧州市政府质量奖"], None, 2),
    (["check-usage", "--award-year", "abc", "荣获沧州市政府质量奖"], None, 2),
    (["check-usage", "--award-year", "99999999999999999999", "荣获2021年度沧州市政府质量奖"],
     None, 2),
    *[(["check-usage", t], None, 0) for t in HOSTILE[:6]],
    (["check-usage", "-"], "", 2),
    (["selfcheck"], None, 2),
    (["selfcheck", "--facts", "/nonexistent/facts.jsonl"], None, 2),
    (["selfcheck", "--facts", "-"], "not json\n", 2),
    (["selfcheck", "--facts", "-"], '{"applicant_type": "alien"}\n', 2),
    (["selfcheck", "--facts", "-"], '{"applicant_type": "organization", '
                                    '"years_in_operation": -5}\n', 2),
    (["selfcheck", "--facts", "-"], "[1, 2]\n", 2),
    (["selfcheck", "--facts", "-"], "\x00\x01\x02", 2),
    (["selfcheck", "--facts", "-"], "", 2),
    (["winners"], None, 2),
    (["winners", "import"], None, 2),
    (["winners", "import", "/nonexistent/名单.csv"], None, 2),
    (["winners", "import", "."], None, 2),
    (["winners", "revoke", "不存在的公司", "--reason", "第二十四条（一）"], None, 2),
    (["winners", "revoke", "沧州甲公司", "--reason", "   "], None, 2),
    (["winners", "revoke", "沧州甲公司", "--reason", "x", "--date", "2021-02-30"], None, 2),
    (["winners", "revoke", "沧州甲公司", "--reason", "x", "--year", "abc"], None, 2),
    (["winners", "code", "不存在的公司"], None, 2),
    (["winners", "code", "'; DROP TABLE winner; --"], None, 2),
    (["winners", "code", "沧州甲公司", "--year", "1999"], None, 2),
    (["winners", "expiring", "--within", "-5"], None, 2),
    (["winners", "expiring", "--within", "abc"], None, 2),
    (["winners", "expiring", "--within", "99999999999"], None, 2),
    (["winners", "expiring", "--today", "2021-02-30"], None, 2),
    (["winners", "export", "-o", "/nonexistent/dir/名单.csv"], None, 2),
    (["winners", "list", "--bogus"], None, 2),
    (["db"], None, 2),
    (["db", "drop"], None, 2),
    (["remind", "--today", "2021-02-30", "--dry-run"], None, 2),
    (["validity", "--award-date", "2021-12-20", "--today", "2021-12-19"], None, 2),
    (["validity", "--award-date", "9999-12-31", "--today", "2021-12-19"], None, 2),
    (["check-usage", "--award-date", "2021-12-20", "--today", "2020-01-01", "荣获"], None, 2),
    (["winners", "revoke", "沧州甲公司", "--reason", "x", "--date", "2030-01-01"], None, 2),
    (["winners", "revoke", "沧州甲公司", "--reason", "x", "--date", "2020-01-01"], None, 2),
    (["pack"], None, 2),
    (["pack", "supersede"], None, 2),
    (["pack", "supersede", "--by", "沧政字〔2025〕1号"], None, 2),
    (["pack", "supersede", "--by", "沧政字〔2025〕1号", "--from", "2021-02-30"], None, 2),
    (["pack", "supersede", "--by", "沧政字〔2025〕1号", "--from", "2019-01-01"], None, 2),
    (["pack", "supersede", "--by", "x" * 200, "--from", "2025-07-01"], None, 2),
    (["pack", "supersede", "--clear", "--by", "x"], None, 2),
    (["pack", "status", "extra"], None, 2),
    (["remind"], None, 2),  # no token set
    (["run"], None, 2),  # no token set
    (["serve", "--port", "abc"], None, 2),
    (["serve", "--port", "70000"], None, 2),
    (["serve", "--host", "256.1.1.1", "--port", "0"], None, 2),  # cannot listen there
    (["chat", "--no-db"], "\n".join(HOSTILE[:7]) + "\n/article ²\n/expiring\n", 0),
    # the teaching loop (issue 13)
    (["feedback"], None, 2),
    (["feedback", "list"], None, 0),
    (["feedback", "list", "--days", "0"], None, 2),
    (["feedback", "list", "--days", "99999"], None, 2),
    (["feedback", "assign", "999999", "7"], None, 2),
    (["feedback", "assign", "1", "99"], None, 2),
    (["feedback", "assign", "1", "第七条第九项"], None, 2),
    (["feedback", "assign", "1", "abc"], None, 2),
    (["feedback", "assign", "abc", "7"], None, 2),
    (["feedback", "assign", "1", "7", "--item", "²"], None, 2),
    (["feedback", "synonym", "开张", "不存在的说法"], None, 2),
    (["feedback", "synonym", "公示", "公示期"], None, 2),
    (["feedback", "synonym", "😀", "经营"], None, 2),
    (["feedback", "synonym", "'; DROP TABLE lesson; --", "经营"], None, 2),
    (["feedback", "synonym", "开张", "经营", "--question", "999999"], None, 2),
    (["feedback", "out-of-scope", "1", "--reason", "bogus"], None, 2),
    (["feedback", "out-of-scope", "999999", "--reason", "other_policy"], None, 2),
    (["feedback", "ignore", "999999"], None, 2),
    (["feedback", "undo", "999999"], None, 2),
    (["feedback", "learned"], None, 0),
    (["feedback", "purge"], None, 0),
    (["stats"], None, 0),
    (["stats", "--json", "--days", "30"], None, 0),
    (["stats", "--days", "0"], None, 2),
    (["stats", "--today", "2021-02-30"], None, 2),
    (["hot"], None, 0),
    (["hot", "pin", "99"], None, 2),
    (["hot", "hide", "abc"], None, 2),
    (["pack"], None, 2),
    (["pack", "export-learned", "-o", "/nonexistent/dir/learned.yaml"], None, 2),
    (["pack", "export-learned", "-o", "-"], None, 0),
    (["pack", "import-learned", "/nonexistent/learned.yaml"], None, 2),
    (["pack", "import-learned", "bad.yaml"], None, 2),
    (["pack", "import-learned", "wrong.yaml"], None, 2),
    (["pack", "check-learned", "/nonexistent/learned.yaml"], None, 2),
]


def _env(folder: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "QABOT_DEBUG", "TELEGRAM_BOT_TOKEN", "ADMIN_IDS")}
    env.update({"QABOT_DATA_DIR": str(folder / "data"), "PYTHONIOENCODING": "utf-8"}, **extra)
    return env


def _run(folder: Path, args: list[str], stdin: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin or "",
                          capture_output=True, text=True, env=_env(folder), cwd=folder,
                          timeout=120, errors="replace")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[subprocess.CompletedProcess[str]]:
    folder = tmp_path_factory.mktemp("cli")
    roster = folder / "r.csv"
    roster.write_text("名称,奖项,年度,认定日期\n沧州甲公司,组织奖,2021,2021-12-20\n",
                      encoding="utf-8")
    assert _run(folder, ["winners", "import", str(roster)], None).returncode == 0
    (folder / "bad.yaml").write_text("samples: [{q: 未闭合", encoding="utf-8")
    (folder / "wrong.yaml").write_text("samples:\n  - {q: 问题, article: 99}\n"
                                       "out_of_scope:\n  - {q: 问题, reason: nope}\n",
                                       encoding="utf-8")
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda case: _run(folder, case[0], case[1]), CASES))


@pytest.mark.parametrize("index", range(len(CASES)),
                         ids=[" ".join(a)[:40] for a, _, _ in CASES])
def test_bad_command_line_input_gets_a_clear_message_and_exit_code_2(results, index: int):
    args, _, expected = CASES[index]
    done = results[index]
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-2000:]
    assert "内部错误" not in done.stderr, done.stderr
    assert done.returncode == expected, (done.returncode, done.stderr[-500:], done.stdout[-300:])
    if expected == 2:
        message = done.stderr.strip()
        assert message and any("\u4e00" <= c <= "\u9fff" for c in message), message
        assert len(message) < 2000
    else:
        assert done.stdout.strip() or done.stderr.strip()


def test_the_cases_cover_every_subcommand():
    from bot.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    covered = {args[0] for args, _, _ in CASES}
    assert set(sub.choices) <= covered, set(sub.choices) - covered
