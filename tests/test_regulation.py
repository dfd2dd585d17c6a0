"""The measures as data: structure, fidelity to the source, facts tied to their text."""

from __future__ import annotations

import unicodedata

import pytest

from knowledge.pack import load_pack, load_pack_from
from knowledge.regulation import RegulationError, parse, split_sentences


@pytest.fixture(scope="module")
def pack():
    return load_pack()


def _letters(text: str) -> str:
    return "".join(c for c in text if not c.isspace() and not unicodedata.category(c).startswith("P"))


def test_repaired_text_differs_from_the_source_only_by_whitespace_and_punctuation(pack):
    assert _letters(pack.text) == _letters(pack.source_text)
    assert len(_letters(pack.text)) > 3000


def test_the_fidelity_check_would_notice_a_lost_character(pack):
    assert _letters(pack.text.replace("公示期为7天", "公示期为天")) != _letters(pack.source_text)


def test_repairs_restore_quotation_marks_and_remove_stray_spaces(pack):
    text = pack.text
    assert "包括“组织奖”“个人奖”。" in text
    assert "（以下简称“市政府质量奖”）" in text
    assert "近3年" in text and "近 3 年" not in text
    assert "5年以上" in text


def test_the_measures_have_8_chapters_and_26_articles(pack):
    reg = pack.regulation
    assert [c.number for c in reg.chapters] == list(range(1, 9))
    assert [a.number for a in reg.articles] == list(range(1, 27))
    assert reg.chapters[2].label == "第三章 申报条件"
    assert reg.chapter_of(15).title == "认定程序"


@pytest.mark.parametrize("article, items", [(7, 5), (8, 4), (24, 5)])
def test_listed_articles_have_their_items(pack, article, items):
    art = pack.regulation.article(article)
    assert [i.number for i in art.items] == list(range(1, items + 1))
    assert all(i.text for i in art.items)


def test_articles_without_items_have_none(pack):
    assert [a.number for a in pack.regulation.articles if a.items] == [7, 8, 24]


def test_items_and_sentences_keep_their_text(pack):
    art7 = pack.regulation.article(7)
    assert art7.item(1).text.startswith("依法在沧州市行政区域内登记注册")
    assert art7.item(1).label == "（一）"
    sentences = art7.sentences
    assert sentences[0].text == "申报市政府质量奖的单位应具备下列基本条件："
    assert {s.item for s in sentences[1:]} == {1, 2, 3, 4, 5}
    art15 = pack.regulation.article(15)
    assert any(s.text.endswith("公示期为7天。") for s in art15.sentences)


def test_headings_are_read_from_procedure_articles(pack):
    assert pack.regulation.article(10).heading == "认定通知"
    assert pack.regulation.article(1).heading == ""


def test_document_metadata(pack):
    assert pack.doc_number == "沧政字〔2020〕14号"
    assert pack.date("issued").isoformat() == "2020-07-30"
    assert pack.regulation.preamble[1] == "沧政字〔2020〕14号"


def test_every_fact_is_quoted_from_the_article_it_cites(pack):
    for fact in pack.facts.values():
        art = pack.regulation.article(fact.ref.article)
        source = art.item(fact.ref.item).text if fact.ref.item else art.text
        assert fact.text in source, fact.key


def test_facts_hold_the_numbers_the_rules_use(pack):
    assert pack.value("validity_years") == 4
    assert pack.value("min_years_in_operation") == 5
    assert pack.value("quota_organization") == 7
    assert pack.value("quota_individual") == 3
    assert pack.value("public_notice_days") == 7
    assert pack.value("prize_organization_yuan") == 300000
    assert pack.fact("min_years_in_operation").ref.label == "第七条第（一）项"


def test_a_pack_from_another_folder_loads_with_its_own_values(tmp_path, pack):
    (tmp_path / "measures.txt").write_text(
        "某市质量奖办法\n第一章 总则\n第一条 奖项有效期五年。\n第二条 每两年评选一次。\n", encoding="utf-8")
    (tmp_path / "pack.yaml").write_text(
        "id: other\ntitle: 某市质量奖办法\nfacts:\n  validity_years: {value: 5, ref: {article: 1}, text: 奖项有效期五年}\n",
        encoding="utf-8")
    other = load_pack_from(tmp_path)
    assert other.value("validity_years") == 5
    assert len(other.regulation.articles) == 2


def test_a_gap_in_article_numbers_is_refused():
    with pytest.raises(RegulationError):
        parse("办法\n第一章 总则\n第一条 甲。\n第三条 乙。\n", "办法")


def test_sentences_end_at_full_stops_and_semicolons():
    assert split_sentences("甲。乙；丙") == ["甲。", "乙；", "丙"]
    assert split_sentences("他说“好。”然后") == ["他说“好。”", "然后"]
