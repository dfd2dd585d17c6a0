"""Registry benchmark: 100,000 synthetic winners, each bound to a chat.

Times (median of several runs) planning the day's reminders and ``winners expiring --within
180`` on SQLite and PostgreSQL, side by side. The reminder table is first brought to a steady
state: yesterday's plan is recorded as sent, as a daily run would have done, and a tenth of
today's due reminders are claimed by another process that is still sending. Beside today's
planning (skips sent rows and live claims), the same run times the planning query as it was
before claims (skips sent rows only) as the baseline.

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

from sqlalchemy import and_, case, exists, insert, literal, text  # noqa: E402
from sqlalchemy.orm import aliased  # noqa: E402
from sqlmodel import col, select  # noqa: E402

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
             "sent_at": now, "holder": None, "claimed_until": None} for r in due]
    with engine.begin() as conn:
        for chunk in range(0, len(rows), 10_000):
            conn.execute(insert(ReminderSent), rows[chunk:chunk + 10_000])
    with sessions() as s:  # another process is sending a tenth of today's
        today = reminders.plan(s, TODAY)
    claims = [{"winner_id": r.winner_id, "chat_id": r.chat_id, "milestone": r.milestone,
               "sent_at": None, "holder": "other", "claimed_until": now + dt.timedelta(days=1)}
              for r in today[::10]]
    with engine.begin() as conn:
        if claims:
            conn.execute(insert(ReminderSent), claims)
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def plan_before_claims(s: object, today: dt.date) -> list[reminders.Reminder]:
    """The baseline: planning as it was before claims (commit 5441bb1), sent rows only."""
    vu = col(Winner.valid_until)
    milestone = case(
        *[(vu <= today + dt.timedelta(days=days), literal(key))
          for key, days in reversed(reminders.MILESTONES)],
        else_=literal(None))
    sent = exists().where(and_(
        col(ReminderSent.winner_id) == col(Winner.id),
        col(ReminderSent.chat_id) == col(Binding.chat_id),
        col(ReminderSent.milestone) == milestone))
    other = aliased(Winner)
    barred = exists().where(and_(other.name_key == col(Winner.name_key),
                                 other.status == "revoked"))
    q = (select(Winner.id, Binding.chat_id, milestone, Winner.name, Winner.kind,
                Winner.award_year, Winner.valid_until, barred)
         .join(Binding, col(Binding.winner_id) == col(Winner.id))
         .where(Winner.status == "active")
         .where(col(Binding.active).is_(True))
         .where(vu <= today + dt.timedelta(days=reminders.HORIZON))
         .where(vu >= today - dt.timedelta(days=reminders.EXPIRY_NOTICE_DAYS))
         .where(~sent)
         .order_by(Winner.valid_until, Winner.id, Binding.chat_id))
    return [reminders.Reminder(*row) for row in s.exec(q)]  # type: ignore[attr-defined]


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
        ms, due = timed(lambda: plan_before_claims(s, TODAY), runs)
        out["plan today's reminders, before claims (baseline)"] = (ms, len(due))  # type: ignore[arg-type]
        ms, due = timed(lambda: reminders.plan(s, TODAY), runs)
        out["plan today's reminders (skips sent and live claims)"] = (ms, len(due))  # type: ignore[arg-type]
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
