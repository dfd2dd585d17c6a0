"""Calibrate the three answer bands on question sets, and write them into the pack.

    .venv/bin/python benchmarks/calibrate.py            # print the thresholds and their costs
    .venv/bin/python benchmarks/calibrate.py --write    # also write the pack's calibration.yaml

An in-scope question the scope rules decline is left out (scope decides it, not the score).
An out-of-scope question they decline is scored as if they had not: the refusal scores are the
second line of defence, for out-of-scope questions no rule knows yet. The best article's score
decides the band:

- below ``refuse`` the bot says the measures do not cover the question. Chosen to minimise
  2 x in-scope questions refused + out-of-scope questions answered: a refused answerable
  question leaves the user with nothing, while an out-of-scope question above ``refuse`` is
  still only shown a best answer, marked as such (unless it scores as confident). Where the
  cost is flat (within 2 % of the least) the lowest threshold is taken: the sets calibrated
  on were read for classes of failure, so their answerable questions score higher than
  unread ones;
- from ``refuse`` to ``confident`` it shows its best answer *as such*, with the alternatives;
  at or above ``confident`` it answers plainly. Chosen to minimise correct answers shown as
  only "best" (1 each) + wrong or out-of-scope answers shown confidently (2 each: a confident
  wrong answer is the worst outcome).

Calibration sets: the development sets (``../shared/eval``), the older benchmark sets, and the
blind splits read for classes of failure (``_a``, ``_b``, scope, ``d``; ``c`` and scope2 since
issue 9's third round, ``e`` since its fourth). A round's held-out splits are never used here.
The refusal score is the median of the scores fitted with one file left out (``--cv`` prints
each fit and what it costs on the file it left out), so no single file decides it. The pack's own sample questions are left out too (they are in the index, so their scores
say nothing about new questions), and so are the sets written while tuning.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import retrieval_bench as rb  # noqa: E402

# e1/e2 were read for classes of failure in issue 9's fourth round, c1/c2 and scope2 in its
# third, the _b splits in its second: they calibrate too. A round's held-out splits (given to
# the bench with --held-out) never do.
CALIBRATION_SETS = ["dev", "dev_answers", "extra", "probe", "blind applicants_a",
                    "blind people_a", "blind scope", "blind applicants_b", "blind people_b",
                    "blind d1", "blind d2", "blind c1", "blind c2", "blind scope2",
                    "blind e1", "blind e2"]
assert not set(CALIBRATION_SETS) & rb.HELD_OUT  # the held-out splits are never calibrated on
GRID = [round(0.02 + 0.005 * i, 3) for i in range(100)]  # 0.02 .. 0.515
FLAT = 0.02  # costs this close to the least are the same, for the refusal score


Obs = tuple[float, bool, bool, bool, bool, str]


def observations() -> list[Obs]:
    """(top score, in scope, top-1 right, anchored, caught by the scope rules) for every
    question the scope rules let through, and for every out-of-scope question scored as if
    the rules had not caught it: the refusal scores are the second line of defence, for
    out-of-scope questions no rule knows yet, so they are set on what such questions score."""
    from knowledge.retrieval import retriever_for

    r = retriever_for()
    out = []
    for name in CALIBRATION_SETS:
        for q, gold, _must, _must_not in rb.items_of(name) or []:
            ans = r.ask(q)
            caught = ans.decline is not None
            if caught and not gold:
                ans = r.ask(q, scoped=False)
            if ans.decline is not None or ans.kind in {"smalltalk", "empty", "reference",
                                                       "no_such_article"}:
                continue
            top = ans.ranked[0] if ans.ranked else None
            score = top.score if top else 0.0
            out.append((score, bool(gold), bool(top and top.article in gold),
                        r.anchored(ans.text), caught, name))
    return out


def calibrate(obs: list[Obs], refuse: float | None = None) -> dict[str, tuple[float, int]]:
    """Thresholds and their costs: refuse (anchored questions), refuse_unanchored, confident."""

    def refuse_cost(t: float, anchored: bool, only: str | None = None) -> int:
        return sum((2 if ins else 1) for s, ins, _, a, _c, f in obs if a == anchored
                   and (only is None or f == only)
                   and ((ins and s < t) or (not ins and s >= t)))

    if refuse is None:
        refuse = robust_refuse(obs, refuse_cost)
    # the unanchored threshold is never below the anchored one
    unanchored = min((t for t in GRID if t >= refuse), key=lambda t: (refuse_cost(t, False), t))

    def confident_cost(t: float) -> int:
        cost = 0
        for s, ins, right, a, caught, _f in obs:
            if caught or s < (refuse if a else unanchored):
                continue  # declined: no band to choose
            if ins and right and s < t:
                cost += 1
            elif (not ins or not right) and s >= t:
                cost += 2
        return cost

    confident = min((t for t in GRID if t >= refuse), key=lambda t: (confident_cost(t), t))
    return {"refuse": (refuse, refuse_cost(refuse, True)),
            "refuse_unanchored": (unanchored, refuse_cost(unanchored, False)),
            "confident": (confident, confident_cost(confident))}


def robust_refuse(obs: list[Obs], refuse_cost) -> float:  # type: ignore[no-untyped-def]
    """The refusal score for anchored questions.

    The calibration sets were read for classes of failure, so their answerable questions score
    higher than new ones do, and nearly every out-of-scope question among them is one the scope
    rules catch (scored here as if they had not): the cost is flat over a wide range of scores.
    Where it is flat (within FLAT of the least) the lowest threshold is taken, refusing fewer
    of the questions nobody has read. ``cross_validate`` checks that this holds file by file:
    fitted on all files but one, the threshold costs the file left out about what its own
    best threshold would."""
    least = min(refuse_cost(t, True) for t in GRID)
    return min(t for t in GRID if refuse_cost(t, True) <= least * (1 + FLAT))


def cross_validate(obs: list[Obs]) -> list[tuple[str, float, int, int, int]]:
    """Leave one file out: the refusal score fitted on the other files, and the cost it has on
    the file left out beside the least cost any threshold has there (what a threshold fitted on
    read sets costs on a set it has not seen)."""
    out = []
    for f in sorted({g for *_, g in obs}):
        rest = [o for o in obs if o[5] != f]
        here = [o for o in obs if o[5] == f]
        fitted = calibrate(rest)["refuse"][0]

        def cost(t: float, rows: list[Obs] = here) -> int:
            return sum((2 if ins else 1) for s, ins, _, a, _c, _g in rows if a
                       and ((ins and s < t) or (not ins and s >= t)))

        refused = sum(1 for s, ins, *_ in here if ins and s < fitted)
        out.append((f, fitted, cost(fitted), min(cost(t) for t in GRID), refused))
    return out


def calibrate_across_files(obs: list[Obs]) -> tuple[dict[str, tuple[float, int]], list]:
    """The bands with the refusal score no single file decides: the median of the refusal
    scores fitted with each file left out (each fit checked on the file it left out)."""
    folds = cross_validate(obs)
    fits = sorted(f[1] for f in folds)
    refuse = fits[(len(fits) - 1) // 2] if fits else None
    return calibrate(obs, refuse=refuse), folds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="write the pack's calibration.yaml")
    ap.add_argument("--cv", action="store_true", help="also cross-validate over the files")
    a = ap.parse_args()
    obs = observations()
    cal, folds = calibrate_across_files(obs)
    n_in = sum(1 for _, ins, *_ in obs if ins)
    n_un = sum(1 for _, _, _, a, *_ in obs if not a)
    n_caught = sum(1 for *_, caught, _f in obs if caught)
    notes = {
        "refuse": "the median of the fits with one file left out; cost: 2 x in-scope refused "
                  "+ out-of-scope answered (anchored questions)",
        "refuse_unanchored": f"cost, the same, among the {n_un} questions naming nothing "
                             "of the award",
        "confident": "cost: right but hedged + 2 x wrong or out of scope but confident",
    }
    print(f"{len(obs)} questions scored ({n_in} in scope, {len(obs) - n_in} out of scope, "
          f"{n_caught} of them caught by the scope rules)")
    for key, (value, cost) in cal.items():
        print(f"{key}: {value}  ({notes[key]}: {cost})")
    if a.cv:
        print("leave one file out (refuse fitted on the others: cost on the file, the least "
              "any threshold has there, answerable questions of the file refused):")
        for f, fitted, cost, least, refused in folds:
            print(f"  {f:<22} refuse={fitted:<6} cost={cost} least={least} refused={refused}")
    if a.write:
        from knowledge.pack import load_pack

        path = load_pack().path / "calibration.yaml"
        lines = ["# Written by benchmarks/calibrate.py: the score bands of knowledge/retrieval.py,",
                 f"# calibrated on {', '.join(CALIBRATION_SETS)}",
                 f"# ({len(obs)} questions, {n_in} in scope; the {n_caught} out-of-scope ones the",
                 "# scope rules catch are scored without them for the refusal scores only).",
                 "# Do not edit by hand; rerun the script."]
        lines += [f"{key}: {value}  # {notes[key]}: {cost}" for key, (value, cost) in cal.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
