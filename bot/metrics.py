"""Counters for ``/metrics`` in Prometheus' text format, fed by the dialogue's events.

prometheus-client writes the exposition format (histogram buckets, label escaping, ``# TYPE``
lines) that scrapers expect; hand-writing it is where mistakes hide. Each ``Metrics`` has its
own registry, so two apps in one process (tests) do not share counts. Reminders are sent by
whichever process runs the reminder job, so their count is read from the database at scrape
time: every process reports the same number. Nothing here identifies a user.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

    from bot.dialogue import Dialogue
    from bot.turn import Turn

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds; an answer takes about a millisecond, a database outage up to the busy timeout.
disable_created_metrics()  # the *_created samples are noise in the text format

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    """The process's counters; ``attach`` a dialogue to count its turns."""

    def __init__(self, sessions: sessionmaker | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.questions = Counter("qabot_questions", "Free questions asked",
                                 ["channel"], registry=r)
        self.answers = Counter("qabot_answers", "Questions answered from the measures or "
                               "declined as not covered", ["channel", "outcome"], registry=r)
        self.selfchecks = Counter("qabot_selfchecks", "Self-checks started and finished",
                                  ["channel", "stage", "verdict"], registry=r)
        self.errors = Counter("qabot_errors", "Turns or requests that failed",
                              ["channel", "kind"], registry=r)
        self.turn_seconds = Histogram("qabot_turn_seconds", "Time the dialogue took per turn",
                                      ["channel"], buckets=LATENCY_BUCKETS, registry=r)
        self.request_seconds = Histogram("qabot_http_request_seconds",
                                         "Time to answer an HTTP request", ["route"],
                                         buckets=LATENCY_BUCKETS, registry=r)
        self.rate_limited = Counter("qabot_rate_limited", "Requests refused with 429",
                                    ["scope"], registry=r)
        if sessions is not None:
            r.register(_DatabaseCollector(sessions))

    def attach(self, dialogue: Dialogue) -> None:
        dialogue.listen(self.on_event)

    def on_event(self, event: str, turn: Turn, data: dict[str, Any]) -> None:
        channel = turn.channel
        if event == "turn":
            self.turn_seconds.labels(channel).observe(float(data.get("seconds", 0.0)))
        elif event == "question":
            self.questions.labels(channel).inc()
            outcome = "answered" if data.get("answered") else "declined"
            self.answers.labels(channel, outcome).inc()
        elif event == "selfcheck_started":
            self.selfchecks.labels(channel, "started", "").inc()
        elif event == "selfcheck_finished":
            self.selfchecks.labels(channel, "finished", str(data.get("verdict", ""))).inc()
        elif event == "error":
            self.errors.labels(channel, "database" if data.get("database") else "internal").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _DatabaseCollector(Collector):
    """Numbers every process agrees on, read from the database when scraped."""

    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def describe(self) -> list[Any]:
        return []  # collected lazily: no database query when the registry is built

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from bot.storage.models import ReminderSent

        up = GaugeMetricFamily("qabot_database_up", "1 when the database answered the scrape")
        try:
            with self.sessions() as session:
                sent = session.execute(select(func.count()).select_from(ReminderSent).where(
                    ReminderSent.sent_at.is_not(None))).scalar_one()  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - an outage is reported as a value, not an error
            logger.warning("metrics: database unavailable", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("qabot_reminders_sent",
                                "Validity reminders recorded as sent (all processes)",
                                value=int(sent))
