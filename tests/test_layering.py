"""knowledge/ stays pure: no Telegram, no database; handlers -> bot -> knowledge."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_knowledge_never_imports_telegram_the_database_or_the_bot():
    for path, names in imported_modules("knowledge").items():
        assert not names & {"telegram", "sqlmodel", "sqlalchemy", "bot", "handlers"}, path


def test_bot_never_imports_handlers():
    for path, names in imported_modules("bot").items():
        if path.startswith("bot/app.py"):
            continue  # the one place that wires handlers into the Application
        assert "handlers" not in names, path


def test_answering_a_question_loads_neither_the_database_nor_telegram():
    # `qabot ask` must start fast: sqlalchemy alone costs ~0.1 s and ~15 MB.
    import subprocess
    import sys

    code = ("import sys; from bot.cli import main; main(['ask', '公示期几天']); "
            "print(sorted(m for m in ('sqlalchemy', 'telegram', 'sqlmodel') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip().endswith("[]")
