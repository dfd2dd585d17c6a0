"""Registry benchmark: 100,000 synthetic winners, each bound to a chat.

Times (median of several runs) planning the day's reminders and ``winners expiring --within
180`` on SQLite and PostgreSQL, side by side. The reminder table is first brought to a steady
state: yesterday's plan is recorded as sent, as a daily run would have done.

    python benchmarks/registry_bench.py [--n 100000] [--runs 7] [--pg URL]

PostgreSQL comes from ``--pg`` or ``QABOT_TEST_POSTGRES_URL``; it is skipped when unreachable.
Targets (issue 4): <= 200 ms each. Not asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from bot import registry, reminders  # noqa: E402
from bot.storage import make_engine, session_factory, upgrade_database  # noqa: E402
from bot.storage.models import Binding, ReminderSent, Winner  # noqa: E402
from knowledge.pack import load_pack  # noqa: E402
from knowledge.validity import valid_until  # noqa: E402

TODAY = dt.date(2026, 6, 1)


def populate(url: str, n: int) -> None:
    years = int(load_pack().value("validity_years"))
    rng = random.Random(4)
    now = dt.datetime.now(dt.UTC)
    engine = make_engine(url)
    upgrade_database(engine)
    winners, bindings = [], []
    start = dt.date(2000, 1, 1)
    span = (TODAY + dt.timedelta(days=365) - start).days
    for i in range(1, n + 1):
        award = start + dt.timedelta(days=rng.randrange(span))
        winners.append({"id": i, "name": f"沧州第{i}号公司", "name_key": f"沧州第{i}号公司",
                        "kind": "organization" if i % 4 else "individual",
                        "award_year": award.year, "award_date": award,
                        "valid_until": valid_until(award, years), "repeat_award": i % 50 == 0,
                        "status": "revoked" if i % 97 == 0 else "active",
                        "created_at": now, "updated_at": now})
        bindings.append({"winner_id": i, "chat_id": str(10_000_000 + i), "active": True,
                         "created_at": now})
    with engine.begin() as conn:
        for chunk in range(0, n, 10_000):
            conn.execute(insert(Winner), winners[chunk:chunk + 10_000])
            conn.execute(insert(Binding), bindings[chunk:chunk + 10_000])
    sessions = session_factory(engine)
    with sessions() as s:  # steady state: every earlier day's reminder went out
        due = reminders.plan(s, TODAY - dt.timedelta(days=1))
    rows = [{"winner_id": r.winner_id, "chat_id": r.chat_id, "milestone": r.milestone,
             "sent_at": now} for r in due]
    with engine.begin() as conn:
        for chunk in range(0, len(rows), 10_000):
            conn.execute(insert(ReminderSent), rows[chunk:chunk + 10_000])
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def measure(url: str, runs: int) -> dict[str, tuple[float, int]]:
    engine = make_engine(url)
    sessions = session_factory(engine)
    out: dict[str, tuple[float, int]] = {}
    with sessions() as s:
        ms, due = timed(lambda: reminders.plan(s, TODAY), runs)
        out["plan today's reminders"] = (ms, len(due))  # type: ignore[arg-type]
        ms, exp = timed(lambda: registry.expiring(s, TODAY, 180), runs)
        out["winners expiring --within 180"] = (ms, len(exp))  # type: ignore[arg-type]
    engine.dispose()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--pg", default=os.environ.get("QABOT_TEST_POSTGRES_URL",
                                                   "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    results: dict[str, dict[str, tuple[float, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp, 'bench.sqlite3').as_posix()}"
        populate(url, args.n)
        results["SQLite"] = measure(url, args.runs)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = make_engine(args.pg)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as e:  # noqa: BLE001
        print(f"PostgreSQL skipped: {type(e).__name__}", file=sys.stderr)
    else:
        sep = "&" if "?" in args.pg else "?"
        url = f"{args.pg}{sep}options={quote(f'-csearch_path={schema}')}"
        try:
            populate(url, args.n)
            results["PostgreSQL"] = measure(url, args.runs)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    dbs = list(results)
    print(f"\n{args.n:,} winners, each bound to a chat; median of {args.runs} runs; "
          f"today {TODAY}; target <= 200 ms\n")
    print("| operation | " + " | ".join(dbs) + " |")
    print("|---|" + "---|" * len(dbs))
    for op in results["SQLite"]:
        cells = [f"{results[d][op][0]:.1f} ms ({results[d][op][1]:,} rows)" for d in dbs]
        print(f"| {op} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
