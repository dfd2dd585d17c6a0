"""Every message that states law, rendered for an award in every state, and checked: a message
that carries 第二十四条's ban (今后不得申报) never also carries a date, a next step or priority.

The states: valid, expiring, expired, revoked, a repeat award (and a revoked repeat award), a
winner with one revoked and one valid award, and someone never awarded. The surfaces: /status,
/bind, /verify, /usage, staff /winners and /revoke, every reminder milestone, the self-check in
chat and on the command line, ``qabot validity`` and ``qabot check-usage``, roster warnings,
and the notice that the measures were revised. Every claim of the register must be rendered
somewhere in this matrix, so a new template cannot escape the check.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import registry, reminders
from bot.dialogue import Dialogue
from bot.services import Services
from bot.settings import load_settings
from knowledge.claims import Claims, load_claims
from knowledge.pack import load_pack

PACK = load_pack()
TODAY = dt.date(2025, 10, 1)
STAFF = "900001"
ROSTER = """名称,奖项,年度,认定日期,文号,备注,再次获奖
有效甲公司,组织奖,2023,2023-12-20,,,
即将乙公司,组织奖,2021,2021-12-20,,,
期满丙公司,组织奖,2020,2020-06-01,,,
撤销丁公司,组织奖,2022,2022-12-20,,,
再次戊公司,组织奖,2017,2017-12-20,,,
再次戊公司,组织奖,2022,2022-12-20,,,是
再次己公司,组织奖,2016,2016-12-20,,,
再次己公司,组织奖,2022,2022-12-20,,,是
双奖庚公司,组织奖,2016,2016-12-20,,,
双奖庚公司,组织奖,2022,2022-12-20,,,是
李四,个人奖,2023,2023-12-20,,,
三奖壬公司,组织奖,2012,2012-12-20,,,
三奖壬公司,组织奖,2019,2019-12-20,,,是
新规癸公司,组织奖,2025,2025-08-01,,,
"""
# a second file: eight organisations in one year (第四条), a repeat award while the first was
# valid and not marked as a repeat (第十七条)
MORE = "名称,奖项,年度,认定日期\n" + "".join(
    f"名额{i}公司,组织奖,2024,2024-12-20\n" for i in range(8)) + (
    "重复辛公司,组织奖,2019,2019-12-20\n重复辛公司,组织奖,2021,2021-12-20\n"
    "命令行子公司,组织奖,2023,2023-12-20\n")
REVOKE = [("撤销丁公司", 2022, dt.date(2023, 5, 1)), ("双奖庚公司", 2016, dt.date(2018, 3, 1)),
          ("三奖壬公司", 2012, dt.date(2013, 1, 1))]
STATES = {"valid": "有效甲公司", "expiring": "即将乙公司", "expired": "期满丙公司",
          "revoked": "撤销丁公司", "repeat": "再次戊公司", "double": "双奖庚公司",
          "barred expired": "三奖壬公司", "individual": "李四", "after revision": "新规癸公司"}

BAN = re.compile(r"不得申报")
DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日")
NEXT = ("起可", "再次申报", "重新申报", "下一步", "申报流程", "优先", "目前", "可以申报", "第十条")


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def check_message(where: str, text: str) -> None:
    text = plain(text)
    if BAN.search(text):
        assert DATE.search(text) is None, (where, text)
        for word in NEXT:
            assert word not in text, (where, word, text)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Render every surface in every state once; record which claims were rendered."""
    seen: set[str] = set()
    original = Claims.text

    def recording(self: Claims, claim_id: str, **values: Any) -> str:
        seen.add(claim_id)
        return original(self, claim_id, **values)

    Claims.text = recording  # type: ignore[method-assign]
    folder: Path = tmp_path_factory.mktemp("ban")
    cfg = load_settings(_env_file=None, DATABASE_URL=f"sqlite:///{folder / 'b.sqlite3'}",
                        ADMIN_IDS=STAFF)
    svc = Services.from_settings(cfg)
    messages: list[tuple[str, str]] = []
    try:
        report = svc.import_roster_bytes(ROSTER.encode(), "r.csv")
        messages += [("import warning", w) for w in report.warnings]
        with svc.session() as s:
            for name, year, on in REVOKE:
                registry.revoke(s, name, "第二十四条（一）", on, svc.now(), year, PACK)
        report = svc.import_roster_bytes(ROSTER.encode(), "r.csv")  # warnings after revoking
        messages += [("import warning", w) for w in report.warnings]
        report = svc.import_roster_bytes(MORE.encode(), "more.csv")
        messages += [("import warning", w) for w in report.warnings]
        with svc.session() as s:
            for on in (dt.date(2023, 12, 19), dt.date(2027, 12, 21)):  # before, after validity
                try:
                    registry.revoke(s, "有效甲公司", "x", on, svc.now(), None, PACK)
                except registry.RegistryError as e:
                    messages.append(("revoke refused", str(e)))
        d = Dialogue(PACK, services=svc)

        def say(text: str, chat: str, staff: bool = False, state: dict | None = None) -> list:
            st = state if state is not None else {}
            turn = d.turn(st, today=TODAY, chat_id=chat, user_id=STAFF if staff else chat,
                          is_staff=staff)
            return d.on_text(turn, text)

        def press(data: str, chat: str, state: dict, staff: bool = False) -> list:
            turn = d.turn(state, today=TODAY, chat_id=chat, user_id=STAFF if staff else chat,
                          is_staff=staff)
            return d.on_button(turn, data)

        for state_name, name in STATES.items():
            chat = f"chat-{state_name}"
            with svc.session() as s:
                awards = [w for w in registry.list_winners(s) if w.name == name]
            for w in awards:  # bind every award of the winner to its chat
                if w.status == "revoked":
                    with svc.session() as s:
                        from bot.storage.models import Binding
                        s.add(Binding(winner_id=w.id, chat_id=chat))
                        s.commit()
                    continue
                code, _ = svc.issue_code(name, w.award_year)
                messages += [(f"/bind {state_name}", r.html) for r in say(f"/bind {code}", chat)]
            for command in ("/status", f"/verify {name}", "/usage 荣获沧州市政府质量奖",
                            "/usage 荣获2022年度沧州市政府质量奖",
                            "/usage 本款产品荣获2023年度沧州市政府质量奖，欢迎订购",
                            "/usage 集团旗下企业荣获2021年度市政府质量奖",
                            "/usage 荣获2019年度河北省政府质量奖和质量奖"):
                for r in say(command, chat):
                    messages.append((f"{command} {state_name}", r.html))
            for r in say(f"/winners {name}", chat, staff=True):
                messages.append((f"/winners {state_name}", r.html))
            latest = max(w.award_year for w in awards)
            st: dict = {}
            prompt = say(f"/revoke {name} {latest} 弄虚作假", chat, staff=True, state=st)
            for r in prompt:
                messages.append((f"/revoke {state_name}", r.html))
            if "pending_revoke" in st:
                confirm = next(b.data for r in prompt for row in r.buttons for b in row
                               if b.label == "确认撤销")
                for r in press(confirm, chat, st, staff=True):
                    messages.append((f"/revoke confirmed {state_name}", r.html))

        # questions that state facts (the verdict before the quote), in every state
        for question in ("奖项被撤销了还能申报吗", "我们的奖被撤销过，什么时候能重新申报",
                         "2021年12月20日拿的奖现在还能用吗", "2020年6月1日拿的奖现在还能用吗",
                         "2019年获的奖什么时候能再报", "我们2023年3月获奖，现在能再申报吗",
                         "2021年获奖的现在还能用吗", "公司成立四年半能报吗",
                         "2024年获奖，2026年的展会上还能用这个称号吗",
                         "2020年获奖，2026年的画册上还能印这个荣誉吗",
                         "奖项被撤销了，宣传册上还能写这个荣誉吗"):
            for r in say(question, "chat-question"):
                messages.append((f"question {question}", r.html))
        for r in say("/verify 完全不存在的名字", "chat-none"):
            messages.append(("/verify none", r.html))
        for r in say("/status", "chat-none"):
            messages.append(("/status never awarded", r.html))
        messages.append(("/usage without a binding", plain("\n".join(
            r.html for r in say("/usage 荣获2021年度沧州市政府质量奖", "chat-none")))))

        # the staff command line: a revocation and what it prints
        import contextlib
        import io
        import os

        from bot.cli import main

        out = io.StringIO()
        old = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = cfg.db_url
        try:
            with contextlib.redirect_stdout(out):
                assert main(["winners", "revoke", "命令行子公司", "--reason", "第二十四条（五）",
                             "--date", "2024-01-05"]) == 0
        finally:
            if old is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = old
        messages.append(("qabot winners revoke", out.getvalue()))

        # reminders: every milestone of every unrevoked award, barred or not
        with svc.session() as s:
            winners = registry.list_winners(s)
            barred = registry.barred_keys(s, [w.name_key for w in winners])
        for w in winners:
            if w.status == "revoked":
                continue
            later = max((o.valid_until for o in winners if o.status != "revoked"
                         and (o.name_key, o.kind) == (w.name_key, w.kind)
                         and o.valid_until > w.valid_until), default=None)
            for key, days in reminders.MILESTONES:
                r = reminders.Reminder(w.id or 0, "1", key, w.name, w.kind, w.award_year,
                                       w.valid_until, w.name_key in barred, later)
                day = w.valid_until - dt.timedelta(days=days)
                messages.append((f"reminder {key} {w.name}", reminders.render(r, PACK, day)))
        with svc.session() as s:  # a revoked winner is never planned
            for day in (dt.date(2026, 6, 23), dt.date(2026, 12, 21), dt.date(2027, 6, 1)):
                assert all(r.name not in ("撤销丁公司",) for r in reminders.plan(s, day))

        # the self-check in chat and on the command line, every kind of previous award
        from bot.commands.selfcheck import render_text
        from bot.features.selfcheck import render_result
        from knowledge.eligibility import evaluate, load_rules, validate_facts

        base = {"applicant_type": "organization", "today": "2025-10-01",
                "registered_in_cangzhou": True, "years_in_operation": 8,
                "on_abnormal_operations_list": False,
                "on_serious_violation_dishonesty_list": False, "advanced_quality_methods": True,
                "outstanding_results": True, "lawful_and_compliant": True,
                "bad_credit_last_3_years": False, "major_accident_last_3_years": False,
                "quality_innovation": True}
        history = {
            "never awarded": {"previously_awarded": False},
            "not sure": {"previously_awarded": None},
            "valid": {"previous_award_date": "2023-12-20", "previously_revoked": False},
            "expiring": {"previous_award_date": "2021-12-20", "previously_revoked": False},
            "expired": {"previous_award_date": "2020-06-01", "previously_revoked": False},
            "date unknown": {"previously_awarded": True, "previously_revoked": False},
            "revocation unknown": {"previous_award_date": "2015-01-01"},
            "revoked inside": {"previous_award_date": "2022-12-20", "previously_revoked": True},
            "revoked long ago": {"previous_award_date": "2012-12-20", "previously_revoked": True},
            "revoked, date unknown": {"previously_awarded": True, "previously_revoked": True},
            "failing 7.1": {"previous_award_date": "2020-06-01", "previously_revoked": False,
                            "years_in_operation": 2},
        }
        rules = load_rules(PACK)
        for label, extra in history.items():
            for kind in ("organization", "individual"):
                facts = {**base, **extra, "applicant_type": kind}
                if kind == "individual":
                    facts = {k: v for k, v in facts.items() if k in (
                        "applicant_type", "today", "previously_awarded", "previous_award_date",
                        "previously_revoked")}
                    facts.update(law_abiding=True, years_in_quality_work=8,
                                 quality_awareness_and_reputation=True,
                                 outstanding_contribution=True, is_unit_head=False)
                v = evaluate(validate_facts(facts), PACK)
                messages.append((f"selfcheck chat {label} {kind}", render_result(v, rules,
                                                                                pack=PACK)))
                messages.append((f"selfcheck cli {label} {kind}", render_text(v, PACK)))
                detail = v.to_json(detail=True)  # what a 预审单 prints: shown, note, summary
                messages.append((f"selfcheck detail {label} {kind}", "\n".join(
                    [*(f"{c['shown']} {c['note']}" for c in detail["clauses"]
                       if c["required"] or not v.barred), detail["summary"],
                     json.dumps(detail["reapply_from"])])))

        # the command line: validity and check-usage in every state
        from bot.commands.validity import render_text as validity_text
        from knowledge.usage import check_usage
        from knowledge.validity import assess_for

        claims = load_claims(PACK)
        for label, (award, revoked) in {
            "valid": (dt.date(2023, 12, 20), False), "expiring": (dt.date(2021, 12, 20), False),
            "expired": (dt.date(2020, 6, 1), False), "revoked": (dt.date(2022, 12, 20), True),
        }.items():
            v = assess_for(PACK, award, TODAY, revoked=revoked)
            messages.append((f"qabot validity {label}", "\n".join(validity_text(v, PACK,
                                                                                   claims))))
            for text in ("荣获沧州市政府质量奖", f"荣获{award.year}年度沧州市政府质量奖",
                         "XX牌管材，沧州市政府质量奖企业出品", "荣获2019年度市质量奖"):
                r = check_usage(text, PACK, award_date=award, today=TODAY, revoked=revoked)
                messages.append((f"check-usage {label}", r.reply))
        # no award known, and words that leave the purpose open
        r = check_usage("欢迎来电咨询，荣获2021年度沧州市政府质量奖", PACK, today=TODAY)
        messages.append(("check-usage no award, purpose unclear", r.reply))

        # the measures were revised: the notice everywhere it must show
        svc.set_supersession("沧政字〔2025〕1号", dt.date(2025, 7, 1))
        for state_name in STATES:
            for command in ("/status", "/article 24", "/help"):
                for r in say(command, f"chat-{state_name}"):
                    messages.append((f"{command} revised {state_name}", r.html))
        for answers in (["没有"], ["2022-12-20", "是"]):  # a self-check result, clean and barred
            state: dict = {}
            last = say("/selfcheck 个人", "chat-selfcheck", state=state)
            for answer in ["是", "8", "是", "是", "否", *answers]:
                last = say(answer, "chat-selfcheck", state=state)
            messages += [("selfcheck revised", r.html) for r in last]
        import bot.features.pack_status  # noqa: F401

        yield {"messages": messages, "seen": set(seen), "services": svc, "dialogue": d,
               "say": say}
    finally:
        Claims.text = original  # type: ignore[method-assign]
        svc.close()


def test_no_message_pairs_the_ban_with_a_date_a_next_step_or_priority(rendered):
    messages = rendered["messages"]
    assert len(messages) > 200
    bans = [m for m in messages if BAN.search(plain(m[1]))]
    assert len(bans) >= 20  # the ban is stated, in many places
    for where, text in messages:
        check_message(where, text)


def test_every_claim_of_the_register_was_rendered_in_the_matrix(rendered):
    ids = {c.id for c in load_claims(PACK)}
    missing = sorted(ids - rendered["seen"])
    assert not missing, ", ".join(missing)


def test_a_barred_winners_valid_award_shows_its_dates_but_no_way_back(rendered):
    [revoked, valid] = sorted((plain(t) for w, t in rendered["messages"]
                               if w == "/status double"), key=lambda t: "撤销" not in t)
    assert "今后不得申报" in revoked and "有效期至" not in revoked
    assert "有效期至 2026-12-20" in valid and "再次申报" not in valid


def test_a_repeat_award_is_revoked_without_claiming_prize_money_back(rendered):
    [done] = [plain(t) for w, t in rendered["messages"] if w == "/revoke confirmed repeat"]
    assert "无需追缴奖金" in done and "追缴奖金，" not in done
    [first] = [plain(t) for w, t in rendered["messages"] if w == "/revoke confirmed valid"]
    assert "追缴奖金" in first and "无需" not in first


def test_binding_an_expired_award_promises_no_reminder(rendered):
    [bound] = [plain(t) for w, t in rendered["messages"] if w == "/bind expired"]
    assert "不再发送有效期提醒" in bound and "会按时提醒" not in bound
    [valid] = [plain(t) for w, t in rendered["messages"] if w == "/bind valid"]
    assert "会按时提醒" in valid


def test_status_of_a_valid_award_names_the_basis_and_the_day_it_may_apply_again(rendered):
    [status] = [plain(t) for w, t in rendered["messages"] if w == "/status valid"]
    assert "有效期至 2027-12-20（第四条，期间按《民法典》第二百零一条、第二百零二条计算）" in status
    assert "即 2027-12-21 起" in status


def test_the_revised_measures_notice_shows_on_article_status_and_selfcheck_every_time(rendered):
    for state_name in STATES:
        for command in ("/status", "/article 24"):
            text = [plain(t) for w, t in rendered["messages"]
                    if w == f"{command} revised {state_name}"][0]
            assert "本办法已于2025-07-01修订（沧政字〔2025〕1号），以下依据沧政字〔2020〕14号" in text
    clean, barred = [plain(t) for w, t in rendered["messages"] if w == "selfcheck revised"]
    assert "本办法已于2025-07-01修订（沧政字〔2025〕1号）" in clean and "可以申报" in clean
    assert "本办法已修订（沧政字〔2025〕1号）" in barred and "今后不得申报" in barred
