"""/selfcheck driven end to end through the Dialogue: every path, back, cancel, bad input."""

from __future__ import annotations

import datetime as dt
import html
import json
import random
import re

import pytest

from bot.dialogue import Dialogue
from bot.features.selfcheck import parse_date, parse_years
from bot.turn import Reply
from knowledge.eligibility import load_rules

TODAY = dt.date(2024, 6, 1)


class Chat:
    """One user talking to the dialogue; keeps the state between turns like a channel does."""

    def __init__(self, d: Dialogue) -> None:
        self.d = d
        self.state: dict[str, object] = {}
        self.last: list[Reply] = []

    def say(self, text: str) -> str:
        self.last = self.d.on_text(self.d.turn(self.state, today=TODAY), text)
        json.dumps(self.state)  # the channel must be able to persist it
        return self.html

    def press(self, label: str) -> str:
        data = self.data(label)
        self.last = self.d.on_button(self.d.turn(self.state, today=TODAY), data)
        json.dumps(self.state)
        return self.html

    def data(self, label: str) -> str:
        for reply in reversed(self.last):
            for row in reply.buttons:
                for b in row:
                    if b.label == label or b.label.startswith(label):
                        return b.data
        raise AssertionError(f"no button {label!r} in {self.html!r}")

    @property
    def html(self) -> str:
        """The replies as a reader sees them: tags dropped, entities decoded."""
        return html.unescape(re.sub(r"</?[a-z]+>", "", "\n".join(r.html for r in self.last)))

    @property
    def running(self) -> bool:
        return "selfcheck" in self.state or self.state.get("flow") == "selfcheck"


@pytest.fixture(scope="module")
def d() -> Dialogue:
    return Dialogue(features=["bot.features.selfcheck"])


@pytest.fixture
def chat(d: Dialogue) -> Chat:
    return Chat(d)


def organisation(chat: Chat, *, years: str = "8", innovation: str = "是") -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    for answer in ("是", years, "否", "是", "是", "是", "否", "否", innovation):
        if answer in ("是", "否", "不确定"):
            chat.press(answer)
        else:
            chat.say(answer)


def individual(chat: Chat, *, head: str = "否") -> None:
    chat.say("/selfcheck")
    chat.press("个人")
    for answer in ("是", "10", "是", "是"):
        chat.press(answer) if answer == "是" else chat.say(answer)
    chat.press(head)


# -- whole paths -----------------------------------------------------------------------------
def test_an_eligible_organisation_gets_every_clause_quoted_and_priority_noted(chat: Chat) -> None:
    organisation(chat)
    assert "第11/12题 · 依据：第四条" in chat.html
    chat.press("没有")
    out = chat.html
    assert "✅ 第七条第（一）项：依法在沧州市行政区域内登记注册的法人或其他组织" in out
    assert "✅ 第七条第（五）项（优先条件）" in out
    assert "✅ 第二十四条：未曾被撤销市政府质量奖奖项" in out  # what was checked, not the ban
    assert "今后不得申报" not in out
    assert "符合全部基本条件，可以申报" in out
    assert "可优先申报" in out
    assert "《沧州市政府质量奖申报表》" in out
    assert "公示期为7天" in out
    assert "不代替正式的资格审查" in out
    assert not chat.running  # answers are gone once the result is shown


def test_the_questionnaire_counts_its_questions(chat: Chat) -> None:
    assert "第1题" in chat.say("/selfcheck")
    assert "第2/12题 · 依据：第七条第（一）项" in chat.press("单位")
    assert "第3/12题" in chat.press("是")


def test_every_question_shows_its_clause_and_back_and_cancel(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    seen = 0
    while chat.running:
        assert "依据：第" in chat.html
        assert chat.data("↩ 上一题") and chat.data("✖ 取消")
        if "请直接输入数字" in chat.html:
            chat.say("6")
        elif "获奖日期" in chat.html:
            chat.say("2010-01-01")
        else:
            chat.press("是")
        seen += 1
    assert seen == 11  # and the first question, 单位 or 个人


def test_an_organisation_in_business_exactly_five_years_meets_7_1(chat: Chat) -> None:
    organisation(chat, years="5年")
    chat.press("没有")
    assert "✅ 第七条第（一）项" in chat.html


def test_an_organisation_in_business_4_9_years_is_told_which_clause_it_fails(chat: Chat) -> None:
    organisation(chat, years="4.9")
    chat.press("没有")
    assert "❌ 第七条第（一）项" in chat.html
    assert "4.9年，不足5年" in chat.html
    assert "不符合第七条第（一）项，目前不具备申报资格" in chat.html
    assert "条件具备后的申报流程" in chat.html


def test_no_quality_innovation_never_refuses_an_organisation(chat: Chat) -> None:
    organisation(chat, innovation="否")
    chat.press("没有")
    assert "❌ 第七条第（五）项（优先条件）" in chat.html
    assert "可以申报" in chat.html
    assert "可优先申报。" not in chat.html.split("结论")[1]


def test_a_non_head_is_not_asked_about_the_unit(chat: Chat) -> None:
    individual(chat, head="否")
    assert "第7/8题 · 依据：第四条" in chat.html
    chat.press("没有")
    assert "✅ 第八条第（四）项" in chat.html
    assert "不是所属单位负责人，本项不适用" in chat.html


def test_a_unit_head_is_asked_about_the_unit_and_fails_8_4_on_a_bad_record(chat: Chat) -> None:
    individual(chat, head="是")
    assert "第7/10题 · 依据：第八条第（四）项" in chat.html
    assert "所属单位是否有不良信用记录" in chat.html
    chat.press("是")
    chat.press("否")
    chat.press("没有")
    assert "❌ 第八条第（四）项" in chat.html


def test_an_applicant_unsure_of_headship_is_asked_about_the_unit(chat: Chat) -> None:
    individual(chat, head="不确定")
    assert "所属单位是否有不良信用记录" in chat.html
    chat.press("否")
    chat.press("否")
    chat.press("没有")
    assert "✅ 第八条第（四）项" in chat.html  # a clean unit meets 8(四) either way


def test_unsure_answers_give_an_uncertain_verdict_never_a_refusal(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("个人")
    while chat.running:
        chat.press("不确定")
    assert "❓ 第八条第（一）项" in chat.html
    assert "❓ 第四条" in chat.html
    assert "尚不确定" in chat.html
    assert "❌" not in chat.html


def test_a_winner_inside_its_validity_is_told_when_it_may_apply_again(chat: Chat) -> None:
    individual(chat)
    assert "第8/8题" in chat.say("2021年12月20日")
    chat.press("否")
    assert "❌ 第四条" in chat.html
    # 《民法典》第二百零一条、第二百零二条: valid through the same date four years on
    assert "上次获奖有效期至2025-12-20（期间按《民法典》第二百零一条、第二百零二条计算）" in chat.html
    assert "即2025-12-21起" in chat.html
    assert "目前不具备申报资格" in chat.html


def test_a_winner_whose_award_expired_may_apply(chat: Chat) -> None:
    individual(chat)
    chat.say("2020-05-31")
    chat.press("否")
    assert "✅ 第四条" in chat.html
    assert "可以申报" in chat.html


def test_a_revoked_winner_fails_article_24(chat: Chat) -> None:
    individual(chat)
    chat.say("2015-01-01")
    chat.press("是")
    assert "❌ 第二十四条" in chat.html


def test_a_winner_unsure_of_the_date_is_uncertain_on_article_4(chat: Chat) -> None:
    individual(chat)
    chat.press("记不清日期")
    assert "是否被撤销过" in chat.html
    chat.press("否")
    assert "❓ 第四条" in chat.html
    assert "获奖日期不详" in chat.html


def test_not_sure_whether_ever_awarded_is_not_taken_for_an_award(chat: Chat) -> None:
    individual(chat)
    assert "第7/8题" in chat.html  # one question about revocation will follow, not two
    chat.press("不确定")
    # the next question does not presume there was an award
    assert "如果您获得过市政府质量奖，是否有奖项被撤销过" in chat.html
    assert "您曾获得的" not in chat.html and "第8/8题" in chat.html
    chat.press("否")
    assert "❓ 第四条" in chat.html
    assert "是否曾获得市政府质量奖尚不确定" in chat.html
    assert "曾获奖" not in chat.html.replace("是否曾获得", "")
    assert "尚不确定" in chat.html and "❌" not in chat.html


def test_not_sure_whether_ever_awarded_can_be_typed(chat: Chat) -> None:
    individual(chat)
    chat.say("不知道")
    chat.press("不确定")
    assert "❓ 第四条" in chat.html and "❓ 第二十四条" in chat.html
    assert "获奖日期不详" not in chat.html


def test_a_never_awarded_applicant_gets_the_same_verdict_in_chat_and_on_the_command_line(
        chat: Chat) -> None:
    from bot.features.selfcheck import facts_from_answers
    from knowledge.eligibility import evaluate, validate_facts, with_today

    individual(chat)
    answers = dict(chat.state["selfcheck"]["answers"])  # type: ignore[index]
    chat.press("没有")
    assert "可以申报" in chat.html
    answers["previous_award"] = "none"
    facts = facts_from_answers(load_rules(chat.d.pack), answers)
    assert facts["previously_awarded"] is False
    cli = {k: v for k, v in facts.items() if k != "previously_revoked"}  # as a user writes it
    for f in (facts, cli):
        verdict = evaluate(with_today(validate_facts(f), TODAY), chat.d.pack)
        assert verdict.verdict == "eligible", f


def test_a_revoked_winner_gets_no_date_no_next_step_and_no_priority(chat: Chat) -> None:
    organisation(chat, innovation="是")
    chat.say("2023-01-10")  # still inside its validity
    chat.press("是")
    out = chat.html
    assert "❌ 第二十四条：曾获得的奖项被撤销，该单位或个人今后不得申报市政府质量奖" in out
    assert "今后不得申报市政府质量奖" in out.split("结论")[1]
    for word in ("目前", "起可", "再次申报", "重新申报", "下一步", "申报流程", "可优先申报",
                 "第十条", "2027", "2026-", "有效期至"):
        assert word not in out, word
    assert re.search(r"\d{4}-\d{2}-\d{2}", out) is None


def test_an_individual_is_asked_about_revocation_as_you_and_an_organisation_as_your_unit(
        chat: Chat, d: Dialogue) -> None:
    individual(chat)
    chat.say("2015-01-01")
    assert "您曾获得的市政府质量奖是否被撤销过" in chat.html
    assert "贵单位" not in chat.html
    other = Chat(d)
    organisation(other)
    other.say("2015-01-01")
    assert "贵单位曾获得的市政府质量奖是否被撤销过" in other.html


def test_7_2_is_asked_as_a_whole_including_continuous_innovation(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    chat.press("是")
    chat.say("8")
    chat.press("否")
    assert "第七条第（二）项" in chat.html
    assert "不断创新质量管理制度、模式、方法并具有推广价值" in chat.html
    assert "质量管理体系健全有效" in chat.html


@pytest.mark.parametrize("typed", ["5年左右", "约5年", "差不多5年", "大概五年", "4到6年", "不到6年"])
def test_an_approximate_number_of_years_at_the_boundary_is_asked_again(chat: Chat,
                                                                      typed: str) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    chat.press("是")
    out = chat.say(typed)
    assert "无法判断是否满5年" in out and "请输入准确的年数" in out
    assert "第3/12题" in out and chat.running
    assert chat.state["selfcheck"]["answers"].get("years_in_operation") is None


@pytest.mark.parametrize("typed, mark", [("约8年", "✅"), ("5年多", "✅"), ("5年以上", "✅"),
                                         ("快5年", "❌"), ("将近5年", "❌"), ("三年左右", "❌"),
                                         ("5到6年", "✅")])
def test_an_approximate_number_clear_of_the_boundary_is_judged(chat: Chat, typed: str,
                                                               mark: str) -> None:
    organisation(chat, years=typed)
    chat.press("没有")
    assert f"{mark} 第七条第（一）项" in chat.html


def test_answers_can_be_typed_as_text(chat: Chat) -> None:
    chat.say("/selfcheck")
    assert "第2/" in chat.say("个人")
    assert "第3/" in chat.say("是的")
    assert "第4/" in chat.say("五年半")
    assert "第5/" in chat.say("不知道")
    chat.say("对")
    chat.say("不是")
    chat.say("没有")
    assert "❓ 第八条第（二）项" in chat.html
    assert "✅ 第八条第（一）项" in chat.html


def test_selfcheck_with_an_argument_answers_the_first_question(chat: Chat) -> None:
    assert "第2/" in chat.say("/selfcheck 个人")
    assert "您是否遵纪守法" in chat.html


def test_random_walks_through_the_buttons_always_end_in_a_verdict(d: Dialogue) -> None:
    for seed in range(300):
        rnd = random.Random(seed)
        chat = Chat(d)
        chat.say("/selfcheck")
        for _ in range(60):
            if not chat.running:
                break
            labels = [b.label for r in chat.last for row in r.buttons for b in row
                      if not b.label.startswith("✖")]
            if chat.last[-1].expects_text and rnd.random() < 0.7:
                chat.say(rnd.choice(["0", "4.9", "5", "12", "2019-03-01", "2024-06-01", "abc",
                                     "500"]))
            else:
                chat.press(rnd.choice(labels))
        assert not chat.running, (seed, chat.html)
        assert re.search("可以申报|不具备申报资格|尚不确定|今后不得申报", chat.html), seed


# -- back, cancel, bad input, stale buttons ---------------------------------------------------
def test_back_returns_to_the_previous_question_and_lets_the_answer_change(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    chat.press("否")
    assert "第3/12题" in chat.html
    assert "第2/12题" in chat.press("↩ 上一题")
    assert "登记注册" in chat.html
    chat.press("是")
    chat.say("6")
    assert "第4/12题" in chat.html
    assert "第3/12题" in chat.say("返回")


def test_back_to_the_first_question_can_switch_applicant_type(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    chat.press("↩ 上一题")
    assert "单位还是个人" in chat.html
    assert "第2/10题 · 依据：第八条第（一）项" in chat.press("个人")
    assert "遵纪守法" in chat.html


def test_back_on_the_first_question_says_so_and_stays(chat: Chat) -> None:
    chat.say("/selfcheck")
    out = chat.press("↩ 上一题")
    assert "已经是第一题" in out
    assert "单位还是个人" in out
    assert chat.running


def test_back_after_skipping_returns_to_the_question_actually_asked(chat: Chat) -> None:
    individual(chat, head="否")
    assert "第6/8题" in chat.press("↩ 上一题")
    assert "所属单位的负责人" in chat.html


def test_cancel_by_button_clears_every_answer(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    out = chat.press("✖ 取消")
    assert "已取消自查" in out
    assert chat.state == {}


def test_cancel_by_text_clears_every_answer(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("个人")
    assert "已取消自查" in chat.say("取消")
    assert chat.state == {}


def test_the_cancel_command_clears_the_questionnaire(chat: Chat) -> None:
    chat.say("/selfcheck")
    assert "已取消自查" in chat.say("/cancel")
    assert chat.state == {}
    assert "没有进行中" in chat.say("/cancel")


def test_the_cancel_command_wraps_one_registered_before(d: Dialogue) -> None:
    full = Dialogue(d.pack)  # every feature, the Q&A one registers /cancel first
    chat = Chat(full)
    chat.state["flow"] = "something-else"
    other = chat.say("/cancel")
    assert "自查" not in other
    chat.say("/selfcheck")
    assert "已取消自查" in chat.say("/cancel")
    assert not chat.running


@pytest.mark.parametrize("typed, hint", [
    ("abc", "没有看懂"), ("-3", "不能是负数"), ("500", "超出合理范围"), ("是", "没有看懂"),
])
def test_bad_numbers_are_refused_with_a_hint_and_the_question_repeated(chat: Chat, typed: str,
                                                                       hint: str) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    chat.press("是")
    out = chat.say(typed)
    assert hint in out
    assert "0 到 200 之间的年数" in out
    assert "第3/12题" in out
    assert chat.last[-1].expects_text


def test_a_yes_no_question_explains_what_it_accepts(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    out = chat.say("也许吧")
    assert "请回答“是”“否”或“不确定”" in out
    assert "第2/12题" in out


def test_the_first_question_explains_what_it_accepts(chat: Chat) -> None:
    chat.say("/selfcheck")
    assert "请选择“单位”或“个人”" in chat.say("公司法人代表")


@pytest.mark.parametrize("typed, hint", [
    ("2021-02-30", "没有看懂日期"), ("去年", "没有看懂日期"), ("2030-01-01", "晚于今天"),
])
def test_bad_award_dates_are_refused_with_a_hint(chat: Chat, typed: str, hint: str) -> None:
    individual(chat)
    out = chat.say(typed)
    assert hint in out
    assert "2021年12月20日" in out
    assert chat.running


def test_a_button_from_an_earlier_question_is_refused_politely(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    old = chat.data("否")
    chat.press("是")
    turn = chat.d.turn(chat.state, today=TODAY)
    before = json.dumps(chat.state, sort_keys=True)
    out = chat.d.on_button(turn, old)
    assert out[0].popup and "已失效" in out[0].html
    assert "没有改变" in out[0].html
    # the press changed nothing: the answer it would have given, the question being asked
    assert json.dumps(chat.state, sort_keys=True) == before
    assert chat.state["selfcheck"]["answers"]["registered_in_cangzhou"] is True
    assert chat.state["selfcheck"]["current"] == "years_in_operation"


def test_pressing_again_after_a_lost_reply_shows_the_question_asked_now(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    yes = chat.data("是")
    chat.d.on_button(chat.d.turn(chat.state, today=TODAY), yes)  # recorded; its reply lost
    out = chat.d.on_button(chat.d.turn(chat.state, today=TODAY), yes)  # the user presses again
    assert [r.popup for r in out] == [True, False]
    assert out[1].replace  # the pressed message becomes the question asked now
    assert "多少年" in out[1].html and "已答" in out[1].html
    assert chat.state["selfcheck"]["answers"]["registered_in_cangzhou"] is True
    assert "years_in_operation" not in chat.state["selfcheck"]["answers"]


def test_a_button_answers_the_question_it_names_never_the_current_one(chat: Chat) -> None:
    chat.say("/selfcheck")
    chat.press("单位")
    yes_to_registered = chat.data("是")  # a button of the question 注册在沧州
    chat.press("是")
    # the same update delivered again (a retried webhook, a lost acknowledgement)
    out = chat.d.on_button(chat.d.turn(chat.state, today=TODAY), yes_to_registered)
    assert out[0].popup
    assert "years_in_operation" not in chat.state["selfcheck"]["answers"]


def test_a_button_of_a_restarted_questionnaire_is_refused(chat: Chat) -> None:
    chat.say("/selfcheck")
    old = chat.data("单位")
    chat.say("/selfcheck")
    out = chat.d.on_button(chat.d.turn(chat.state, today=TODAY), old)
    assert out[0].popup and "已结束或已重新开始" in out[0].html
    assert chat.state["selfcheck"]["answers"] == {}


def test_a_press_advances_the_questionnaire_in_place(chat: Chat) -> None:
    chat.say("/selfcheck")
    out = chat.d.on_button(chat.d.turn(chat.state, today=TODAY), chat.data("单位"))
    assert out[-1].replace  # the next question takes the place of the pressed message
    out = chat.d.on_button(chat.d.turn(chat.state, today=TODAY), _data_of(out, "是"))
    assert out[-1].replace
    assert "已答" in out[-1].html and "是" in out[-1].html  # the answers given so far


def _data_of(replies: list, label: str) -> str:
    return next(b.data for r in replies for row in r.buttons for b in row if b.label == label)


@pytest.mark.parametrize("data", [
    "sc:", "sc:abc", "sc:0:zz", "sc:0:c9", "sc:1:y", "sc:-1:back", "sc:0:none", "sc:99:cancel",
])
def test_forged_button_data_never_raises(chat: Chat, data: str) -> None:
    chat.say("/selfcheck")
    out = chat.d.on_button(chat.d.turn(chat.state, today=TODAY), data)
    assert "已失效" in "\n".join(r.html for r in out)
    assert chat.running


def test_buttons_after_the_result_are_refused_politely(chat: Chat) -> None:
    individual(chat)
    old = chat.data("没有")
    chat.press("没有")
    out = chat.d.on_button(chat.d.turn(chat.state, today=TODAY), old)
    assert "自查已结束或已取消" in out[0].html
    assert "已重新开始" not in out[0].html


def test_the_result_offers_to_start_again(chat: Chat) -> None:
    individual(chat)
    chat.press("没有")
    assert "单位还是个人" in chat.press("重新自查")


def test_starting_again_midway_clears_the_earlier_answers(chat: Chat) -> None:
    individual(chat)
    out = chat.say("/selfcheck")
    assert "已重新开始自查" in out
    assert chat.state["selfcheck"]["answers"] == {}


def test_free_text_after_the_questionnaire_is_not_taken_as_an_answer(chat: Chat) -> None:
    individual(chat)
    chat.press("没有")
    assert "暂时无法回答" in chat.say("是")  # no Q&A feature here: the plain fallback


def test_a_corrupted_state_is_dropped_not_crashed_on(chat: Chat) -> None:
    chat.state.update({"flow": "selfcheck", "selfcheck": {"answers": "oops"}})
    chat.say("是")
    assert "selfcheck" not in chat.state or chat.state.get("flow") != "selfcheck"
    chat.state.update({"flow": "selfcheck", "selfcheck": {"answers": {}, "history": [],
                                                           "current": "gone", "nonce": "abc"}})
    assert "已结束或已取消" in chat.say("是")
    assert not chat.running


# -- the parsers ----------------------------------------------------------------------------
@pytest.mark.parametrize("typed, years", [
    ("5", 5), ("5.5", 5.5), ("５", 5), ("5年", 5), ("5 年", 5), ("五", 5), ("五年", 5),
    ("十二", 12), ("五年半", 5.5), ("半年", 0.5), ("0", 0), ("约6年", 6), ("7年多", 7),
])
def test_years_can_be_typed_in_arabic_or_chinese_numerals(typed: str, years: float) -> None:
    assert parse_years(typed, 200) == years


@pytest.mark.parametrize("typed", ["abc", "-3", "500", "", "nan", "inf", "1e3", "五百"])
def test_nonsense_years_are_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="年数"):
        parse_years(typed, 200)


@pytest.mark.parametrize("typed", ["2021-12-20", "2021年12月20日", "2021/12/20", "2021.12.20",
                                   "２０２１年１２月２０日", "2021年12月20号"])
def test_award_dates_can_be_typed_in_common_forms(typed: str) -> None:
    assert parse_date(typed, TODAY) == dt.date(2021, 12, 20)


def test_every_question_of_the_pack_can_be_reached(d: Dialogue) -> None:
    ids = {q.id for q in load_rules(d.pack).questions}
    reached: set[str] = set()
    for kind in ("单位", "个人"):
        chat = Chat(d)
        chat.say("/selfcheck")
        reached.add(chat.state["selfcheck"]["current"])  # type: ignore[index]
        chat.press(kind)
        while chat.running:
            reached.add(chat.state["selfcheck"]["current"])  # type: ignore[index]
            if chat.last[-1].expects_text and "日期" in chat.html and kind == "个人":
                chat.press("不确定")  # not sure whether ever awarded: the other wording
            elif chat.last[-1].expects_text:
                chat.say("2010-01-01" if "日期" in chat.html else "6")
            else:
                chat.press("是")
    assert reached == ids
