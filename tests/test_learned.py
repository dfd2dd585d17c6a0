"""Regression cases from what staff taught: every question in a pack's reviewed
``learned.yaml`` (``qabot pack export-learned``) keeps getting the answer staff chose, and the
layer lowers nothing on the existing question sets. The blind splits never enter it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.learned import LEARNED_FILE, check, load_learned_file
from knowledge.pack import load_pack_from, packs_root
from knowledge.retrieval import Retriever

ROOT = Path(__file__).resolve().parents[1]
PACKS = sorted(p for p in packs_root().iterdir() if (p / LEARNED_FILE).exists())
LINE = re.compile(r"^- \{q: (?P<q>.*?), gold: \[(?P<gold>[\d, ]*)\]")
EXISTING = [ROOT / "benchmarks" / "questions_extra.yaml",
            ROOT / "benchmarks" / "questions_probe.yaml",
            *[p / "shared" / "eval" / "dev_questions.yaml" for p in ROOT.parents[:2]]]


def questions(path: Path) -> list[tuple[str, list[int]]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := LINE.match(line):
            out.append((m["q"], [int(x) for x in m["gold"].replace(" ", "").split(",") if x]))
    return out


def test_the_shipped_pack_has_a_reviewed_layer():
    assert [p.name for p in PACKS] == ["cangzhou-2020"]


@pytest.mark.parametrize("folder", PACKS, ids=[p.name for p in PACKS])
def test_every_taught_question_keeps_the_answer_staff_chose(folder: Path):
    pack = load_pack_from(folder)
    layer = load_learned_file(folder / LEARNED_FILE)
    report = check(Retriever(pack, learned=layer), layer)
    assert report.checked == len(layer.samples) + len(layer.out_of_scope) + sum(
        1 for s in layer.synonyms if s.question and s.article)
    assert report.failures == []


@pytest.mark.parametrize("folder", PACKS, ids=[p.name for p in PACKS])
def test_what_staff_taught_lowers_nothing_on_the_existing_sets(folder: Path):
    pack = load_pack_from(folder)
    layer = load_learned_file(folder / LEARNED_FILE)
    plain, taught = Retriever(pack), Retriever(pack, learned=layer)
    for path in (p for p in EXISTING if p.exists()):
        for q, gold in questions(path):
            a, b = plain.ask(q), taught.ask(q)
            if not gold:  # out of scope: still declined
                assert b.abstained or not a.abstained, (path.name, q)
            elif not a.abstained and a.articles[:1] and a.articles[0] in gold:
                assert not b.abstained and b.articles[0] in gold, (path.name, q, b.articles)


def test_no_blind_question_was_taught():
    # the blind splits, and the third round's beside the checkout until they join them
    folders = [ROOT / "benchmarks" / "blind", *(p / "blind_round3" for p in ROOT.parents[:2])]
    blind = {q for f in folders if f.is_dir() for p in f.glob("*.yaml") for q, _ in questions(p)}
    for folder in PACKS:
        layer = load_learned_file(folder / LEARNED_FILE)
        taught = {s.question for s in layer.samples} | {o.question for o in layer.out_of_scope}
        assert not taught & blind
