"""The web chat's API, used as the page (or another front end) uses it, over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web_harness import SECRET, Browser, browser, buttons, html, web_app, web_settings

from bot.services import Services
from handlers.web.render import sanitise
from handlers.web.sessions import Tokens
from knowledge.validity import add_years


@pytest.fixture
def settings(sqlite_url: str):
    return web_settings(sqlite_url)


# -- the dialogue through HTTP -------------------------------------------------------------
def test_the_start_screen_greets_and_offers_hot_questions_and_the_main_jobs(settings):
    with browser(settings) as tab:
        start = tab.start
        assert "质量奖助手" in html(start["replies"])
        assert start["hot_questions"] and all(isinstance(q, str) for q in start["hot_questions"])
        assert "✅ 申报条件自查" in buttons(start["replies"])
        assert start["pack"]["doc_number"] == "沧政字〔2020〕14号"


def test_a_question_is_answered_with_the_quoted_sentence_and_its_article(settings):
    with browser(settings) as tab:
        replies = tab.say("公示期几天")
        assert "<blockquote>" in replies[0]["html"] and "公示期为7天" in replies[0]["html"]
        assert "第十五条" in replies[0]["html"]
        assert "公示期为7天" in replies[0]["text"] and "<" not in replies[0]["text"]
        full = tab.press(buttons(replies)["📄 第十五条全文"])
        assert "第十五条" in html(full) and "<blockquote>" in html(full)


def test_a_question_outside_the_measures_is_declined_plainly(settings):
    with browser(settings) as tab:
        assert "没有涉及这个问题" in html(tab.say("今天天气怎么样"))


def test_article_lookup_search_contents_and_help_work_as_in_telegram(settings):
    with browser(settings) as tab:
        assert "第二十四条" in html(tab.say("/article 24"))
        assert "公示" in html(tab.say("/search 公示"))
        assert "第八章" in html(tab.say("/toc"))
        assert "/selfcheck" in html(tab.say("/help"))
        assert "没有第99条" in html(tab.say("/article 99"))


def _run_selfcheck(tab: Browser, years: str) -> list[dict]:
    replies = tab.say("/selfcheck")
    replies = tab.press(buttons(replies)["单位（组织奖）"])
    answers = iter(["是", years, "否", "是", "是", "是", "否", "否", "否", "没有"])
    for _ in range(20):
        last = replies[-1]
        if last.get("report"):
            return replies
        answer = next(answers)
        choice = buttons([last]).get(answer)
        replies = tab.press(choice) if choice else tab.say(answer)
    raise AssertionError("the self-check never ended")


def test_selfcheck_by_buttons_ends_in_a_verdict_and_a_report_with_the_date_a_clause_is_met(
        settings):
    with browser(settings) as tab:
        replies = _run_selfcheck(tab, "4")
        result = replies[-1]
        assert "不具备申报资格" in result["html"]
        report = result["report"]
        clause = next(c for c in report["clauses"] if c["id"] == "7.1")
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        assert clause["met_from"] == add_years(today, 1).isoformat()
        assert clause["met_from_text"].startswith(f"{add_years(today, 1).isoformat()} 起满足第七条")
        assert {"question": "贵单位从事合法生产经营已有多少年？（要求5年以上，含5年；请直接输入数字，如 6 或 5.5）",
                "answer": "4 年"} in clause["answers"]
        assert report["earliest"] and report["next_steps"]
        # the answers are not kept once the result is shown
        state = tab.client.app.state.chat.states.load(_sid(tab))
        assert "selfcheck" not in state


def test_selfcheck_unknowns_name_a_document_that_would_settle_them(settings):
    with browser(settings) as tab:
        replies = tab.say("/selfcheck")
        replies = tab.press(buttons(replies)["单位（组织奖）"])
        while not replies[-1].get("report"):
            last = buttons([replies[-1]])
            replies = tab.press(last.get("不确定") or last["没有"])
        report = replies[-1]["report"]
        assert report["verdict"] == "uncertain"
        docs = {u["label"]: u["evidence"] for u in report["unknown"]}
        assert "信用报告" in docs["第七条第（四）项"]
        assert all(c["met_from"] is None for c in report["clauses"])


def _sid(tab: Browser) -> str:
    """The state key of the tab's conversation (the session is its own chat and user)."""
    chat = tab.client.app.state.chat.tokens.check(tab.token).chat_id
    return f"{chat}:{chat}"


def test_a_selfcheck_continues_after_the_server_restarts(db_url: str):
    settings = web_settings(db_url)
    with browser(settings) as tab:
        replies = tab.press(buttons(tab.say("/selfcheck"))["单位（组织奖）"])
        tab.press(buttons(replies)["是"])
        token = tab.token
    with browser(settings) as again:  # a new process on the same database
        again.token = token
        again.open()
        assert again.start["resumed"]
        replies = again.say("6")
        assert "第4/" in html(replies)  # the years were taken as the answer to question 3


def test_verify_and_the_honour_use_check_work_on_the_web(settings):
    svc = Services.from_settings(settings)
    svc.import_roster_bytes("名称,奖项,年度,认定日期\n沧州甲公司,组织奖,2023,2023-12-20\n".encode(),
                            "r.csv")
    svc.close()
    with browser(settings) as tab:
        assert "沧州甲公司" in html(tab.say("/verify 沧州甲公司"))
        asked = tab.say("/usage")
        assert asked[-1]["expects_text"]
        checked = html(tab.say("本公司产品荣获沧州市政府质量奖，欢迎订购"))
        assert "第二十一条" in checked


def test_commands_that_need_an_identity_are_explained_not_run(settings):
    with browser(settings) as tab:
        for text in ("/bind ABCD-EFGH-JKLM", "/status", "/subscribe"):
            assert "网页版不记录您的身份" in html(tab.say(text))
        assert "网页版不记录您的身份" in html(tab.press("qa:winner"))
        assert "仅限质量奖办公室工作人员" in html(tab.say("/winners"))


def test_the_start_screen_and_help_offer_only_what_works_on_the_web(settings):
    import re

    from bot.turn import NEEDS_IDENTITY

    with browser(settings) as tab:
        greeting = tab.start["replies"][0]["text"]
        help_ = tab.say("/help")[0]["text"]
        abilities = tab.say("你能做什么")[0]["text"]
        assert "/selfcheck" in abilities
        offered = set(re.findall(r"/([a-z]+)", greeting + help_ + abilities))
        assert offered >= {"selfcheck", "verify", "usage", "help"}
        assert not offered & NEEDS_IDENTITY
        assert "qa:winner" not in buttons(tab.start["replies"]).values()
        for name in sorted(offered - {"start", "help", "forget", "cancel"}):
            assert "网页版不记录您的身份" not in html(tab.say(f"/{name}")), name
            tab.say("/cancel")  # a command that waits for input (/usage) lets go
    # the same dialogue elsewhere still offers them
    from bot.dialogue import Dialogue

    dialogue = Dialogue(services=Services.from_settings(settings))
    try:
        for channel in ("telegram", "terminal"):
            turn = dialogue.turn({}, chat_id="1", user_id="1", channel=channel)
            [start] = dialogue.on_text(turn, "/start")
            assert "/status" in start.html and "qa:winner" in repr(start.buttons)
            assert "/subscribe" in dialogue.on_text(turn, "/help")[0].html
            assert "/status" in dialogue.on_text(turn, "你能做什么")[0].html
    finally:
        dialogue.services.close()


def test_forget_deletes_the_session_state(settings):
    with browser(settings) as tab:
        tab.say("公示期几天")
        assert tab.client.app.state.chat.states.load(_sid(tab))
        assert "已删除" in html(tab.press(buttons(tab.say("/forget"))["确定删除"]))
        assert tab.client.app.state.chat.states.load(_sid(tab)) == {}


# -- safety ----------------------------------------------------------------------------------
def test_bot_text_is_escaped_and_only_plain_tags_pass():
    assert sanitise('<b onclick="x">a</b><img src=x onerror=y><a href="javascript:1">t</a>'
                    "<script>alert(1)</script>") == "<b>a</b>talert(1)"
    assert sanitise("&lt;script&gt;") == "&lt;script&gt;"
    assert sanitise("<blockquote>open") == "<blockquote>open</blockquote>"


def test_markup_typed_by_a_user_comes_back_as_text(settings):
    with browser(settings) as tab:
        for reply in tab.say('<img src=x onerror="alert(1)"><script>alert(2)</script>'):
            assert "<img" not in reply["html"] and "<script" not in reply["html"]
        echoed = html(tab.say("/search <b>公示</b>"))
        assert "&lt;b&gt;" in echoed or "没有" in echoed


def test_bad_requests_get_a_chinese_message_and_nothing_changes(settings):
    with browser(settings) as tab:
        raw = tab.client.post("/api/message", content=b"{not json",
                              headers={"x-session-token": tab.token,
                                       "content-type": "application/json"})
        assert raw.status_code == 400 and "JSON" in raw.json()["error"]["message"]
        assert tab.post("/api/message", ["公示期几天"]).status_code == 400
        assert tab.post("/api/message", {"text": ""}).json()["error"]["code"] == "no_text"
        long = tab.post("/api/message", {"text": "问" * 2001})
        assert long.status_code == 400 and "2000" in long.json()["error"]["message"]
        assert tab.post("/api/button", {"data": "x" * 65}).status_code == 400
        stale = tab.press("sc:99:y")
        assert "失效" in html(stale)
        assert tab.client.get("/api/message").status_code == 405
        missing = tab.client.get("/api/nothing")
        assert missing.status_code == 404 and missing.json()["error"]["message"]


def test_oversized_bodies_are_refused_whether_announced_or_streamed(settings):
    with browser(settings) as tab:
        big = json.dumps({"text": "问" * 10_000}).encode()
        announced = tab.client.post("/api/message", content=big,
                                    headers={"x-session-token": tab.token})
        assert announced.status_code == 413 and "太长" in announced.json()["error"]["message"]

        def chunks():
            for _ in range(40):
                yield b" " * 1024

        streamed = tab.client.post("/api/message", content=chunks(),
                                   headers={"x-session-token": tab.token})
        assert streamed.status_code == 413


def test_forged_expired_and_missing_sessions_are_refused(settings):
    with browser(settings) as tab:
        head, body, mac = tab.token.split(".")
        forged = f"{head}.{body[:-2]}AA.{mac}"
        other = Tokens(b"another-install-secret-xyz", 3600).issue()[0]
        expired = Tokens(SECRET.encode(), 3600).issue(now=1_000_000)[0]
        for token in (forged, other, expired, "", "v1.x.y", "a" * 500):
            r = tab.client.post("/api/message", json={"text": "公示期几天"},
                                headers={"x-session-token": token})
            assert r.status_code == 401, token
            assert r.json()["error"]["message"] == "会话已失效，请刷新页面重新开始。"
        bearer = tab.client.post("/api/message", json={"text": "公示期几天"},
                                 headers={"authorization": f"Bearer {tab.token}"})
        assert bearer.status_code == 200


def test_a_session_sending_too_fast_gets_a_polite_429_and_others_are_not_slowed(sqlite_url):
    settings = web_settings(sqlite_url, WEB_RATE_PER_SESSION=3)
    with browser(settings) as tab:
        codes = [tab.post("/api/message", {"text": "公示期几天"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = tab.post("/api/message", {"text": "公示期几天"})
        assert "请稍等" in refused.json()["error"]["message"]
        assert int(refused.headers["retry-after"]) >= 1
        other = Browser(tab.client)
        other.open()
        assert other.post("/api/message", {"text": "公示期几天"}).status_code == 200


def test_one_address_opening_too_many_sessions_gets_a_429(sqlite_url):
    settings = web_settings(sqlite_url, WEB_RATE_PER_IP=5)
    app = web_app(settings)
    with TestClient(app) as client:
        codes = [client.post("/api/session").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    app.state.chat.engine.dispose()


def test_security_headers_allow_framing_only_by_the_configured_office_sites(sqlite_url):
    with browser(web_settings(sqlite_url)) as tab:
        page = tab.client.get("/")
        assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "SAMEORIGIN"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "script-src 'self'" in page.headers["content-security-policy"]
    office = "https://www.czzl.gov.cn"
    with browser(web_settings(sqlite_url, WEB_ALLOWED_ORIGINS=office)) as tab:
        page = tab.client.get("/")
        assert f"frame-ancestors 'self' {office}" in page.headers["content-security-policy"]
        assert "x-frame-options" not in page.headers
        preflight = tab.client.options("/api/message", headers={
            "origin": office, "access-control-request-method": "POST",
            "access-control-request-headers": "content-type,x-session-token"})
        assert preflight.headers["access-control-allow-origin"] == office


def test_a_malformed_allowed_origin_stops_start_up_naming_the_setting(sqlite_url):
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match="WEB_ALLOWED_ORIGINS"):
        web_settings(sqlite_url, WEB_ALLOWED_ORIGINS="https://ok.example, javascript:alert(1)")


def test_without_a_configured_secret_one_is_made_per_install_and_kept(sqlite_url):
    settings = web_settings(sqlite_url, WEB_SESSION_SECRET="")
    with browser(settings) as tab:
        token = tab.token
    with browser(settings) as again:  # a second process on the same database
        again.token = token
        assert again.open()["resumed"]


# -- pages, health and metrics --------------------------------------------------------------
def test_the_page_and_the_widget_are_served_from_the_package(settings):
    with browser(settings) as tab:
        page = tab.client.get("/")
        assert page.status_code == 200 and 'lang="zh-CN"' in page.text
        assert "static/chat.js" in page.text and "http" not in page.text.split("<body>")[0]
        widget = tab.client.get("/widget.js")
        assert widget.headers["content-type"].startswith("application/javascript")
        assert "在线咨询" in widget.text
        assert tab.client.get("/static/chat.css").status_code == 200
        assert tab.client.get("/static/../app.py").status_code == 404


def test_healthz_reports_the_database_and_the_pack(settings):
    from bot.storage import make_engine

    with browser(settings) as tab:
        ok = tab.client.get("/healthz")
        assert ok.status_code == 200 and ok.json()["database"] == "ok"
        assert ok.json()["articles"] == 26
        chat = tab.client.app.state.chat
        chat.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                                  connect_args={"connect_timeout": 1})
        down = tab.client.get("/healthz")
        assert down.status_code == 503 and down.json()["database"] == "unavailable"


def test_a_database_outage_gets_a_polite_503(settings):
    from bot.storage import make_engine

    with browser(settings) as tab:
        chat = tab.client.app.state.chat
        chat.states.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                                         connect_args={"connect_timeout": 1})
        r = tab.post("/api/message", {"text": "公示期几天"})
        assert r.status_code == 503 and r.json()["error"]["message"] == "数据库暂时不可用，请稍后再试。"


def test_metrics_count_questions_verdicts_and_reminders_in_prometheus_text(settings):
    from bot.storage.models import ReminderSent

    svc = Services.from_settings(settings)
    svc.import_roster_bytes("名称,奖项,年度,认定日期\n沧州甲公司,组织奖,2023,2023-12-20\n".encode(),
                            "r.csv")
    with svc.session() as s:
        from bot import registry

        w = registry.list_winners(s)[0]
        s.add(ReminderSent(winner_id=w.id, chat_id="1001", milestone="d180"))
    svc.close()
    with browser(settings) as tab:
        tab.say("公示期几天")
        tab.say("个人所得税怎么交")
        _run_selfcheck(tab, "6")
        text = tab.client.get("/metrics").text
    assert 'qabot_questions_total{channel="web"} 2.0' in text
    assert 'qabot_answers_total{channel="web",outcome="answered"} 1.0' in text
    assert 'qabot_answers_total{channel="web",outcome="declined"} 1.0' in text
    assert 'qabot_selfchecks_total{channel="web",stage="finished",verdict="eligible"} 1.0' in text
    assert "qabot_reminders_sent 1.0" in text
    assert 'qabot_http_request_seconds_bucket{le="0.05",route="message"}' in text
    assert "qabot_turn_seconds_count" in text


def test_serve_refuses_a_port_it_cannot_use(tmp_path: Path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QABOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["serve", "--port", "70000"]) == 2
    assert "端口" in capsys.readouterr().err
