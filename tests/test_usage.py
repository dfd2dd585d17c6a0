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
    assert check("荣获2021年度沧州市政府质量奖", today=dt.date(2025, 12, 20)).ok  # last day
    r = check("荣获2021年度沧州市政府质量奖", today=dt.date(2025, 12, 21))
    assert r.problems == ["expired"]
    assert "2025-12-20" in r.reply and "《民法典》第二百零一条、第二百零二条" in r.reply


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


@pytest.mark.parametrize("name", PACK.meta["award_names"])
def test_every_name_of_this_honour_is_judged(name):
    assert check(f"荣获{name}").problems == ["missing_year"], name
    assert check(f"荣获2021年度{name}").ok, name


@pytest.mark.parametrize("name", ["河北省政府质量奖", "石家庄市政府质量奖", "中国质量奖", "全国质量奖",
                                  "河间市政府质量奖", "省政府质量奖", "县政府质量奖", "市长质量奖"])
def test_another_honour_is_never_judged_by_this_awards_rule(name):
    r = check(f"本公司是{name}获奖企业，2019年度{name}")
    assert (r.ok, r.problems) == (True, []), r.reply
    assert "不是沧州市政府质量奖" in r.reply and "2021年度" not in r.reply


def test_with_several_awards_the_year_in_the_text_picks_the_award():
    from knowledge.usage import Award, check_usage_awards

    awards = [Award(2021, dt.date(2021, 12, 20)), Award(2016, dt.date(2016, 12, 20))]
    today = dt.date(2023, 6, 1)
    assert check_usage_awards("荣获2021年度沧州市政府质量奖", PACK, awards, today).ok
    old = check_usage_awards("荣获2016年度沧州市政府质量奖", PACK, awards, today)
    assert old.problems == ["expired"] and "2020-12-20 期满" in old.reply
    none = check_usage_awards("荣获2019年度沧州市政府质量奖", PACK, awards, today)
    assert none.problems == ["wrong_year"] and "2016、2021年度" in none.reply
    bare = check_usage_awards("荣获沧州市政府质量奖", PACK, awards, today)
    assert bare.problems == ["missing_year"] and "2021年度沧州市政府质量奖" in bare.reply
    revoked = [Award(2021, dt.date(2021, 12, 20), revoked=True), awards[1]]
    r = check_usage_awards("荣获2021年度沧州市政府质量奖", PACK, revoked, today)
    assert r.problems == ["revoked"]


def test_an_approving_reply_never_asserts_more_than_the_words_show():
    r = check("我公司荣获2021年度沧州市政府质量奖。")
    assert r.ok and "请确认" in r.reply and "用于形象宣传。" not in r.reply


def test_the_words_that_show_a_purpose_are_the_packs_data(tmp_path):
    import shutil

    from knowledge.pack import load_pack_from

    text = "荣获2021年度沧州市政府质量奖，扫码进群"
    assert check(text).problems == []
    dst = tmp_path / "office"
    shutil.copytree(PACK.path, dst)
    words = (dst / "purpose.yaml").read_text(encoding="utf-8")
    (dst / "purpose.yaml").write_text(words.replace("[产品, 商品,", "[扫码进群, 产品, 商品,"),
                                      encoding="utf-8")
    r = check_usage(text, load_pack_from(dst), award_date=AWARD, today=IN_TIME)
    assert r.problems == ["product_promotion"] and "扫码进群" in r.reply


def test_a_pack_without_its_purpose_words_is_refused_by_name(tmp_path):
    import shutil

    from knowledge.pack import PackError, load_pack_from

    dst = tmp_path / "no-purpose"
    shutil.copytree(PACK.path, dst)
    (dst / "purpose.yaml").unlink()
    with pytest.raises(PackError, match="purpose.yaml"):
        check_usage("荣获2021年度沧州市政府质量奖", load_pack_from(dst))


@pytest.mark.parametrize("text", ["XX管业生产的PE管材荣获2021年度沧州市政府质量奖",
                                  "2021年度沧州市政府质量奖获奖企业，欢迎来电采购",
                                  "2021年度沧州市政府质量奖获奖企业，全场八折",
                                  "2021年度沧州市政府质量奖获奖企业 XX酒 53度",
                                  "买管材，就选2021年度沧州市政府质量奖企业",
                                  "2021年度沧州市政府质量奖获奖企业，新品上市",
                                  "2021年度沧州市政府质量奖获奖企业淘宝店铺"])
def test_a_sibling_of_product_promotion_is_never_approved(text):
    r = check(text)
    assert not r.ok and "product_promotion" in r.problems, r.reply
