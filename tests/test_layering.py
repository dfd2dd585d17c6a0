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


def test_bot_never_imports_a_channel_except_to_start_one():
    # bot/ is the channel-free core; only the commands that start a channel (qabot run,
    # qabot chat, qabot serve, and qabot remind for one run of Telegram reminders) reach into
    # handlers/.
    starters = {"bot/commands/run.py", "bot/commands/chat.py", "bot/commands/serve.py",
                "bot/commands/remind.py"}
    for path, names in imported_modules("bot").items():
        if path in starters:
            continue
        assert "handlers" not in names, path


def test_bot_never_imports_telegram():
    # Reminders, notices and their claims take a channel-neutral send(chat_id, html); the
    # Bot API and the JobQueue live in handlers/telegram/. Only `qabot run` still names
    # telegram itself (Update.ALL_TYPES for polling, the Application it serves).
    allowed = {"bot/commands/run.py"}
    found = imported_modules("bot")
    assert allowed <= set(found)
    for path, names in found.items():
        if path not in allowed:
            assert "telegram" not in names, path


def test_channels_do_not_import_each_other():
    channels = {p.name.removesuffix(".py") for p in (ROOT / "handlers").iterdir()
                if p.name != "__init__.py" and not p.name.startswith((".", "_"))}
    for path, _ in imported_modules("handlers").items():
        own = path.split("/")[1].removesuffix(".py")
        source = (ROOT / path).read_text(encoding="utf-8")
        for other in channels - {own}:
            assert f"handlers.{other}" not in source, (path, other)


def test_features_never_import_the_dialogue_at_run_time():
    # The dialogue imports the features to register them; a feature importing the dialogue
    # back (outside `if TYPE_CHECKING:`) would make an import circle.
    for path in (ROOT / "bot" / "features").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # top-level statements only: TYPE_CHECKING blocks are `if`s
            if isinstance(node, ast.ImportFrom):
                assert node.module != "bot.dialogue", path.name


def test_answering_a_question_loads_neither_the_database_nor_telegram():
    # `qabot ask` must start fast: sqlalchemy alone costs ~0.1 s and ~15 MB.
    import subprocess
    import sys

    code = ("import sys; from bot.cli import main; main(['ask', '公示期几天']); "
            "print(sorted(m for m in ('sqlalchemy', 'telegram', 'sqlmodel') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip().endswith("[]")
