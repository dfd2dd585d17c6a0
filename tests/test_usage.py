from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.cli import main
from knowledge.pack import load_pack
from knowledge.usage import check_usage

PACK = load_pack()
AWARD = dt.date(2021, 12, 20)
IN_TIME = dt.date(2023, 6, 1)


def check(text: str, **kw):
    kw.setdefault("award_date", AWARD)
    kw.setdefault("today", IN_TIME)
    return check_usage(text, PACK, **kw)


def test_text_that_does_not_name_the_award_has_no_problems():
    r = check("我公司坚持质量第一，欢迎选购我们的产品。")
    assert (r.ok, r.problems) == (True, [])


def test_the_award_named_with_its_year_for_the_company_image_is_fine():
    r = check("我公司荣获2021年度沧州市政府质量奖。")
    assert (r.ok, r.problems) == (True, [])


def test_the_award_named_without_a_year_is_missing_year():
    r = check("热烈祝贺我公司荣获沧州市政府质量奖！")
    assert r.problems == ["missing_year"]
    assert "2021年度沧州市政府质量奖" in r.reply


def test_a_year_written_in_chinese_numerals_counts():
    assert check("二〇二一年度市政府质量奖获奖单位").ok


def test_a_year_that_is_not_the_award_year_is_wrong_year():
    assert check("荣获2022年度市政府质量奖").problems == ["wrong_year"]


def test_an_unrelated_year_earlier_in_the_sentence_is_not_the_award_year():
    r = check("公司成立于1998年，荣获沧州市政府质量奖")
    assert r.problems == ["missing_year"]


@pytest.mark.parametrize("word", ["产品", "包装", "商品", "选购"])
def test_using_the_award_to_promote_a_product_is_flagged(word):
    r = check(f"2021年度沧州市政府质量奖{word}")
    assert "product_promotion" in r.problems


def test_using_the_honour_after_expiry_is_flagged():
    r = check("荣获2021年度沧州市政府质量奖", today=dt.date(2025, 12, 20))
    assert r.problems == ["expired"]
    assert "2025-12-19" in r.reply


def test_a_revoked_award_may_not_be_used_at_all():
    assert check("荣获2021年度沧州市政府质量奖", revoked=True).problems == ["revoked"]


def test_every_problem_reply_quotes_article_21():
    r = check("本产品荣获市政府质量奖")
    assert "第二十一条" in r.reply and "不得用于产品宣传" in r.reply


def test_the_check_usage_command_prints_the_documented_json(capsys):
    assert main(["check-usage", "--award-date", "2021-12-20", "--today", "2023-01-01", "--json",
                 "本公司产品荣获沧州市政府质量奖"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"ok", "problems", "reply"}
    assert out["ok"] is False
    assert out["problems"] == ["missing_year", "product_promotion"]


def test_the_check_usage_command_rejects_empty_text_in_chinese(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("   "))
    assert main(["check-usage"]) == 2
    assert "请提供" in capsys.readouterr().err
