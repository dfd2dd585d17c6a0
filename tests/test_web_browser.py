"""The web chat in a real headless browser (Debian's chromium driven by Playwright), against
``qabot serve`` running as its own process on 127.0.0.1, as a person would use it.

Screenshots and the printed 预审单 (PDF) go to ``tests/artifacts/`` (or $QABOT_TEST_ARTIFACTS).
Without a browser (no /usr/bin/chromium, no playwright) the tests skip and say why; .ci/run
installs the browser from Debian's packages first.
"""

from __future__ import annotations

import datetime as dt
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_harness import start_serve

from knowledge.validity import add_years

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("QABOT_TEST_ARTIFACTS", ROOT / "tests" / "artifacts"))
CHROMIUM = os.environ.get("QABOT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright (pip) is not installed: pip install -e '.[test]'")
if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
    pytest.skip("no browser: Debian's chromium is not installed (apt-get install chromium; "
                ".ci/run does this when the package archive is reachable)",
                allow_module_level=True)
expect = sync_api.expect


class _HostPage(http.server.SimpleHTTPRequestHandler):
    """An award office's page that embeds the chat with one script tag."""

    chat_url = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                "<title>沧州市市场监督管理局</title></head><body>"
                "<h1>沧州市市场监督管理局</h1><p>政府质量奖申报工作专栏。</p>"
                f'<script src="{self.chat_url}widget.js" defer></script></body></html>').encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def host() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory,
           host: http.server.ThreadingHTTPServer) -> Iterator[str]:
    """``qabot serve --port 0`` in its own process; the office page's origin may frame it."""
    workdir = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "WEBHOOK_", "WEB_", "DATABASE_URL"))}
    env.update({"QABOT_DATA_DIR": str(workdir / "data"),
                "WEB_ALLOWED_ORIGINS": f"http://127.0.0.1:{host.server_address[1]}"})
    proc, port = start_serve(workdir, env)
    _HostPage.chat_url = f"http://127.0.0.1:{port}/"
    yield _HostPage.chat_url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page_of(chromium: object, request: pytest.FixtureRequest):
    """``page_of(viewport)``: a fresh browser profile; any JS or console error fails the test."""
    contexts = []
    errors: list[str] = []

    def make(viewport: dict[str, int], *, expected_error: str | None = None):
        ctx = chromium.new_context(viewport=viewport, locale="zh-CN")  # type: ignore[attr-defined]
        contexts.append(ctx)
        page = ctx.new_page()

        def note(text: str) -> None:
            if expected_error is None or expected_error not in text:
                errors.append(text)

        page.on("pageerror", lambda e: note(str(e)))
        page.on("console", lambda m: note(m.text) if m.type == "error" else None)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, errors


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)  # type: ignore[attr-defined]


def open_chat(page: object, url: str, *, big: bool = False) -> None:
    page.goto(url + ("?font=big" if big else ""))  # type: ignore[attr-defined]
    expect(page.locator(".msg.bot").first).to_contain_text("质量奖助手")  # type: ignore[attr-defined]


def bot_bubbles(page: object):
    return page.locator(".msg.bot:not(.wait)")  # type: ignore[attr-defined]


def ask(page: object, text: str) -> None:
    before = bot_bubbles(page).count()
    page.fill("#input", text)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    expect(bot_bubbles(page)).not_to_have_count(before)
    expect(page.locator(".msg.wait")).to_have_count(0)  # type: ignore[attr-defined]


@pytest.mark.parametrize("viewport,big,name", [(PHONE, False, "360"), (DESKTOP, True, "1280-big")])
def test_a_question_shows_the_quoted_sentence_and_the_article_is_a_tap_away(
        served: str, page_of, viewport, big, name):
    page = page_of(viewport)
    open_chat(page, served, big=big)
    ask(page, "公示期几天")
    answer = bot_bubbles(page).last
    expect(answer.locator("blockquote")).to_contain_text("公示期为7天")
    expect(answer.locator("button.cite")).to_have_text("第十五条")
    shot(page, f"question-{name}")
    answer.locator("button.cite").click()
    expect(bot_bubbles(page).last).to_contain_text("拟授奖名单经市政府审定通过后")
    # no horizontal scrolling on a 360-px phone
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("viewport,big,name", [(PHONE, False, "360"), (DESKTOP, True, "1280-big")])
def test_selfcheck_by_clicking_to_the_end_then_the_预审单_prints_on_a4(
        served: str, page_of, viewport, big, name):
    page = page_of(viewport)
    open_chat(page, served, big=big)
    page.get_by_role("button", name="申报自查").click()
    page.get_by_role("button", name="单位（组织奖）").click()
    expect(bot_bubbles(page).last).to_contain_text("第2/")
    for answer in ["是", "4", "否", "是", "是", "是", "否", "否", "否", "没有"]:
        last = bot_bubbles(page).last
        before = last.inner_text()
        if answer.isdigit():
            page.fill("#input", answer)
            page.get_by_role("button", name="发送").click()
        else:  # a press turns the questionnaire's one message into the next step
            last.get_by_role("button", name=answer, exact=True).click()
        expect(bot_bubbles(page).last).not_to_have_text(before)
    result = bot_bubbles(page).last
    expect(result).to_contain_text("自查结果")
    expect(result).to_contain_text("不具备申报资格")
    shot(page, f"selfcheck-result-{name}")
    result.get_by_role("button", name=re.compile("预审单")).click()
    report = page.locator("#report")
    expect(report).to_be_visible()
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    expect(report).to_contain_text(f"{add_years(today, 1).isoformat()} 起满足第七条第（一）项")
    expect(report.locator(".clause")).to_have_count(7)
    expect(report).to_contain_text("4 年")
    shot(page, f"report-{name}")
    page.emulate_media(media="print")
    expect(page.locator("#app")).to_be_hidden()
    expect(page.locator("#report-body")).to_be_visible()
    shot(page, f"report-print-{name}")
    pdf = ARTIFACTS / f"report-{name}.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().count(b"/Type /Page\n") <= 3
    page.emulate_media(media="screen")
    page.keyboard.press("Escape")
    expect(report).to_be_hidden()


@pytest.mark.parametrize("viewport,name", [(PHONE, "360"), (DESKTOP, "1280")])
def test_the_widget_opens_the_chat_in_an_iframe_on_an_office_page(
        served: str, host, page_of, viewport, name):
    page = page_of(viewport)
    page.goto(f"http://127.0.0.1:{host.server_address[1]}/")
    page.get_by_role("button", name="在线咨询").click()
    frame = page.frame_locator("#qabot-frame")
    expect(frame.locator(".msg.bot").first).to_contain_text("质量奖助手")
    frame.locator("#input").fill("奖金给多少")
    frame.locator("#input").press("Enter")
    expect(frame.locator(".msg.bot:not(.wait)").last.locator("blockquote")).to_contain_text("万元")
    shot(page, f"widget-{name}")
    frame.get_by_role("button", name="关闭").click()
    expect(page.locator("#qabot-frame")).to_be_hidden()
    expect(page.get_by_role("button", name="在线咨询")).to_be_focused()


def test_a_site_not_in_the_allowed_origins_cannot_frame_the_chat(served: str, host, page_of):
    page = page_of(DESKTOP, expected_error="frame-ancestors")
    # same server, other origin: localhost is not 127.0.0.1 for the browser
    page.goto(f"http://localhost:{host.server_address[1]}/")
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text):
        page.get_by_role("button", name="在线咨询").click()
    expect(page.locator("#qabot-frame")).to_be_visible()
    assert page.frame_locator("#qabot-frame").locator("#input").count() == 0


def test_everything_works_from_the_keyboard_alone(served: str, page_of):
    page = page_of(DESKTOP)
    open_chat(page, served)
    expect(page.locator("#input")).to_be_focused()
    page.keyboard.type("/selfcheck")
    page.keyboard.press("Enter")
    first = page.get_by_role("button", name="单位（组织奖）")
    expect(first).to_be_enabled()
    first.focus()
    page.keyboard.press("Enter")
    # after a button, focus moves to the next question's first choice: 是
    expect(page.locator(":focus")).to_have_text("是")
    page.keyboard.press("Enter")
    expect(bot_bubbles(page).last).to_contain_text("多少年")
    expect(page.locator("#input")).to_be_focused()  # a typed answer is expected
    page.keyboard.type("6")
    page.keyboard.press("Enter")
    expect(bot_bubbles(page).last).to_contain_text("经营异常名录")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.locator(":focus")).to_have_attribute("data-button", re.compile(r"^sc[~:]"))


def test_large_font_mode_scales_the_page_and_is_remembered(served: str, page_of):
    page = page_of(PHONE)
    open_chat(page, served)
    size = "getComputedStyle(document.documentElement).fontSize"
    assert page.evaluate(size) == "16px"
    page.get_by_role("button", name="大字").click()
    assert page.evaluate(size) == "21px"
    expect(page.get_by_role("button", name="标准字")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator(".msg.bot").first).to_be_visible()
    assert page.evaluate(size) == "21px"
    ask(page, "获奖后能印在产品包装上吗")
    shot(page, "question-360-big")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_markup_in_a_question_stays_text_and_runs_nothing(served: str, page_of):
    page = page_of(DESKTOP)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_chat(page, served)
    ask(page, '<img src=x onerror="alert(1)"><b>公示期</b>几天')
    assert page.locator(".log img").count() == 0
    expect(page.locator(".msg.me").last).to_contain_text('<img src=x onerror="alert(1)">')
    assert not dialogs


def test_the_conversation_survives_a_reload_and_continues_the_selfcheck(served: str, page_of):
    page = page_of(PHONE)
    open_chat(page, served)
    page.get_by_role("button", name="申报自查").click()
    page.get_by_role("button", name="个人（个人奖）").click()
    expect(bot_bubbles(page).last).to_contain_text("遵纪守法")
    page.reload()
    expect(bot_bubbles(page).last).to_contain_text("遵纪守法")
    bot_bubbles(page).last.get_by_role("button", name="是", exact=True).click()
    expect(bot_bubbles(page).last).to_contain_text("从事质量工作")


def test_the_toolbar_looks_up_articles_searches_verifies_and_checks_honour_use(
        served: str, page_of):
    page = page_of(PHONE)
    open_chat(page, served)
    page.get_by_role("button", name="查条文").click()
    expect(page.locator("#mode-label")).to_contain_text("条文编号")
    ask(page, "第二十四条")
    expect(bot_bubbles(page).last).to_contain_text("第二十四条")
    expect(page.locator(".msg.me").last).to_have_text("/article 第二十四条")
    page.get_by_role("button", name="关键词搜索").click()
    ask(page, "公示")
    expect(bot_bubbles(page).last).to_contain_text("“公示”出现在")
    page.get_by_role("button", name="查获奖单位").click()
    ask(page, "沧州某某有限公司")
    expect(bot_bubbles(page).last).to_contain_text("没有找到")
    page.get_by_role("button", name="荣誉用法检查").click()
    ask(page, "本公司产品荣获沧州市政府质量奖，欢迎订购")
    expect(bot_bubbles(page).last).to_contain_text("第二十一条")
    page.locator(".actions").get_by_role("button", name="目录").click()
    expect(bot_bubbles(page).last).to_contain_text("第八章")
    shot(page, "toolbar-360")


def test_article_references_in_the_contents_open_the_article(served: str, page_of):
    page = page_of(DESKTOP)
    open_chat(page, served)
    page.locator(".actions").get_by_role("button", name="目录").click()
    toc = bot_bubbles(page).last
    expect(toc.locator("button.cite")).to_have_count(26)
    toc.get_by_role("button", name="第二十一条", exact=True).click()
    expect(bot_bubbles(page).last).to_contain_text("在有效期内可在形象宣传中使用")
