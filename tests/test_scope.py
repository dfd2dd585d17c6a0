"""Questions about another place's or level's award, other schemes and topics the measures do
not address are declined with the reason, and never answered with this award's figures."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from bot.commands.ask import answer_json
from bot.dialogue import Dialogue
from knowledge.pack import load_pack
from knowledge.retrieval import retriever_for
from knowledge.scope import _places

# This award's amounts, durations, quotas and forms, as the measures write them.
FIGURES = ["30万元", "2万元", "有效期四年", "四年", "公示期为7天", "7天", "5年以上", "近3年",
           "不超过7个", "不超过3个", "《沧州市政府质量奖申报表》", "申报表", "最高质量荣誉"]
QUESTIONS = ["{a}奖金多少", "{a}奖金给多少钱啊", "{a}有效期几年", "{a}拿了以后能用几年",
             "{a}怎么申报 要填啥表", "{a}一年评几个", "{a}公示几天", "{a}申报条件是啥 要干满5年不",
             "{a}个人奖给多少钱", "{a}是不是最高的质量荣誉", "想问下{a}评审收费吗"]
CITY_AWARDS = ["{p}市政府质量奖", "{p}市质量奖", "{p}的质量奖", "{p}市长质量奖", "{p}政府质量将"]
PROVINCE_AWARDS = ["{p}省政府质量奖", "{p}省质量奖", "{p}省长质量奖"]
LEVEL_AWARDS = ["省里的质量奖", "省级质量奖", "省长质量奖", "国家级质量奖", "全国质量奖", "中国质量奖",
                "省政府质量奖"]
PROVINCES = {"北京", "天津", "上海", "重庆", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "江苏",
             "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "四川",
             "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾"}


def awards() -> list[str]:
    places = [p for p in _places() if p != "沧州"]
    # every province, and every fourth city of the gazetteer (deterministic)
    cities = [p for p in places if p not in PROVINCES][::4]
    out = [t.format(p=p) for p in sorted(PROVINCES - {"香港", "澳门", "台湾"})
           for t in PROVINCE_AWARDS[:1]]
    out += [t.format(p=p) for p, t in zip(cities, itertools.cycle(CITY_AWARDS))]
    out += [t.format(p=p) for p in ("石家庄", "邯郸", "衡水", "天津", "北京") for t in CITY_AWARDS]
    return out + LEVEL_AWARDS


@pytest.fixture(scope="module")
def d() -> Dialogue:
    return Dialogue(features=["bot.features.qa"])


def test_the_figures_checked_are_this_awards_own():
    text = load_pack().text
    assert all(f in text for f in FIGURES)


def test_no_answer_about_another_award_quotes_this_awards_figures(d):
    bad = []
    n = 0
    for award, template in itertools.product(awards(), QUESTIONS):
        q = template.format(a=award)
        n += 1
        row = answer_json(d, q)
        said = [f for f in FIGURES if f in str(row["reply"])]
        if said or not row["abstained"]:
            bad.append((q, said, row["abstained"]))
    assert n >= 500
    assert not bad, bad[:20]


def test_the_decline_names_the_other_award_and_this_one(d):
    reply = str(answer_json(d, "河北省政府质量奖奖金多少")["reply"])
    assert "本办法只规定沧州市政府质量奖" in reply and "河北省政府质量奖" in reply


@pytest.mark.parametrize("question, reason", [
    ("30万奖金要交企业所得税吗", "税"),
    ("获奖企业去银行贷款有优惠吗", "贷款"),
    ("质量强市办公室电话是多少", "联系方式"),
    ("去年都是哪几家企业得了组织奖", "获奖名单"),
    ("申报材料的自评报告有没有范文", "模板"),
    ("没评上能申请行政复议吗", "复议"),
    ("拿了个人奖评职称能加分吗", "职称"),
    ("获奖企业有技改补贴吗", "补贴"),
    ("评上组织奖以后参加政府采购能优先吗", "政府采购"),
    ("拿了质量奖批工业用地会不会照顾一点", "用地"),
    ("获奖单位投标时能加分吗", "招投标"),
])
def test_topics_the_measures_do_not_address_are_declined_with_the_reason(d, question, reason):
    row = answer_json(d, question)
    assert row["abstained"] and reason in str(row["reply"])
    # this award's amounts and durations are no answer to a question the measures leave open
    assert not [f for f in FIGURES[:9] if f in str(row["reply"])]


@pytest.mark.parametrize("question, other", [
    ("听说石家庄也有个政府质量奖，那边给多少奖金", "石家庄政府质量奖"),
    ("任丘的县级质量奖要什么条件", "县级质量奖"),
])
def test_an_award_another_place_or_level_has_is_declined_by_its_name(d, question, other):
    row = answer_json(d, question)
    assert row["abstained"] and other in str(row["reply"])
    assert not [f for f in FIGURES if f in str(row["reply"])]


@pytest.mark.parametrize("question", ["今年的市政府质量奖几号截止报名", "一般几月份截止申报",
                                      "哪个月开始报名"])
def test_this_years_dates_are_declined_with_article_ten_offered(d, question):
    row = answer_json(d, question)
    assert row["abstained"] and row["articles"][:1] == [10]
    assert "申报通知" in str(row["reply"]) and "第十条" in str(row["reply"])


@pytest.mark.parametrize("question, article", [("这个办法哪天开始施行", 26),
                                               ("有效期从什么时候开始算", 4)])
def test_when_the_measures_or_a_validity_start_is_no_round_date(question, article):
    ans = retriever_for().ask(question)
    assert ans.decline is None and ans.articles[:1] == [article], ans.articles


@pytest.mark.parametrize("question, article", [
    ("我们公司营业执照在天津，生产基地在黄骅，能申报沧州市政府质量奖吗", 7),
    ("外省的企业在沧州有分公司能报吗", 7),
    ("省里推荐的企业能直接报吗", (6, 11)),
    ("没有通过ISO9001认证能报吗", 7),
    ("奖金能不能拿去还银行贷款", 18),
    ("获奖企业偷税漏税会被撤销吗", 24),
    ("这个奖是咱市里最高的质量荣誉吗", 2),
    ("每年什么时候开始申报", 10),
    # a scheme the applicant has or a title the applicant holds is a fact, not the subject
    ("我在厂里当首席质量官，能报个人奖吗", 8),
    ("质量管理体系要健全，有ISO9001认证就够了吗", 7),
    ("只做过体系认证、没推行卓越绩效，影响申报吗", 7),
])
def test_questions_that_only_mention_other_places_or_topics_stay_in_scope(question, article):
    ans = retriever_for().ask(question, today=dt.date(2025, 6, 30))
    assert ans.decline is None and not ans.abstained, question
    acceptable = article if isinstance(article, tuple) else (article,)
    assert set(acceptable) & set(ans.articles[:2])


@pytest.mark.parametrize("question, article", [
    # a phone call or an address told in the story is no question for a contact
    ("有个中介打电话说交钱能保评上，申报要交钱吗", 19),
    ("公司注册地址变了联系不上，被列入过经营异常名录，影响申报吗", 7),
    # a scheme the applicant only has is a fact about it
    ("我们只有ISO9001认证，没推行卓越绩效，能报吗", 7),
    # a provincial honour the applicant holds is its record, not the subject
    ("我们拿过省里的荣誉，报市政府质量奖要什么条件", 7),
])
def test_what_a_question_tells_is_not_what_it_asks(question, article):
    ans = retriever_for().ask(question, today=dt.date(2025, 6, 30))
    assert ans.decline is None and not ans.abstained, question
    assert article in ans.articles[:3], ans.articles


@pytest.mark.parametrize("question, other", [
    ("沧州有没有专精特新奖励，能奖多少", "专精特新"),
    ("沧州市科学技术进步奖奖金多少", "科学技术进步奖"),
    ("黄骅自己有没有市长质量奖", "黄骅"),
    ("泊头市长质量奖怎么报", "泊头"),
    # a county's own award named without 自己/市长 (河间质量奖, 任丘市政府质量奖)
    ("河间质量奖奖金多少", "河间"),
    ("任丘市政府质量奖一年评几个", "任丘"),
    ("鲁班奖要什么条件才能报", "鲁班奖"),
])
def test_another_award_of_the_place_or_of_one_of_its_counties_is_declined(d, question, other):
    row = answer_json(d, question)
    assert row["abstained"] and other in str(row["reply"])
    assert not [f for f in FIGURES if f in str(row["reply"])]


@pytest.mark.parametrize("question, reason", [
    ("申报材料送到哪个地址", "联系方式"),
    ("想当质量奖的评审专家，怎么报名", "评审专家"),
    ("申报表业绩那一栏要填哪几年的数据", "模板"),
])
def test_more_topics_the_measures_do_not_address_are_declined(d, question, reason):
    row = answer_json(d, question)
    assert row["abstained"] and reason in str(row["reply"])


def test_a_contact_decline_names_no_office_as_the_contact(d):
    reply = str(answer_json(d, "质量奖找哪个科室，电话多少")["reply"])
    assert "联系方式" in reply and "领导小组办公室" not in reply


@pytest.mark.parametrize("question, reason", [
    ("奖金多久能打到公司账上", "发放"),
    ("领导小组的组长叫什么", "人员"),
    ("颁奖典礼在哪儿办", "颁奖仪式"),
    ("奖杯长什么样", "样式"),
    ("每年大概有多少家企业申报", "统计"),
    ("到现在一共评上过多少家企业", "获奖名单"),
    ("每个县一年最多能推荐多少家企业", "推荐的数量"),
    ("各部门推荐有没有名额限制", "推荐的数量"),
    ("申报前有培训班吗", "培训"),
    ("获奖企业的职工能涨工资吗", "工资"),
    ("网上申报的网址是什么", "联系方式"),
    ("省质量奖奖金多少", "省质量奖"),
])
def test_what_winners_and_applicants_ask_beyond_the_measures_is_declined(d, question, reason):
    row = answer_json(d, question)
    assert row["abstained"] and reason in str(row["reply"]), row["reply"]
    assert not [f for f in FIGURES[:9] if f in str(row["reply"])]


@pytest.mark.parametrize("question, article", [
    ("三十万奖金什么时候发", 16),  # the amount is the measures' answer, 到账 is not asked
    ("奖金能不能拿来交税", 18),  # the money's use, not a tax question
    ("专精特新企业能不能报质量奖", 7),  # the scheme the applicant holds
    ("重新评上的单位这回的奖金什么时候到账", 17),  # a repeat award gets none
])
def test_questions_near_those_topics_stay_in_scope(question, article):
    ans = retriever_for().ask(question)
    assert ans.decline is None and not ans.abstained, question
    assert article in ans.articles[:2], ans.articles


@pytest.mark.parametrize("question, reason", [
    ("这个荣誉可以转让给子公司吗", "转让"),
    ("获奖单位被兼并了奖怎么办", "合并"),
    ("我们三个人能组团报个人奖吗", "团队"),
    ("对评审结果不满意能去哪投诉", "复议"),
    ("能不能告诉我们打了多少分", "评审意见"),
    ("评审专家是怎么抽的", "评审专家"),
    ("获奖企业上市有没有优先", "优待"),
    ("今年评审结果什么时候公布", "申报通知"),
    ("质量奖的英文名叫什么", "英文"),
])
def test_changes_teams_scores_and_details_of_a_round_are_declined(d, question, reason):
    row = answer_json(d, question)
    assert row["abstained"] and reason in str(row["reply"]), row["reply"]


def test_winning_the_city_award_is_no_listing_on_the_market(d):
    # 评上市政府质量奖 holds 上市: still the award's money
    row = answer_json(d, "企业评上市政府质量奖有奖金吗")
    assert not row["abstained"] and row["articles"][0] == 16


@pytest.mark.parametrize("question, topic", [
    ("评审时满分是多少 多少分能评上", "scoring"),
    ("各项指标的分值和权重是怎么定的", "scoring"),
    ("当评委有没有劳务费", "reviewer_pay"),
    ("审核组专家的报酬谁给", "reviewer_pay"),
    ("举报人的身份会不会泄露", "whistleblowers"),
    ("举报造假有没有奖励", "whistleblowers"),
])
def test_topics_the_measures_do_not_address_are_declined(question, topic):
    from knowledge.retrieval import retriever_for

    ans = retriever_for().ask(question)
    assert ans.decline is not None and ans.decline.topic == topic, ans.decline


@pytest.mark.parametrize("question, article", [
    # the story names a topic; the question asks something the measures answer
    ("单位改制了 我个人奖还能找谁推荐", None),
    ("评审意见最后是专家说了算吗", None),
    ("我是评委 我亲戚的公司也报了 我还能当评委吗", 25),
    # a loan in the story of a question on the conditions, or on the honour's validity
    ("我们去年贷款逾期了一回，上了不良信用记录，今年还能报吗", 7),
    ("办贷款时银行要看获奖证书，我们的奖还在有效期内吗", None),
    # a reviewer asking what the role demands, not how to become one
    ("当了评审专家以后要遵守哪些纪律", 25),
    ("做评审专家的，企业的技术资料要保密吗", 25),
])
def test_a_topics_word_in_the_story_does_not_decline_the_question(question, article):
    from knowledge.retrieval import retriever_for

    ans = retriever_for().ask(question)
    assert ans.decline is None and not ans.abstained
    if article:
        assert ans.articles[0] == article


def test_the_awards_own_sum_ties_a_question_to_the_award():
    from knowledge.retrieval import retriever_for

    r = retriever_for()
    assert r.anchored("那三十万拿到手能先还账吗") and not r.anchored("驾照到期怎么换")


@pytest.mark.parametrize("question, article, said, reason", [
    # the question inside is asked first; the clause after it is outside: both are answered
    ("组织奖一年评几家？通过率高不高", 4, "不超过7个", "统计情况"),
    ("个人奖的条件是啥，奖金要交税吗", 8, "从事质量工作5年以上", "税"),
])
def test_a_question_inside_asked_before_one_outside_is_answered_and_the_other_declined(
        question, article, said, reason):
    ans = retriever_for().ask(question)
    assert ans.kind in ("answer", "ambiguous") and ans.articles[0] == article, ans
    assert any(said in s.text for s in ans.quotes)
    assert any(reason in n for n in ans.notes), ans.notes
    assert ans.query == question


@pytest.mark.parametrize("question", [
    # the clause after the one outside leans on it for its subject: still declined
    "想评个省级质量标杆，申报条件是啥",
    "专精特新企业咋申请 要啥条件",
    "沧州市长特别奖奖金多少 跟质量奖一样不",
    # another place's or level's award changes what every clause asks
    "组织奖奖金多少，河北省政府质量奖呢",
])
def test_a_clause_that_leans_on_one_outside_is_not_split_off(question):
    ans = retriever_for().ask(question)
    assert ans.decline is not None, ans


@pytest.mark.parametrize("question, other", [
    ("能评全国机械行业质量奖不", "全国机械行业质量奖"),
    ("学校想评省级示范校，要啥条件", "省级示范校"),
])
def test_a_levels_award_named_with_its_trade_or_as_a_model_unit_is_declined(question, other):
    ans = retriever_for().ask(question)
    assert ans.decline is not None and ans.decline.other == other, ans


def test_an_applicants_record_of_patents_or_certificates_is_a_fact_not_the_subject():
    r = retriever_for()
    for question, article in (("我有两项专利，能报个人奖吗", 8),
                              ("体系认证我们都有，组织奖还要满足啥条件", 7)):
        ans = r.ask(question)
        assert ans.decline is None and ans.articles[0] == article, (question, ans)


@pytest.mark.parametrize("question", ["奖金入账记营业外收入吗", "30万奖金做账怎么做", "奖金计入什么科目"])
def test_bookkeeping_of_the_prize_money_is_declined_with_what_the_measures_say(question):
    ans = retriever_for().ask(question)
    assert ans.decline is not None and ans.decline.topic == "accounting", ans
    assert set(ans.decline.nearby) == {16, 18}


@pytest.mark.parametrize("question, topic_or_other", [
    ("我们想评市级文明单位，有奖金吗", "文明单位"),
    ("诚信企业是怎么评的", "诚信企业"),
    ("质量强市示范区啥标准", "示范区"),
    ("获了奖能不能免于产品抽查", "benefits"),
    ("投标时有质量奖能加多少分", "benefits"),
    ("奖金到了要给市里开发票吗", "accounting"),
    ("评委都有谁", "people"),
])
def test_model_units_credit_titles_and_what_winners_hope_for_beyond_the_measures_are_declined(
        question, topic_or_other):
    ans = retriever_for().ask(question)
    assert ans.decline is not None, ans
    assert topic_or_other in (ans.decline.topic, ans.decline.other), ans.decline


def test_is_it_so_asks_and_is_no_fact_about_the_applicant():
    # 是不是 is a question word: 县级的质量奖 after it is the award asked about
    ans = retriever_for().ask("任丘是不是也有县级的质量奖，奖金多少")
    assert ans.decline is not None and ans.decline.kind == "other_level", ans
    ans = retriever_for().ask("我们是县级医院，能报组织奖吗")
    assert ans.decline is None and ans.articles[0] == 7, ans


def test_how_to_write_the_award_year_is_answered_and_how_to_write_the_files_declined():
    r = retriever_for()
    ans = r.ask("宣传的时候获奖年份怎么写")
    assert ans.decline is None and ans.articles[0] == 21, ans
    ans = r.ask("申报书怎么写")
    assert ans.decline is not None and ans.decline.topic == "templates", ans


def test_where_the_office_is_is_a_contact_the_measures_do_not_give():
    ans = retriever_for().ask("质量强市办公室在哪里")
    assert ans.decline is not None and ans.decline.topic == "contacts", ans
    assert retriever_for().ask("公示在哪看").decline is None


@pytest.mark.parametrize("question", ["获奖后公司更名了，荣誉还算吗", "单位换了法定代表人，奖还有效吗"])
def test_a_winner_changing_its_name_or_legal_representative_is_declined_with_the_reason(question):
    ans = retriever_for().ask(question)
    assert ans.decline is not None and ans.decline.topic in ("changes", "certificates"), ans


def test_a_phrase_quoted_from_the_measures_ties_a_question_to_them():
    # nothing else in 严重违法失信企业名单是啥意思 names the award: the phrase itself does
    ans = retriever_for().ask("严重违法失信企业名单是啥意思")
    assert not ans.abstained and ans.articles[0] == 7, ans
    assert retriever_for().ask("法人或其他组织指什么").articles[:1] == [7]


@pytest.mark.parametrize("question", ["沧州某某机械公司是不是获奖企业", "怎么查询获奖企业", "张三有没有获过奖"])
def test_whether_a_named_firm_won_points_to_verify(question):
    ans = retriever_for().ask(question)
    assert ans.decline is not None and ans.decline.command == "verify", ans


@pytest.mark.parametrize("question", ["俺们县里自己的质量奖奖金多少", "本县也设了县政府质量奖，有效期几年",
                                      "我们区里的质量奖怎么申报"])
def test_our_own_countys_award_unnamed_is_not_this_award(d, question):
    ans = retriever_for().ask(question)
    assert ans.decline is not None and ans.decline.kind == "other_level", ans
    reply = str(answer_json(d, question)["reply"])
    assert not [f for f in FIGURES if f in reply], reply


@pytest.mark.parametrize("question", ["县里推荐市政府质量奖要交什么材料", "区里的企业能报市政府质量奖吗"])
def test_the_county_recommending_for_this_award_is_still_this_award(question):
    ans = retriever_for().ask(question)
    assert ans.decline is None and not ans.abstained, ans


def test_an_agencys_fee_is_declined_and_the_awards_own_fee_answered():
    ans = retriever_for().ask("请顾问公司帮忙准备申报材料大概花多少钱")
    assert ans.decline is not None and ans.decline.topic == "consultants", ans
    ans = retriever_for().ask("咨询公司说辅导要收两万，市里评审本身要交钱吗")
    assert ans.decline is None and ans.articles[0] == 19, ans


def test_the_replaced_measures_content_is_declined_without_this_awards_sums(d):
    ans = retriever_for().ask("旧办法里个人奖奖金是多少")
    assert ans.decline is not None and ans.decline.topic == "old_measures", ans
    assert "2万元" not in str(answer_json(d, "旧办法里个人奖奖金是多少")["reply"])


def test_looking_up_a_firms_record_is_a_service_the_bot_does_not_give():
    ans = retriever_for().ask("能帮我查一下我们厂有没有失信记录吗")
    assert ans.decline is not None and ans.decline.topic == "lookups", ans


def test_a_bank_branch_asking_to_apply_is_no_finance_question():
    ans = retriever_for().ask("我们是一家银行的支行，支行能单独报组织奖吗")
    assert ans.decline is None and ans.articles[0] == 7, ans


@pytest.mark.parametrize("question, topic", [
    ("获奖个人的孩子升学能加分吗", "careers"),
    ("30万奖金是分期给还是一次给", "payment"),
    ("要是赶上疫情，今年会不会暂停评选", "suspension"),
    ("申报材料要打印几份", "templates"),
    ("申报表要不要盖单位公章", "templates"),
    ("被列进失信名单了怎么申请移出", "list_removal"),
    ("商标怎么注册", "ip"),
    ("去当评委的话评审费给多少钱", "reviewer_pay"),
    ("审核组的专家都是哪里的", "reviewers"),
    ("获奖单位名单去哪里查", "winners"),
    ("获奖的厂子后来倒闭了，荣誉还在吗", "changes"),
])
def test_what_the_measures_leave_open_is_declined_with_its_reason(question, topic):
    ans = retriever_for().ask(question)
    assert ans.decline is not None and ans.decline.topic == topic, ans


def test_a_scheme_compared_with_this_award_is_the_scheme_asked_about():
    ans = retriever_for().ask("守合同重信用企业和市政府质量奖有什么区别")
    assert ans.decline is not None and ans.decline.kind == "other_programme", ans
    # beside it as the applicant's record, it is a fact, not the subject
    ans = retriever_for().ask("我们是守合同重信用企业，能报市政府质量奖吗")
    assert ans.decline is None, ans


def test_the_form_asked_for_in_a_word_is_the_application_form():
    ans = retriever_for().ask("报名得填哪个表")
    assert ans.articles[0] == 11 and not ans.abstained, ans


def test_a_firms_patents_in_the_story_are_no_question_about_patents():
    ans = retriever_for().ask("举报某获奖企业申报时的专利数据是编的，查实了会怎样")
    assert ans.decline is None and ans.articles[0] == 24, ans
    assert "弄虚作假" in "".join(s.text for s in ans.quotes)


def test_a_place_in_pinyin_initials_is_another_place_unless_it_is_this_one(d):
    reply = str(answer_json(d, "hs市的质量奖奖金多少")["reply"])
    assert "本办法只规定沧州市政府质量奖" in reply and "30万元" not in reply, reply
    assert not answer_json(d, "cz市质量奖奖金多少")["abstained"]


def test_who_asks_then_a_question_inside_then_one_outside_answers_the_inside_one(d):
    row = answer_json(d, "我是财务，个人奖奖金给多少？发票怎么开")
    assert not row["abstained"] and row["articles"][0] == 16, row
    assert "2万元" in str(row["reply"]) and "会计和账务处理" in str(row["reply"]), row


def test_another_levels_award_asked_about_is_declined_though_it_was_won(d):
    row = answer_json(d, "咱们市一共有几家企业拿过省政府质量奖")
    assert row["abstained"] and "省政府质量奖" in str(row["reply"]), row
    # beside a question about this award it is the applicant's record
    assert not answer_json(d, "拿过省政府质量奖，报市政府质量奖有啥条件")["abstained"]
