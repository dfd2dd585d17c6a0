from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

ROSTER = "名称,奖项,年度,认定日期,文号,备注,再次获奖\n沧州甲公司,组织奖,2021,2021年12月20日,,,\n"


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_office_imports_lists_and_exports_the_roster_from_the_command_line(cli, capsys):
    (cli / "名录.csv").write_bytes(ROSTER.encode("gbk"))
    assert main(["winners", "import", str(cli / "名录.csv")]) == 0
    assert "新增 1 条" in capsys.readouterr().out
    assert main(["winners", "import", str(cli / "名录.csv")]) == 0
    assert "未变 1 条" in capsys.readouterr().out
    assert main(["winners", "list"]) == 0
    assert "沧州甲公司" in capsys.readouterr().out
    assert main(["winners", "export", "-o", str(cli / "out.csv")]) == 0
    assert (cli / "out.csv").read_bytes().startswith("\ufeff名称".encode())


def test_a_bad_roster_row_exits_2_with_its_line_and_no_traceback(cli, capsys):
    (cli / "bad.csv").write_text(ROSTER + "乙公司,组织奖,2021,去年,,,\n", encoding="utf-8")
    assert main(["winners", "import", str(cli / "bad.csv")]) == 2
    err = capsys.readouterr().err
    assert "第3行" in err and "Traceback" not in err


def test_a_missing_file_exits_2(cli, capsys):
    assert main(["winners", "import", str(cli / "none.csv")]) == 2
    assert "无法读取文件" in capsys.readouterr().err


def test_revoke_and_expiring_and_code_work_from_the_command_line(cli, capsys):
    (cli / "r.csv").write_text(ROSTER, encoding="utf-8")
    main(["winners", "import", str(cli / "r.csv")])
    assert main(["winners", "expiring", "--within", "180", "--today", "2025-07-01"]) == 0
    assert "沧州甲公司" in capsys.readouterr().out
    assert main(["winners", "code", "沧州甲公司"]) == 0
    assert "/bind " in capsys.readouterr().out
    assert main(["winners", "revoke", "沧州甲公司", "--reason", "第二十四条（一）",
                 "--date", "2025-12-21"]) == 2  # the day after its validity: refused
    assert "在有效期内" in capsys.readouterr().err
    assert main(["winners", "revoke", "沧州甲公司", "--reason", "第二十四条（一）",
                 "--date", "2024-05-01"]) == 0
    out = capsys.readouterr().out
    assert "追缴奖金" in out and "今后不得申报市政府质量奖" in out
    assert main(["winners", "expiring", "--today", "2025-07-01"]) == 0
    assert "没有到期" in capsys.readouterr().out.splitlines()[-1]
    assert main(["winners", "revoke", "不存在", "--reason", "x"]) == 2
