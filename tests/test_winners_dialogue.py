from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue import Dialogue
from bot.services import Services
from bot.settings import load_settings
from knowledge.pack import load_pack

PACK = load_pack()
TODAY = dt.date(2024, 6, 1)
ROSTER = ("名称,奖项,年度,认定日期,文号,备注,再次获奖\n"
          "沧州甲公司,组织奖,2021,2021-12-20,,,\n"
          "李四,个人奖,2020,2020-12-18,,,\n").encode()


@pytest.fixture
def services(engine, sessions):
    svc = Services(load_settings(), engine, sessions, PACK)
    svc.import_roster_bytes(ROSTER, "r.csv")
    return svc


@pytest.fixture
def dialogue(services):
    return Dialogue(PACK, services=services, features=["bot.features.winners"])


def say(d: Dialogue, text: str, chat: str = "1001", staff: bool = False, state=None) -> str:
    turn = d.turn(state if state is not None else {}, today=TODAY, chat_id=chat,
                  is_staff=staff)
    return "\n".join(r.html for r in d.on_text(turn, text))


def test_a_winner_binds_with_the_code_staff_issued_and_sees_the_status(dialogue):
    issued = say(dialogue, "/code 沧州甲公司", staff=True)
    code = issued.split("<code>")[1].split("</code>")[0]
    assert "绑定成功" in say(dialogue, f"/bind {code}")
    status = say(dialogue, "/status")
    assert "沧州甲公司" in status and "2021年度沧州市政府质量奖" in status
    # 《民法典》第二百零一条、第二百零二条: through the same date four years on, the basis named
    assert "有效期至 2025-12-20（第四条，期间按《民法典》第二百零一条、第二百零二条计算）" in status
    assert "有效期满后可再次申报，即 2025-12-21 起（第十七条）" in status


def test_staff_commands_are_refused_to_the_public(dialogue):
    assert "仅限" in say(dialogue, "/code 沧州甲公司")


def test_a_wrong_code_is_answered_in_chinese(dialogue):
    assert "不正确" in say(dialogue, "/bind AAAA-BBBB-CCCC")


def test_status_without_a_binding_explains_how_to_bind(dialogue):
    assert "/bind" in say(dialogue, "/status", chat="9")


def test_verify_tells_the_public_whether_a_name_is_a_current_winner(dialogue):
    assert "是有效期内的获奖者" in say(dialogue, "/verify 沧州甲公司")
    assert "最接近" in say(dialogue, "/verify 沧州甲")
    assert "没有找到" in say(dialogue, "/verify 完全不同的名字")


def test_usage_checks_pasted_text_against_the_bound_award(dialogue, services):
    code, _ = services.issue_code("李四")
    services.bind("1001", code)
    state: dict = {}
    assert "宣传文字" in say(dialogue, "/usage", state=state)
    reply = say(dialogue, "本产品荣获2021年度沧州市政府质量奖", state=state)
    assert "年份写成了 2021" in reply and "产品宣传" in reply and "<blockquote>第二十一条" in reply
    assert "flow" not in state


def test_forget_asks_first_and_then_deletes_everything_about_the_chat(dialogue, services):
    code, _ = services.issue_code("沧州甲公司")
    services.bind("1001", code)
    turn = dialogue.turn({}, today=TODAY, chat_id="1001")
    [ask] = dialogue.on_text(turn, "/forget")
    assert [b.label for b in ask.buttons[0]] == ["确定删除", "取消"]
    [done] = dialogue.on_button(turn, _data(ask, "确定删除"))
    assert "已删除" in done.html and turn.pressed == "remove"  # the prompt's buttons go
    assert services.bound_winners("1001") == []


def test_in_a_group_only_its_admins_or_staff_unbind_or_forget(dialogue, services):
    code, _ = services.issue_code("沧州甲公司")
    services.bind("-100", code)

    def group_turn(state: dict, **kw: object):  # noqa: ANN202
        return dialogue.turn(state, today=TODAY, chat_id="-100", user_id="7", is_group=True,
                             **kw)

    for command in ("/unbind", "/forget"):
        [reply] = dialogue.on_text(group_turn({}), command)
        assert "群管理员" in reply.html
    assert services.bound_winners("-100")
    state: dict = {}
    [ask] = dialogue.on_text(group_turn(state, is_chat_admin=True), "/forget")
    # a member who is no admin (any more) presses the admin's button: nothing is deleted
    [refused] = dialogue.on_button(group_turn(state), _data(ask, "确定删除"))
    assert "群管理员" in refused.html and services.bound_winners("-100")
    assert "解除绑定" in say(dialogue, "/unbind", chat="-100", staff=True)
    assert services.bound_winners("-100") == []


def _data(reply, label: str) -> str:
    return next(b.data for row in reply.buttons for b in row if b.label == label)


def test_without_a_database_the_feature_says_it_needs_one_but_usage_still_works():
    d = Dialogue(PACK, services=None, features=["bot.features.winners"])
    assert "数据库" in say(d, "/status")
    assert "数据库" in say(d, "/verify 沧州甲公司")
    assert "没有注明获奖年份" in say(d, "/usage 荣获沧州市政府质量奖")


def test_staff_list_the_roster_in_chat_with_validity(dialogue):
    out = say(dialogue, "/winners", staff=True)
    assert "获奖名录（2 条）" in out
    assert "沧州甲公司  至 2025-12-20 有效" in out and "李四  至 2024-12-18 有效" in out
    assert "沧州甲" in say(dialogue, "/winners 甲", staff=True)
    assert "没有包含" in say(dialogue, "/winners 不存在", staff=True)
    assert "仅限" in say(dialogue, "/winners")


def _revoke_prompt(dialogue, state: dict, text: str):  # noqa: ANN202
    turn = dialogue.turn(state, today=TODAY, chat_id="1001", user_id="1001", is_staff=True)
    [ask] = dialogue.on_text(turn, text)
    return ask


def _press(dialogue, state: dict, data: str):  # noqa: ANN202
    turn = dialogue.turn(state, today=TODAY, chat_id="1001", user_id="1001", is_staff=True)
    return dialogue.on_button(turn, data), turn


def test_staff_revoke_asks_to_confirm_then_stops_the_award(dialogue, services):
    state: dict = {}
    ask = _revoke_prompt(dialogue, state, "/revoke 沧州甲公司 2021 弄虚作假")
    assert "确认撤销" in ask.buttons[0][0].label and "第二十四条" in ask.html
    assert "沧州甲公司" in ask.html  # the prompt names what it will revoke
    replies, turn = _press(dialogue, state, _data(ask, "确认撤销"))
    assert "已撤销" in "\n".join(r.html for r in replies) and turn.pressed == "remove"
    assert "已撤销" in say(dialogue, "/winners 沧州甲", staff=True)
    assert "已于" in say(dialogue, "/revoke 沧州甲公司 2021 再次", staff=True)


def test_the_first_prompts_confirm_never_revokes_the_second_prompts_award(dialogue):
    state: dict = {}
    first = _revoke_prompt(dialogue, state, "/revoke 沧州甲公司 2021 弄虚作假")
    second = _revoke_prompt(dialogue, state, "/revoke 李四 骗取荣誉")
    [stale], _ = _press(dialogue, state, _data(first, "确认撤销"))
    assert stale.popup and "失效" in stale.html and "没有撤销任何奖项" in stale.html
    assert "已撤销" not in say(dialogue, "/winners", staff=True)
    replies, _ = _press(dialogue, state, _data(second, "确认撤销"))  # the latest one works
    assert "李四" in replies[0].html
    roster = say(dialogue, "/winners", staff=True)
    assert "李四  已撤销" in roster and "沧州甲公司  至" in roster


def test_a_cancelled_or_stale_revoke_changes_nothing(dialogue):
    state: dict = {}
    ask = _revoke_prompt(dialogue, state, "/revoke 李四 骗取荣誉")
    [cancelled], _ = _press(dialogue, state, _data(ask, "取消"))
    assert "已取消" in cancelled.html
    [again], _ = _press(dialogue, state, _data(ask, "确认撤销"))  # pressed after cancelling
    assert again.popup and "失效" in again.html
    assert "已撤销" not in say(dialogue, "/winners 李四", staff=True)


def test_a_revoke_confirm_pressed_by_another_user_changes_nothing(dialogue):
    state: dict = {}
    ask = _revoke_prompt(dialogue, state, "/revoke 李四 骗取荣誉")
    other = dialogue.turn(state, today=TODAY, chat_id="1001", user_id="2002", is_staff=True)
    [refused] = dialogue.on_button(other, _data(ask, "确认撤销"))
    assert refused.popup and "另一位用户" in refused.html
    assert "已撤销" not in say(dialogue, "/winners 李四", staff=True)


def test_revoke_without_a_reason_shows_how_to_use_it(dialogue):
    assert "用法" in say(dialogue, "/revoke 沧州甲公司", staff=True)
    assert "没有" in say(dialogue, "/revoke 不存在的公司 原因", staff=True)


def test_binding_an_expired_award_promises_no_reminder_and_none_is_sent(dialogue, services):
    import asyncio

    from bot import reminders

    code, _ = services.issue_code("李四")  # 2020-12-18: expired on 2024-12-18
    later = dt.date(2025, 1, 10)
    turn = dialogue.turn({}, today=later, chat_id="3003")
    [bound] = dialogue.on_text(turn, f"/bind {code}")
    assert "已于 2024-12-18 届满" in bound.html and "不再发送有效期提醒" in bound.html
    assert "会按时提醒" not in bound.html

    sent: list[str] = []

    async def send(chat_id: str, html: str) -> None:
        sent.append(chat_id)

    asyncio.run(reminders.send_due(send, services.sessions, PACK, later))
    assert "3003" not in sent


def test_usage_with_several_awards_bound_picks_the_award_by_the_year_written(services):
    services.import_roster_bytes("名称,奖项,年度,认定日期,文号,备注,再次获奖\n"
                                 "沧州甲公司,组织奖,2016,2016-12-20,,,\n".encode(), "r.csv")
    for year in (2016, 2021):
        code, _ = services.issue_code("沧州甲公司", year)
        services.bind("4004", code)
    d = Dialogue(PACK, services=services, features=["bot.features.winners"])
    assert "✅" in say(d, "/usage 荣获2021年度沧州市政府质量奖", chat="4004")
    old = say(d, "/usage 荣获2016年度沧州市政府质量奖", chat="4004")
    assert "⚠️" in old and "2020-12-20 期满" in old and "不得继续沿用" in old
    none = say(d, "/usage 荣获2018年度沧州市政府质量奖", chat="4004")
    assert "2016、2021年度" in none
