"""Retrieval quality and speed, ours beside the baseline measured in the same run.

    .venv/bin/pip install -e ".[bench]" && .venv/bin/python benchmarks/retrieval_bench.py

Baseline: jieba (full dictionary) + rank_bm25's BM25Okapi over whole articles, top article
answered, never abstaining. Prints top-1 / R@3 / MRR / out-of-scope abstained / in-scope
abstained per question set, warm latency (median, p99) and cold start of `qabot ask`
(wall time and peak resident memory, medians of several runs).
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "dev (shared/eval)": ROOT.parent / "shared" / "eval" / "dev_questions.yaml",
    "extra (benchmarks)": ROOT / "benchmarks" / "questions_extra.yaml",
    "probe (benchmarks)": ROOT / "benchmarks" / "questions_probe.yaml",
}
LINE = re.compile(r"^- \{q: (?P<q>.*), gold: \[(?P<gold>[\d, ]*)\]\}\s*$")


def load(path: Path) -> list[tuple[str, list[int]]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := LINE.match(line):
            out.append((m["q"], [int(x) for x in m["gold"].replace(" ", "").split(",") if x]))
    return out


def score(rank, items):  # rank(q) -> (articles, abstained)
    n_in = top1 = r3 = mrr = oos = oos_ok = fa = 0
    for q, gold in items:
        arts, abstained = rank(q)
        if not gold:
            oos += 1
            oos_ok += abstained
            continue
        n_in += 1
        fa += abstained
        top1 += (not abstained) and bool(arts) and arts[0] in gold
        r3 += any(a in gold for a in arts[:3])
        rk = next((i for i, a in enumerate(arts) if a in gold), None)
        mrr += 0 if rk is None else 1 / (rk + 1)
    return (f"top1={top1 / n_in:.3f} R@3={r3 / n_in:.3f} MRR={mrr / n_in:.3f} "
            f"oos_abstained={oos_ok}/{oos} in_scope_abstained={fa}/{n_in}")


def baseline():
    import jieba
    from rank_bm25 import BM25Okapi

    from knowledge.pack import load_pack

    jieba.setLogLevel(60)
    arts = load_pack().regulation.articles
    bm = BM25Okapi([list(jieba.cut(a.text)) for a in arts])

    def rank(q):
        s = bm.get_scores(list(jieba.cut(q)))
        order = sorted(range(len(arts)), key=lambda i: -s[i])
        return [arts[i].number for i in order[:5]], False

    return rank


def ours():
    from knowledge.retrieval import retriever_for

    r = retriever_for()

    def rank(q):
        a = r.ask(q)
        return a.candidates, a.abstained

    return rank, r


def cold_start(runs: int = 7) -> tuple[float, float]:
    """Median wall time and peak RSS (MB) of a whole `qabot ask` process, measured per child."""
    import os

    exe = Path(sys.executable).with_name("qabot")
    walls, peaks = [], []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.Popen([str(exe), "ask", "公示期几天"], stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - t)
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.returncode == 0
        peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(walls), statistics.median(peaks)


def main() -> int:
    wall, peak = cold_start()  # first, while this process is small
    rank, r = ours()
    base = baseline()
    print(f"{'set':<20} {'system':<9} scores")
    for name, path in SETS.items():
        if not path.exists():
            print(f"{name:<20} (missing: {path})")
            continue
        items = load(path)
        print(f"{name:<20} {'baseline':<9} {score(base, items)}")
        print(f"{name:<20} {'qabot':<9} {score(rank, items)}")
    questions = [q for p in SETS.values() if p.exists() for q, _ in load(p)]
    times = []
    for _ in range(5):
        for q in questions:
            t = time.perf_counter()
            r.ask(q)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    btimes = []
    for q in questions:
        t = time.perf_counter()
        base(q)
        btimes.append((time.perf_counter() - t) * 1000)
    print(f"\nwarm latency over {len(times)} answers: median={statistics.median(times):.3f} ms "
          f"p99={p99:.3f} ms (baseline median={statistics.median(btimes):.3f} ms, "
          f"ratio {statistics.median(times) / statistics.median(btimes):.2f}x)")
    print(f"cold `qabot ask \"公示期几天\"`: median wall={wall:.3f} s, peak RSS={peak:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
