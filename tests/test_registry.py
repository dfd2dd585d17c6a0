from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlmodel import select

from bot import registry
from bot.registry import BindError, BindLocked, RegistryError, RosterError
from bot.storage.models import BindAttempt, Binding, BotState, ReminderSent, Subscriber, Winner
from knowledge.pack import load_pack

PACK = load_pack()
NOW = dt.datetime(2024, 3, 1, 2, 0, tzinfo=dt.UTC)
HEADER = "名称,奖项,年度,认定日期,文号,备注,再次获奖\n"
ROSTER = HEADER + ("沧州甲公司,组织奖,2021,2021-12-20,沧政字〔2021〕1号,张三 13800000000,否\n"
                   "李四,个人奖,2021,2021/12/20,,,\n"
                   "沧州乙公司,组织奖,2020,2020年12月18日,,,是\n")


def do_import(sessions, data: bytes | str, filename: str = "roster.csv"):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with sessions() as s:
        return registry.import_bytes(s, data, filename, PACK, NOW)


def names(sessions) -> list[str]:
    with sessions() as s:
        return sorted(w.name for w in s.exec(select(Winner)))


def test_a_roster_in_utf8_is_imported_with_valid_until_computed(sessions):
    report = do_import(sessions, ROSTER)
    assert (report.added, report.updated, report.unchanged) == (3, 0, 0)
    with sessions() as s:
        w = registry.find_winner(s, "沧州甲公司")
        assert (w.kind, w.award_year, w.valid_until, w.doc_number) == (
            "organization", 2021, dt.date(2025, 12, 20), "沧政字〔2021〕1号")
        assert registry.find_winner(s, "沧州乙公司").repeat_award is True


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_a_roster_saved_by_excel_with_bom_or_gbk_reads_the_same(sessions, encoding):
    do_import(sessions, ROSTER.encode(encoding))
    assert names(sessions) == ["李四", "沧州乙公司", "沧州甲公司"]


def test_an_xlsx_roster_with_real_dates_is_imported(sessions):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["名称", "奖项", "年度", "认定日期", "文号", "备注", "再次获奖"])
    ws.append(["沧州丙公司", "组织奖", 2022, dt.datetime(2022, 12, 1), None, None, None])
    ws.append(["王五", "个人奖", 2022.0, "2022年12月1日", None, None, "否"])
    buf = io.BytesIO()
    wb.save(buf)
    report = do_import(sessions, buf.getvalue(), "名录.xlsx")
    assert report.added == 2
    with sessions() as s:
        assert registry.find_winner(s, "王五").award_date == dt.date(2022, 12, 1)


def test_importing_the_same_file_twice_changes_nothing(sessions):
    do_import(sessions, ROSTER)
    report = do_import(sessions, ROSTER)
    assert (report.added, report.updated, report.unchanged) == (0, 0, 3)


def test_a_changed_row_updates_the_existing_award_instead_of_adding_one(sessions):
    do_import(sessions, ROSTER)
    report = do_import(sessions, ROSTER.replace("张三 13800000000", "王经理"))
    assert (report.added, report.updated) == (0, 1)


def test_a_bad_row_names_its_line_and_nothing_from_the_file_is_written(sessions):
    bad = ROSTER + "沧州丁公司,组织奖,2021,2021-02-30,,,\n"
    with pytest.raises(RosterError, match="第5行"):
        do_import(sessions, bad)
    assert names(sessions) == []


@pytest.mark.parametrize(("row", "message"), [
    ("沧州丁公司,金奖,2021,2021-12-20,,,", "组织奖 或 个人奖"),
    (",组织奖,2021,2021-12-20,,,", "名称为空"),
    ("沧州丁公司,组织奖,21,2021-12-20,,,", "四位数字"),
    ("沧州丁公司,组织奖,2021,2021-12-20,,,也许", "是 或 否"),
    ("=HYPERLINK(\"http://x\"),组织奖,2021,2021-12-20,,,", "公式"),
])
def test_each_kind_of_bad_cell_is_explained_in_chinese(sessions, row, message):
    with pytest.raises(RosterError, match=message):
        do_import(sessions, HEADER + row + "\n")


def test_a_header_without_required_columns_is_refused(sessions):
    with pytest.raises(RosterError, match="缺少列：认定日期"):
        do_import(sessions, "名称,奖项\n甲,组织奖\n")


def test_two_different_rows_for_the_same_award_are_refused(sessions):
    with pytest.raises(RosterError, match="第3行：与第2行"):
        do_import(sessions, HEADER + "甲,组织奖,2021,2021-12-20,,,\n甲,组织奖,2021,2021-12-21,,,\n")


def test_export_defuses_formula_cells_and_imports_back_unchanged(sessions):
    do_import(sessions, HEADER + "甲公司,组织奖,2021,2021-12-20,,=1+1,\n")
    with sessions() as s:
        text = registry.export_csv(registry.list_winners(s))
    assert ",'=1+1," in text
    report = do_import(sessions, text.encode("utf-8-sig"))
    assert (report.added, report.unchanged) == (0, 1)
    with sessions() as s:
        assert registry.find_winner(s, "甲公司").notes == "=1+1"


def test_more_awards_than_the_quota_warn_citing_article_4_but_repeat_awards_do_not_count(
        sessions):
    rows = [f"公司{i},组织奖,2021,2021-12-20,,," for i in range(7)]
    rows.append("复评公司,组织奖,2021,2021-12-20,,,是")
    report = do_import(sessions, HEADER + "\n".join(rows) + "\n")
    assert report.warnings == []
    report = do_import(sessions, HEADER + "公司7,组织奖,2021,2021-12-20,,,\n")
    assert len(report.warnings) == 1
    assert "第四条" in report.warnings[0] and "8 个" in report.warnings[0]
    assert report.added == 1  # a warning, not a refusal


def test_a_revoked_award_records_date_and_reason(sessions):
    do_import(sessions, ROSTER)
    with sessions() as s:
        registry.revoke(s, "李四", "第二十四条（四）弄虚作假", dt.date(2023, 1, 5), NOW)
    with sessions() as s:
        w = registry.find_winner(s, "李四")
        assert (w.status, w.revoked_on, w.revoked_reason) == (
            "revoked", dt.date(2023, 1, 5), "第二十四条（四）弄虚作假")
        with pytest.raises(RegistryError, match="已于"):
            registry.revoke(s, "李四", "again", dt.date(2023, 1, 6), NOW)


@pytest.mark.parametrize("on, message", [
    (dt.date(2021, 12, 19), "早于认定日期"),  # before the award
    (dt.date(2025, 12, 21), "在有效期内"),  # the day after its validity ended
])
def test_a_revocation_outside_the_validity_is_refused(sessions, on, message):
    do_import(sessions, ROSTER)
    with sessions() as s:
        with pytest.raises(RegistryError, match=message):
            registry.revoke(s, "沧州甲公司", "第二十四条（一）", on, NOW)
        assert registry.find_winner(s, "沧州甲公司").status == "active"


@pytest.mark.parametrize("on", [dt.date(2021, 12, 20), dt.date(2025, 12, 20)])
def test_a_revocation_on_the_award_day_or_the_last_valid_day_is_accepted(sessions, on):
    do_import(sessions, ROSTER)
    with sessions() as s:
        assert registry.revoke(s, "沧州甲公司", "第二十四条（一）", on, NOW).status == "revoked"


def test_active_means_currently_valid_and_a_separate_filter_keeps_the_unrevoked(sessions):
    do_import(sessions, ROSTER + "沧州丁公司,组织奖,2016,2016-12-20,,,\n")
    with sessions() as s:
        registry.revoke(s, "李四", "x", dt.date(2023, 1, 5), NOW)
        today = dt.date(2024, 12, 19)  # 沧州乙公司 (2020-12-18) ended 2024-12-18
        active = [w.name for w in registry.list_winners(s, valid_on=today)]
        unrevoked = [w.name for w in registry.list_winners(s, include_revoked=False)]
    assert active == ["沧州甲公司"]
    assert sorted(unrevoked) == ["沧州丁公司", "沧州乙公司", "沧州甲公司"]


def test_a_second_award_while_the_first_is_valid_warns_citing_article_17(sessions):
    report = do_import(sessions, HEADER + "沧州甲公司,组织奖,2019,2019-12-20,,,\n"
                       "沧州甲公司,组织奖,2021,2021-12-20,,,是\n")
    assert report.added == 2
    [warning] = report.warnings
    assert "2019年度奖项当时仍在有效期内（至 2023-12-20）" in warning and "第十七条" in warning


def test_a_repeat_award_not_marked_as_such_warns_about_prize_money(sessions):
    report = do_import(sessions, HEADER + "李四,个人奖,2015,2015-12-20,,,\n"
                       "李四,个人奖,2021,2021-12-20,,,\n")
    assert len(report.warnings) == 1
    assert "未标为再次获奖" in report.warnings[0] and "不再给予物质奖励" in report.warnings[0]
    report = do_import(sessions, HEADER + "李四,个人奖,2015,2015-12-20,,,\n"
                       "李四,个人奖,2021,2021-12-20,,,是\n")
    assert report.warnings == []


def test_an_award_after_a_revoked_one_warns_without_a_date(sessions):
    do_import(sessions, HEADER + "李四,个人奖,2015,2015-12-20,,,\n")
    with sessions() as s:
        registry.revoke(s, "李四", "第二十四条（四）", dt.date(2016, 1, 5), NOW)
    report = do_import(sessions, HEADER + "李四,个人奖,2021,2021-12-20,,,是\n")
    [warning] = report.warnings
    assert "今后不得申报" in warning
    assert "2016-01-05" not in warning and "-" not in warning.split("今后不得申报")[1]


@pytest.mark.parametrize("row", ["甲公司,组织奖,,1900-01-01,,,", "甲公司,组织奖,,2150-01-01,,,"])
def test_an_award_date_out_of_range_is_refused_with_its_line(sessions, row):
    with pytest.raises(RosterError, match="第2行.*超出范围"):
        do_import(sessions, HEADER + row + "\n")


def test_revoking_an_unknown_name_says_so(sessions):
    with sessions() as s, pytest.raises(RegistryError, match="名录中没有"):
        registry.revoke(s, "不存在", "x", dt.date(2023, 1, 5), NOW)


def test_expiring_lists_unrevoked_awards_ending_within_the_window(sessions):
    do_import(sessions, ROSTER)
    with sessions() as s:
        registry.revoke(s, "李四", "x", dt.date(2023, 1, 5), NOW)
        got = registry.expiring(s, dt.date(2025, 7, 1), 180)
        assert [w.name for w in got] == ["沧州甲公司"]
        assert registry.expiring(s, dt.date(2025, 12, 21), 180) == []


def issue(sessions, name="沧州甲公司", now=NOW):
    with sessions() as s:
        return registry.issue_code(s, name, now, 30)[0]


def test_a_bind_code_binds_once_and_is_stored_only_hashed(sessions):
    do_import(sessions, ROSTER)
    code = issue(sessions)
    with sessions() as s:
        from bot.storage.models import BindCode

        stored = s.exec(select(BindCode)).one()
        assert code.replace("-", "") not in stored.code_hash
        w = registry.bind(s, "1001", code.lower(), NOW)
        assert w.name == "沧州甲公司"
        assert [x.name for x in registry.bound_winners(s, "1001")] == ["沧州甲公司"]
        with pytest.raises(BindError, match="已经用过"):
            registry.bind(s, "1002", code, NOW)


def test_a_bind_code_expires_after_its_days(sessions):
    do_import(sessions, ROSTER)
    code = issue(sessions)
    with sessions() as s, pytest.raises(BindError, match="已过期"):
        registry.bind(s, "1001", code, NOW + dt.timedelta(days=30))


def test_five_wrong_codes_from_one_chat_lock_binding_for_an_hour(sessions):
    do_import(sessions, ROSTER)
    code = issue(sessions)
    with sessions() as s:
        for i in range(5):
            with pytest.raises(BindError, match="不正确"):
                registry.bind(s, "666", "WRONG-CODE-0000", NOW + dt.timedelta(minutes=i))
        with pytest.raises(BindLocked):
            registry.bind(s, "666", code, NOW + dt.timedelta(minutes=30))
        # another chat is not affected
        registry.bind(s, "777", issue(sessions), NOW + dt.timedelta(minutes=30))
        code = issue(sessions)
        assert registry.bind(s, "666", code, NOW + dt.timedelta(minutes=65)).name == "沧州甲公司"
        assert s.exec(select(BindAttempt)).all() == []


def test_forget_deletes_every_row_about_the_chat_and_nothing_else(sessions):
    do_import(sessions, ROSTER)
    with sessions() as s:
        registry.bind(s, "1001", issue(sessions), NOW)
        registry.bind(s, "2002", issue(sessions), NOW)
        w = registry.find_winner(s, "沧州甲公司")
        s.add(ReminderSent(winner_id=w.id, chat_id="1001", milestone="d180"))
        s.add(Subscriber(chat_id="1001"))
        # every member's conversation in the chat goes; another chat's (10010 shares the
        # prefix) and another chat's member in it stay
        for key in ("1001:1001", "1001:42", "10010:10010", "2002:1001"):
            s.add(BotState(namespace="conv", key=key, data="{}"))
        s.add(BindAttempt(chat_id="1001", attempted_at=NOW))
        s.commit()
        assert registry.forget(s, "1001") == 6
        assert [b.chat_id for b in s.exec(select(Binding))] == ["2002"]
        assert s.exec(select(ReminderSent)).all() == []
        assert sorted(r.key for r in s.exec(select(BotState))) == ["10010:10010", "2002:1001"]


def test_unbind_stops_the_binding(sessions):
    do_import(sessions, ROSTER)
    with sessions() as s:
        registry.bind(s, "1001", issue(sessions), NOW)
        assert registry.unbind(s, "1001") == 1
        assert registry.bound_winners(s, "1001") == []


def test_verify_finds_a_name_fuzzily_and_tells_its_state(sessions):
    do_import(sessions, ROSTER)
    with sessions() as s:
        registry.revoke(s, "李四", "x", dt.date(2023, 1, 5), NOW)
        [m] = registry.verify(s, "沧州甲公司", dt.date(2024, 1, 1), PACK)[:1]
        assert (m.winner.name, m.validity.state) == ("沧州甲公司", "valid")
        fuzzy = registry.verify(s, "沧州市甲公司", dt.date(2024, 1, 1), PACK)
        assert fuzzy and fuzzy[0].winner.name == "沧州甲公司"
        assert registry.verify(s, "李四", dt.date(2024, 1, 1), PACK)[0].validity.state == "revoked"
        assert registry.verify(s, "完全无关的名字", dt.date(2024, 1, 1), PACK) == []
