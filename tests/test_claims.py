"""The register of legal claims (claims.yaml) held to the measures: each claim names articles
whose text holds its key words, a ban never carries a date or a next step, and no code states
law outside the register."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from knowledge.claims import BAN, Claim, load_claims
from knowledge.eligibility import load_rules
from knowledge.numerals import article_refs
from knowledge.pack import Pack, load_pack

ROOT = Path(__file__).parents[1]
PACK = load_pack()
CLAIMS = list(load_claims(PACK))
DATE_PLACEHOLDERS = {"until", "again", "date", "award_date", "prev_until", "left", "since"}
NEXT_STEP_WORDS = ("起可", "再次申报", "重新申报", "下一步", "申报流程", "优先", "目前", "可以申报")
BAN_WORDS = ("今后不得申报",)


def article_text(pack: Pack, claim: Claim) -> str:
    parts = []
    for ref in claim.refs:
        art = pack.regulation.article(ref.article)
        parts.append(art.item(ref.item).text if ref.item else art.text)
    return "\n".join(parts)


def sample_values(claim: Claim) -> dict[str, str]:
    return {name: f"〈{name}〉" for name in claim.placeholders}


def test_the_register_holds_every_kind_of_legal_statement():
    prefixes = {c.id.split(".")[0] for c in CLAIMS}
    assert {"selfcheck", "clause", "note", "validity", "status", "verify", "revoke",
            "registry", "reminder", "usage", "notice", "bind", "answer"} <= prefixes
    assert len(CLAIMS) >= 60


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_each_claim_rests_on_articles_whose_text_holds_its_key_words(claim: Claim):
    source = article_text(PACK, claim)  # raises if an article or item does not exist
    for word in claim.keywords:
        assert word in source, f"{claim.id}: “{word}” is not in {claim.label}"
        assert word in claim.text, f"{claim.id}: “{word}” is not in the template"


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_each_article_a_claim_names_is_one_it_rests_on(claim: Claim):
    named = set(article_refs(claim.text))
    assert named <= {r.article for r in claim.refs}, (claim.id, named)


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_each_claim_renders_and_is_safe_to_put_into_telegram_html(claim: Claim):
    assert not set(claim.text) & set("<>&"), claim.id
    text = load_claims(PACK).text(claim.id, **sample_values(claim))
    assert "{" not in text and "}" not in text


@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.kind == BAN], ids=lambda c: c.id)
def test_a_ban_never_carries_a_date_a_next_step_or_a_priority(claim: Claim):
    assert not claim.placeholders & DATE_PLACEHOLDERS, claim.id
    text = load_claims(PACK).text(claim.id, **sample_values(claim))
    for word in NEXT_STEP_WORDS:
        assert word not in text, (claim.id, word)
    assert re.search(r"\d{4}-\d{2}-\d{2}", text) is None


@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.kind != BAN], ids=lambda c: c.id)
def test_only_a_claim_marked_as_a_ban_states_one(claim: Claim):
    assert not any(w in claim.text for w in BAN_WORDS), claim.id


def test_the_next_steps_of_the_self_check_hold_the_words_of_their_articles():
    data = PACK.load_yaml("eligibility.yaml")
    for step in data["next_steps"]:
        art = PACK.regulation.article(step["article"])
        assert step["keywords"], step
        for word in step["keywords"]:
            assert word in art.text and word in step["text"], (step["article"], word)


def test_every_clause_shown_text_is_a_claim_of_that_clause():
    rules = load_rules(PACK)
    ids = {c.id for c in rules.clauses}
    for claim in CLAIMS:
        if claim.id.startswith("clause."):
            _, clause_id, status = claim.id.split(".", 2)
            assert clause_id in ids and status in ("met", "not_met", "unknown", "barred")


def test_every_claim_is_used_by_the_code_and_every_claim_the_code_names_exists():
    sources = "\n".join(p.read_text(encoding="utf-8") for folder in ("bot", "knowledge")
                        for p in (ROOT / folder).rglob("*.py"))
    named = set(re.findall(r"""["']((?:selfcheck|note|validity|status|verify|revoke|registry|"""
                           r"""reminder|usage|notice|bind|answer)\.[a-z0-9_.]+)["']""", sources))
    ids = {c.id for c in CLAIMS}
    assert named <= ids, named - ids
    eligibility = PACK.load_yaml("eligibility.yaml")
    named |= {c.get("not_applicable_note") for c in eligibility["clauses"]}
    unused = {i for i in ids - named if not i.startswith("clause.")}
    assert unused == set()


LEGAL_PHRASES = ("今后不得申报", "不得申报", "可再次申报", "不得用于产品宣传", "不得继续沿用",
                 "追缴奖金", "不再给予物质奖励", "可优先申报", "不占用当年", "形象宣传")


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings]


def test_no_code_states_law_outside_the_register():
    """Every sentence that states what the measures allow or forbid comes from claims.yaml."""
    offenders = []
    for folder in ("bot", "handlers", "knowledge"):
        for path in (ROOT / folder).rglob("*.py"):
            for line, value in _string_literals(path):
                for phrase in LEGAL_PHRASES:
                    if phrase in value:
                        offenders.append(f"{path.relative_to(ROOT)}:{line}: {phrase}")
    assert offenders == []


def test_a_pack_without_a_register_is_refused_by_name(tmp_path: Path):
    import shutil

    from knowledge.claims import load_claims as load
    from knowledge.pack import PackError, load_pack_from

    dst = tmp_path / "no-claims"
    shutil.copytree(PACK.path, dst)
    (dst / "claims.yaml").unlink()
    meta = (dst / "pack.yaml").read_text(encoding="utf-8")
    (dst / "pack.yaml").write_text(meta.replace("id: cangzhou-2020", "id: no-claims"), "utf-8")
    with pytest.raises(PackError, match="claims.yaml"):
        load(load_pack_from(dst))


def test_the_placeholders_of_a_claim_are_what_string_format_sees():
    claim = load_claims(PACK).get("selfcheck.reapply")
    names = {n for _, n, _, _ in string.Formatter().parse(claim.text) if n}
    assert claim.placeholders == names == {"until", "again", "basis", "ref"}


def test_every_ban_claim_shares_the_words_that_tell_a_ban_in_a_message():
    # states_ban looks for the words every ban claim holds: a ban claim without them (or a
    # prohibition filed as a ban) would leave it nothing to look for, and dates would be shown
    claims = load_claims(PACK)
    bans = [set(c.keywords) for c in claims.claims.values() if c.kind == BAN]
    assert bans and set.intersection(*bans)
    assert claims.states_ban("该单位或个人今后不得申报市政府质量奖。")
    assert not claims.states_ban("获奖单位和个人在有效期内可在形象宣传中使用荣誉称号")
