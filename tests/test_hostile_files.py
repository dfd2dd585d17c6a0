"""Roster files the office might send: wrong encodings, missing and extra columns, duplicates,
impossible dates, 100,000 rows, files that are not spreadsheets, formula cells.

A bad file gets a clear Chinese message naming its line, and nothing from it is written (the
registry's row count is the same before and after). Exports defuse cells a spreadsheet would
run as formulas. Checked through ``Services.import_roster_bytes`` (what the chat upload uses)
and the command line ``qabot winners import``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.registry import RosterError
from bot.services import Services
from bot.settings import load_settings
from bot.storage.models import Winner

HEADER = "名称,奖项,年度,认定日期,文号,备注,再次获奖\n"
GOOD = "沧州甲公司,组织奖,2021,2021-12-20,沧政字〔2021〕1号,,否\n"
SEED = HEADER + "沧州已有公司,组织奖,2020,2020-12-18,,,\n"


@pytest.fixture
def services(db_url: str) -> Iterator[Services]:
    svc = Services.from_settings(load_settings(_env_file=None, DATABASE_URL=db_url))
    svc.import_roster_bytes(SEED.encode(), "seed.csv")  # so "nothing written" is not vacuous
    yield svc
    svc.close()


def count(svc: Services) -> int:
    with svc.session() as s:
        return int(s.execute(select(func.count()).select_from(Winner)).scalar_one())


def snapshot(svc: Services) -> list[tuple[object, ...]]:
    with svc.session() as s:
        return [tuple(r) for r in s.execute(select(Winner.__table__)).all()]


def xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _corrupt_sheet(good: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files["xl/worksheets/sheet1.xml"] = files["xl/worksheets/sheet1.xml"][:200]
    return zipped(files)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + bytes(40)
WORD = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
BAD_XLSX = xlsx([["名称", "奖项", "年度", "认定日期"], ["甲", "组织奖", 2021, "2021-12-20"]])

# (what the office sent, file name, words the message must contain)
BAD_FILES = [
    ("utf16", (HEADER + GOOD).encode("utf-16"), "r.csv", ["CSV"]),
    ("big5", (HEADER + GOOD).encode("big5", "replace"), "r.csv", ["第1行", "缺少列"]),
    ("shift_jis", (HEADER + "甲,組織奨,2021,2021-12-20,,,\n").encode("shift_jis", "replace"),
     "r.csv", ["第1行"]),
    ("missing_columns", ("名称,年度\n" + "甲,2021\n").encode(), "r.csv",
     ["第1行", "缺少列", "奖项", "认定日期"]),
    ("no_header", GOOD.encode(), "r.csv", ["第1行", "缺少列"]),
    ("empty", b"", "r.csv", ["空"]),
    ("only_blank_lines", b"\n\n ,,\n", "r.csv", ["空"]),
    ("conflicting_duplicate", (HEADER + GOOD + GOOD.replace("1号", "2号")).encode(), "r.csv",
     ["第3行", "第2行"]),
    ("feb_30", (HEADER + GOOD + "乙,组织奖,2021,2021-02-30,,,\n").encode(), "r.csv",
     ["第3行", "没有这一天"]),
    ("month_13", (HEADER + "乙,组织奖,2021,2021-13-01,,,\n" + GOOD).encode(), "r.csv",
     ["第2行"]),
    ("year_0", (HEADER + GOOD + "乙,组织奖,0,0000-01-01,,,\n").encode(), "r.csv", ["第3行"]),
    ("year_mismatch", (HEADER + GOOD + "乙,组织奖,2019,2021-12-20,,,\n").encode(), "r.csv",
     ["第3行", "不相符"]),
    ("not_a_date", (HEADER + GOOD + "乙,组织奖,2021,明年,,,\n").encode(), "r.csv",
     ["第3行", "日期"]),
    ("bad_kind", (HEADER + GOOD + "乙,金奖,2021,2021-12-20,,,\n").encode(), "r.csv",
     ["第3行", "组织奖"]),
    ("unclosed_quote", (HEADER + GOOD + '"乙,组织奖,2021,2021-12-20,,,\n').encode(), "r.csv",
     ["第3行"]),
    ("formula_equals", (HEADER + GOOD + "=1+1,组织奖,2021,2021-12-20,,,\n").encode(), "r.csv",
     ["第3行", "公式"]),
    ("formula_plus", (HEADER + GOOD + "+SUM(A1),组织奖,2021,2021-12-20,,,\n").encode(), "r.csv",
     ["第3行", "公式"]),
    ("formula_minus", (HEADER + GOOD + "-2+3,组织奖,2021,2021-12-20,,,\n").encode(), "r.csv",
     ["第3行", "公式"]),
    ("formula_at", (HEADER + GOOD + "@SUM(1),组织奖,2021,2021-12-20,,,\n").encode(), "r.csv",
     ["第3行", "公式"]),
    ("formula_dde", (HEADER + GOOD + "\"=cmd|' /C calc'!A0\",组织奖,2021,2021-12-20,,,\n"
                     ).encode(), "r.csv", ["第3行", "公式"]),
    ("random_bytes", _random_bytes(4096, 6), "r.csv", ["编码"]),
    ("random_bytes_xlsx", _random_bytes(4096, 7), "名单.xlsx", [".xlsx"]),
    ("png", PNG, "名单.csv", ["CSV"]),
    ("png_named_xlsx", PNG, "名单.xlsx", [".xlsx"]),
    ("zip_not_xlsx", zipped({"readme.txt": b"hello"}), "名单.xlsx", [".xlsx"]),
    ("zip_named_csv", zipped({"readme.txt": b"hello"}), "名单.csv", [".xlsx"]),
    ("docx_as_xlsx", WORD, "名单.xlsx", [".xlsx"]),
    ("broken_content_types", zipped({"[Content_Types].xml": b"<not xml"}), "名单.xlsx",
     [".xlsx"]),
    ("corrupt_sheet_xml", _corrupt_sheet(BAD_XLSX), "名单.xlsx", [".xlsx"]),
    ("truncated_xlsx", BAD_XLSX[: len(BAD_XLSX) // 2], "名单.xlsx", [".xlsx"]),
    ("old_xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "名单.xls", [".xls"]),
    ("xlsx_formula_name", xlsx([["名称", "奖项", "年度", "认定日期"], ["=1+1", "组织奖", 2021,
                                                               "2021-12-20"]]),
     "名单.xlsx", ["第2行"]),
    ("xlsx_formula_date", xlsx([["名称", "奖项", "年度", "认定日期"],
                                ["甲", "组织奖", 2021, "=DATE(2021,2,30)"]]), "名单.xlsx",
     ["第2行"]),
    ("xlsx_text_formula", xlsx([["名称", "奖项", "年度", "认定日期"],
                                ["甲", "组织奖", 2021, "2021-12-20"],
                                ["@乙", "组织奖", 2021, "2021-12-20"]]), "名单.xlsx",
     ["第3行", "公式"]),
    ("xlsx_impossible_date", xlsx([["名称", "奖项", "年度", "认定日期"],
                                   ["甲", "组织奖", 2021, "2021-02-30"]]), "名单.xlsx",
     ["第2行", "没有这一天"]),
    ("xlsx_missing_columns", xlsx([["名称"], ["甲"]]), "名单.xlsx", ["第1行", "缺少列"]),
    ("xlsx_empty", xlsx([]), "名单.xlsx", ["空"]),
]


@pytest.mark.parametrize(("data", "filename", "words"), [c[1:] for c in BAD_FILES],
                         ids=[c[0] for c in BAD_FILES])
def test_a_bad_roster_is_refused_with_a_clear_message_and_nothing_written(
        services: Services, data: bytes, filename: str, words: list[str]):
    before = snapshot(services)
    with pytest.raises(RosterError) as e:
        services.import_roster_bytes(data, filename)
    message = str(e.value)
    assert all(w in message for w in words), message
    assert "Traceback" not in message and len(message) < 300
    assert any("\u4e00" <= c <= "\u9fff" for c in message)  # in Chinese
    assert snapshot(services) == before


def test_extra_columns_and_exact_duplicate_rows_are_accepted_once(services: Services):
    data = ("名称,奖项,年度,认定日期,文号,备注,再次获奖,联系人,无关列\n"
            "沧州甲公司,组织奖,2021,2021-12-20,,,否,张三,x,多出的格\n"
            "沧州甲公司,组织奖,2021,2021-12-20,,,否,张三,x\n"
            " 沧州甲公司 ,组织奖,2021年,2021/12/20,,,否,张三,x\n").encode("gbk")
    report = services.import_roster_bytes(data, "r.csv")
    assert (report.added, report.updated) == (1, 0)
    assert count(services) == 2


def test_a_bad_row_after_100000_good_ones_writes_nothing(services: Services):
    rows = [f"沧州第{i}号有限公司,组织奖,2021,2021-12-20,,," for i in range(100_000)]
    data = (HEADER + "\n".join(rows) + "\n末行公司,组织奖,2021,2021-02-30,,,\n").encode()
    before = count(services)
    with pytest.raises(RosterError, match="第100002行"):
        services.import_roster_bytes(data, "big.csv")
    assert count(services) == before


def test_a_roster_of_100000_rows_is_imported_and_exported_whole(tmp_path: Path):
    # SQLite only: the same import on PostgreSQL takes long enough to slow every CI run;
    # benchmarks/registry_bench.py measures both.
    url = f"sqlite:///{(tmp_path / 'big.sqlite3').as_posix()}"
    svc = Services.from_settings(load_settings(_env_file=None, DATABASE_URL=url))
    try:
        rows = [f"沧州第{i}号有限公司,组织奖,{2000 + i % 25},{2000 + i % 25}-12-20,,,"
                for i in range(100_000)]
        report = svc.import_roster_bytes((HEADER + "\n".join(rows) + "\n").encode(), "big.csv")
        assert report.added == 100_000 and count(svc) == 100_000
        assert len(svc.export_csv().splitlines()) == 100_001
    finally:
        svc.close()


def test_exports_defuse_every_cell_a_spreadsheet_would_run(services: Services):
    notes = ["=1+1", "+86 138", "-", "@SUM(A1)", "=cmd|' /C calc'!A0", "\t=1", "正常备注"]
    rows = [f"沧州{i}公司,组织奖,2021,2021-12-20,{n.replace('+', '-')},\"{n}\","
            for i, n in enumerate(notes)]
    services.import_roster_bytes((HEADER + "\n".join(rows) + "\n").encode(), "r.csv")
    exported = services.export_csv()
    cells = [c for row in csv.reader(io.StringIO(exported)) for c in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "'=1+1" in cells and "'+86 138" in cells and "'@SUM(A1)" in cells
    again = services.import_roster_bytes(exported.encode("utf-8-sig"), "back.csv")
    assert (again.added, again.updated) == (0, 0)  # the escape is undone on the way back in


# -- the command line -------------------------------------------------------------------------


def qabot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QABOT_DATA_DIR": str(tmp_path / "data"), "PYTHONIOENCODING": "utf-8"}
    for key in ("DATABASE_URL", "QABOT_DEBUG", "TELEGRAM_BOT_TOKEN"):
        env.pop(key, None)
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)


CLI_CASES = ["utf16", "missing_columns", "feb_30", "conflicting_duplicate", "formula_equals",
             "random_bytes", "png_named_xlsx", "zip_not_xlsx", "xlsx_formula_date", "old_xls"]


def test_the_command_line_refuses_each_bad_roster_with_exit_code_2(tmp_path: Path):
    seed = tmp_path / "seed.csv"
    seed.write_text(SEED, encoding="utf-8")
    assert qabot(tmp_path, "winners", "import", str(seed)).returncode == 0
    by_id = {c[0]: c[1:] for c in BAD_FILES}
    for case in CLI_CASES:
        data, filename, words = by_id[case]
        path = tmp_path / f"{case}-{filename}"
        path.write_bytes(data)
        done = qabot(tmp_path, "winners", "import", str(path))
        assert done.returncode == 2, (case, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.startswith("错误："), done.stderr
        assert all(w in done.stderr for w in words), (case, done.stderr)
    listed = qabot(tmp_path, "winners", "list")
    assert listed.stdout.count("\n") == 1 and "沧州已有公司" in listed.stdout


def test_the_command_line_imports_xlsx_and_csv_and_exports_safely(tmp_path: Path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx([["名称", "奖项", "年度", "认定日期", "备注"],
                           ["沧州丙公司", "组织奖", 2022, dt.datetime(2022, 12, 1), "张三"]]))
    done = qabot(tmp_path, "winners", "import", str(path))
    assert done.returncode == 0 and "新增 1 条" in done.stdout, done.stderr
    notes = tmp_path / "备注.csv"
    notes.write_text(HEADER + "沧州丁公司,组织奖,2022,2022-12-01,,=1+1,\n"
                     "沧州戊公司,组织奖,2022,2022-12-01,,@SUM(A1),\n", encoding="gbk")
    assert qabot(tmp_path, "winners", "import", str(notes)).returncode == 0
    out = tmp_path / "export.csv"
    assert qabot(tmp_path, "winners", "export", "-o", str(out)).returncode == 0
    exported = out.read_text(encoding="utf-8-sig")
    assert "'=1+1" in exported and "'@SUM(A1)" in exported and "沧州丙公司" in exported
    shown = qabot(tmp_path, "winners", "export").stdout
    assert "'=1+1" in shown
