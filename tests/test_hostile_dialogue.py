"""Hostile input to the dialogue: whatever arrives, the bot answers in valid Telegram HTML.

Hypothesis sends random Unicode, emoji, zero-width and control characters, right-to-left
text, 100,000-character messages, HTML and Markdown specials, SQL-looking text, numerals in
every form, every command with junk arguments (as the public and as staff), button data never
offered or taken from an old message, and random input in the middle of /selfcheck. About
11,000 inputs per run in all (see the ``max_examples`` below).

For each input: at least one reply, no exception escapes, and every message the Telegram
renderer would send (after ``split_html``) is non-empty, at most 4096 characters and valid
Telegram HTML by the strict validator below. The per-user state stays JSON (it is persisted).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dialogue import Dialogue
from bot.settings import load_settings
from bot.turn import Reply
from handlers.telegram.render import LIMIT, render, split_html

# -- a strict Telegram HTML validator -------------------------------------------------------

ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a",
           "blockquote", "tg-spoiler", "span"}
_TOKEN = re.compile(r"<[^<>]*>|&[^&;\s<>]*;|[<>&]|[^<>&]+", re.S)
_OPEN = re.compile(r"<([a-z-]+)((?:\s+[a-z-]+(?:=\"[^\"<>]*\")?)*)\s*>")
_CLOSE = re.compile(r"</([a-z-]+)\s*>")
_ATTR = re.compile(r"([a-z-]+)(?:=\"([^\"<>]*)\")?")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


def html_problems(text: str) -> list[str]:
    """Why Telegram would refuse ``text`` with parse_mode=HTML (empty when it is fine)."""
    problems: list[str] = []
    stack: list[str] = []
    plain: list[str] = []
    for tok in _TOKEN.findall(text):
        if tok.startswith("<") and tok.endswith(">") and len(tok) > 1:
            if m := _CLOSE.fullmatch(tok):
                if not stack or stack[-1] != m.group(1):
                    problems.append(f"unmatched end tag {tok!r} (open: {stack})")
                else:
                    stack.pop()
                continue
            m = _OPEN.fullmatch(tok)
            if m is None or m.group(1) not in ALLOWED:
                problems.append(f"tag not allowed: {tok[:40]!r}")
                continue
            name = m.group(1)
            attrs = dict(_ATTR.findall(m.group(2) or ""))
            allowed_attrs = {"a": {"href"}, "span": {"class"}, "code": {"class"},
                             "blockquote": {"expandable"}}.get(name, set())
            if set(attrs) - allowed_attrs:
                problems.append(f"attribute not allowed: {tok[:40]!r}")
            if name == "span" and attrs.get("class") != "tg-spoiler":
                problems.append(f"span without class=tg-spoiler: {tok[:40]!r}")
            if name == "a" and not attrs.get("href"):
                problems.append(f"link without href: {tok[:40]!r}")
            stack.append(name)
        elif tok.startswith("&") and tok.endswith(";") and len(tok) > 1:
            if not _ENTITY.fullmatch(tok):
                problems.append(f"entity not allowed: {tok[:20]!r}")
            plain.append("x")
        elif tok in ("<", ">", "&"):
            problems.append(f"bare {tok!r}")
        else:
            plain.append(tok)
    if stack:
        problems.append(f"unclosed tags: {stack}")
    if not "".join(plain).strip():
        problems.append("no visible text")
    return problems


def test_the_validator_accepts_telegram_html_and_refuses_the_rest():
    assert html_problems("<b>粗</b> <i>斜</i> &lt;&gt;&amp;&quot;&#8212; <code>x</code>") == []
    assert html_problems('<a href="https://example.org">链接</a><span class="tg-spoiler">秘'
                         "</span><blockquote>引</blockquote><pre><code>x</code></pre>") == []
    for bad in ["<b>未关闭", "<i>交叉<b></i></b>", "</b>多余", "<script>x</script>", "a < b",
                "a & b", "&nbsp;", "<span>无类</span>", "<b onclick=\"x\">x</b>", "<br>",
                "<b></b>", "   ", "a > b"]:
        assert html_problems(bad), bad


# -- the dialogue under attack --------------------------------------------------------------

STAFF_USER = "900001"


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dialogue]:
    """The full dialogue (every feature, as Telegram builds it) on a SQLite registry."""
    from bot.services import Services

    folder: Path = tmp_path_factory.mktemp("hostile")
    cfg = load_settings(_env_file=None, DATABASE_URL=f"sqlite:///{folder / 'h.sqlite3'}",
                        ADMIN_IDS=STAFF_USER)
    services = Services.from_settings(cfg)
    services.import_roster_bytes(
        "名称,奖项,年度,认定日期\n沧州示例机械有限公司,组织奖,2021,2021-12-20\n"
        "李四,个人奖,2023,2023-12-20\n".encode(), "r.csv")
    yield Dialogue(services=services)
    services.close()


def check(replies: list[Reply], state: dict) -> None:
    """The properties every turn must have."""
    assert isinstance(replies, list) and len(replies) >= 1
    for reply in replies:
        assert reply.html.strip(), "an empty reply"
        for kwargs in render(reply):
            text = kwargs["text"]
            assert 0 < len(text) <= LIMIT
            assert len(text.encode("utf-16-le")) // 2 <= LIMIT or len(
                re.sub(r"<[^>]*>", "", text).encode("utf-16-le")) // 2 <= LIMIT
            assert html_problems(text) == [], (text[:300], html_problems(text))
        for row in reply.buttons:
            for b in row:
                assert b.label.strip() and len(b.data.encode()) <= 64
    json.dumps(state)  # persisted as JSON between turns


ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e"
CONTROL = "".join(map(chr, range(32))) + "\x7f" + "".join(map(chr, range(0x80, 0xa0)))
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
RTL = ["مرحبا، هل يمكن التقديم؟", "שלום עולם", "\u202eتقديم الجائزة\u202c", "سنة ٢٠٢٤"]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇨🇳", "❤️", "🧧", "\U0001f9d1\u200d\U0001f4bb", "©️", "🔟"]
SPECIALS = ["<b>", "</b>", "<i>x</b>", "<script>alert(1)</script>", "&amp;", "&", "&lt", "&#0;",
            "&#x110000;", "<", ">", "<<>>", "*粗体*", "_斜体_", "`代码`", "```python\n```",
            "[链接](javascript:alert(1))", "<a href='x'>", "<!-- -->", "]]>", "\\", "~~删~~",
            "||剧透||", "<tg-spoiler>", "<span class=\"tg-spoiler\">", "&quot;", "\"'`"]
SQL = ["'; DROP TABLE winner; --", "1 OR 1=1", "\" OR \"\"=\"", "%", "_%_", "\\x00",
       "' UNION SELECT code_hash FROM bind_code --", "Robert'); DELETE FROM binding;--",
       "1; SELECT pg_sleep(10)", "${jndi:ldap://x}", "{{7*7}}", "%s%s%s%n"]
NUMERALS = ["二十四", "廿四", "２４", "24", "٢٤", "۲۴", "२४", "২৪", "Ⅳ", "ⅳ", "⑳", "㉔", "²",
            "¹²", "½", "壹拾", "貳拾肆", "负一", "-1", "0", "00", "1e9", "9" * 30, "1" + "0" * 5000,
            "3.5", "一百万", "〇", "两", "十", "百", "千千千", "零零零", "第二十四条", "第0条",
            "第-3条", "第１２３４５６７８９条", "十万零一", "𝟐𝟒", "⁴", "₄", "໒໔", "三十七",
            "一千零一", "2021-02-30", "２０２１年２月３０日", "0x18", "1_000", "∞", "NaN"]
QUESTIONS = ["公示期几天", "公司成立四年能申报吗", "奖金给多少", "获奖后能印在产品包装上吗",
             "第二十四条", "有效期多久", "怎么申报", "个人奖条件", "撤销", "质量奖"]


def _pieces(commands: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=60),
        st.text(alphabet=ZERO_WIDTH + CONTROL + BIDI + "<>&;\"' /\\*_`[]()#", max_size=40),
        st.sampled_from(RTL + EMOJI + SPECIALS + SQL + NUMERALS + QUESTIONS + commands),
        st.characters(codec="utf-8").map(str),
        st.integers(min_value=-10**20, max_value=10**20).map(str),
    )


# every command the full dialogue has, staff ones included, so a new command is attacked too
COMMAND_NAMES = sorted(Dialogue().commands)
COMMANDS = [f"/{c}" for c in COMMAND_NAMES] + ["/start@qabot_test_bot", "／help", "/ARTICLE",
                                               "/", "//", "/不存在", "/article@", "/a" * 40]


def messages() -> st.SearchStrategy[str]:
    piece = _pieces(COMMANDS)
    joined = st.lists(piece, min_size=0, max_size=8).map("".join)
    command = st.tuples(st.sampled_from(COMMANDS), st.sampled_from([" ", "", "  ", "\n"]),
                        joined).map("".join)
    huge = st.tuples(st.sampled_from(SPECIALS + EMOJI + RTL + QUESTIONS + ["a", "中", "<b>"]),
                     st.integers(90_000, 100_000)).map(lambda t: (t[0] * t[1])[:t[1]])
    numeral = st.sampled_from(NUMERALS) | st.text(alphabet="0123456789²³¹①⑳٢٤१𝟐一二十百千零两〇",
                                                   min_size=1, max_size=30)
    numbered = st.tuples(st.sampled_from(["/article ", "/start art_", "/expiring ", "第", "/article 第",
                                          "/code 李四 ", ""]),
                         numeral, st.sampled_from(["", "条", "条是什么", " 2021"])).map("".join)
    return st.one_of(joined, command, st.text(), huge, numbered)


def test_the_dialogue_knows_every_command_the_test_attacks(dialogue: Dialogue):
    assert sorted(dialogue.commands) == COMMAND_NAMES
    assert {"code", "expiring", "notice", "feedback", "selfcheck", "bind"} <= set(COMMAND_NAMES)


@settings(max_examples=5000,
          suppress_health_check=list(HealthCheck))
@given(text=messages(), staff=st.booleans(), chat=st.sampled_from(["1001", "-100777", None]))
def test_any_message_gets_a_valid_reply(dialogue: Dialogue, text: str, staff: bool,
                                        chat: str | None):
    state: dict = {}
    turn = dialogue.turn(state, chat_id=chat, user_id=STAFF_USER if staff else "1001",
                         is_staff=staff, channel="telegram")
    check(dialogue.on_text(turn, text), state)


OFFERED = ["art:1", "art:24", "art:0", "art:999", "art:-1", "art:", "art:二十四", "qa:examples",
           "qa:selfcheck", "qa:winner", "qa:toc", "qa:ask:0", "qa:ask:99", "qa:ask:-1", "qa:",
           "sc:new", "sc:0:y", "sc:1:n", "sc:99:u", "sc:1:c0", "sc:1:c99", "sc:1:back",
           "sc:1:cancel", "sc:x:y", "sc::", "wforget:no", "wforget:", "fb:up", "fb:down",
           "fb:", "", ":", "::::", "unknown:1", "hot:15:0", "hot:15:1", "hot:99:0", "hot:",
           "hot:15:abc", "hot:0:0", "lrn:a:1:7", "lrn:n", "hotx:h:15"]
# staff-only buttons (issue 13), pressed by staff with data offered, old or forged
STAFF_OFFERED = ["lrn:a:1:7", "lrn:a:1:15", "lrn:a:1:99", "lrn:i:1:7:1", "lrn:i:1:7:0",
                 "lrn:i:1:7:9", "lrn:t:1:15:2", "lrn:t:1:15:99", "lrn:m:1", "lrn:s:1",
                 "lrn:w:1:开张", "lrn:w:1:<b>", "lrn:c:1:开张:经营", "lrn:c:1:&amp;:<i>",
                 "lrn:o:1", "lrn:r:1:notice", "lrn:r:1:nope", "lrn:x:1", "lrn:u:1", "lrn:u:x",
                 "lrn:n", "lrn:", "lrn:a:99999999999:7", "hotx:p:15", "hotx:h:15",
                 "hotx:r:15", "hotx:p:0", "hotx:x:15", "hotx:"]


def button_data() -> st.SearchStrategy[str]:
    prefix = st.sampled_from(["art", "qa", "sc", "wforget", "fb", "", "x", "ART", "hot", "lrn",
                              "hotx"])
    forged = st.tuples(prefix, st.just(":"), st.text(max_size=50)).map("".join)
    return st.one_of(st.sampled_from(OFFERED), forged,
                     st.text(max_size=64).filter(lambda s: len(s.encode()) <= 64))


@settings(max_examples=2000,
          suppress_health_check=list(HealthCheck))
@given(data=button_data(), stale=st.sampled_from([{}, {"flow": "selfcheck"},
                                                  {"flow": "selfcheck", "selfcheck": "junk"},
                                                  {"selfcheck": {"seq": 3, "answers": {},
                                                                 "history": []},
                                                   "flow": "selfcheck"},
                                                  {"last_question": 5}, {"flow": "usage"},
                                                  {"flow": "nonexistent"}]))
def test_any_button_press_even_forged_or_stale_gets_a_valid_reply(dialogue: Dialogue,
                                                                  data: str, stale: dict):
    state = json.loads(json.dumps(stale))
    turn = dialogue.turn(state, chat_id="1001", user_id="1001", channel="telegram")
    check(dialogue.on_button(turn, data), state)


def staff_button_data() -> st.SearchStrategy[str]:
    numbers = st.integers(-5, 40).map(str) | st.sampled_from(["", "x", "²", "9" * 30])
    parts = st.lists(numbers | st.text(max_size=8), max_size=4).map(":".join)
    forged = st.tuples(st.sampled_from(["lrn:", "hotx:"]),
                       st.sampled_from(["a", "i", "t", "m", "s", "w", "c", "o", "r", "x", "u",
                                        "n", "p", "h", ""]),
                       st.just(":"), parts).map("".join)
    return st.one_of(st.sampled_from(STAFF_OFFERED),
                     forged.filter(lambda s: len(s.encode()) <= 64))


@settings(max_examples=1000,
          suppress_health_check=list(HealthCheck))
@given(data=staff_button_data())
def test_any_staff_button_press_even_forged_or_stale_gets_a_valid_reply(dialogue: Dialogue,
                                                                        data: str):
    state: dict = {}
    turn = dialogue.turn(state, chat_id=STAFF_USER, user_id=STAFF_USER, is_staff=True,
                         channel="telegram")
    check(dialogue.on_button(turn, data), state)


@settings(max_examples=500,
          suppress_health_check=list(HealthCheck))
@given(steps=st.lists(st.tuples(st.sampled_from(["text", "offered", "old", "forged"]),
                                messages() | st.sampled_from(["是", "否", "不确定", "5", "返回",
                                                               "取消", "3年", "三十", "-2"]),
                                st.integers(0, 10)),
                      min_size=4, max_size=12))
def test_random_input_in_the_middle_of_selfcheck_never_breaks_it(dialogue: Dialogue, steps):
    state: dict = {}
    turn = dialogue.turn(state, chat_id="1001", user_id="1001", channel="telegram")
    replies = dialogue.on_text(turn, "/selfcheck")
    check(replies, state)
    seen: list[str] = [b.data for r in replies for row in r.buttons for b in row]
    offered = list(seen)
    for kind, text, pick in steps:
        turn = dialogue.turn(state, chat_id="1001", user_id="1001", channel="telegram")
        if kind == "text":
            replies = dialogue.on_text(turn, text)
        elif kind == "offered" and offered:
            replies = dialogue.on_button(turn, offered[pick % len(offered)])
        elif kind == "old" and seen:
            replies = dialogue.on_button(turn, seen[pick % len(seen)])
        else:
            replies = dialogue.on_button(turn, "sc:" + text[:40])
        check(replies, state)
        offered = [b.data for r in replies for row in r.buttons for b in row]
        seen += offered


def test_a_100000_character_message_is_answered_in_pieces_telegram_accepts(dialogue: Dialogue):
    for text in ["公示期几天" * 20_000, "<b>&amp;" * 14_000, "😀" * 100_000, "/search " + "中" * 99_992]:
        state: dict = {}
        replies = dialogue.on_text(dialogue.turn(state, chat_id="1001"), text)
        check(replies, state)


def test_the_splitter_keeps_long_html_valid():
    html = "<b>" + "公示期五个工作日。" * 900 + "</b>" + "<blockquote>" + "条" * 5000 + "</blockquote>"
    pieces = split_html(html)
    assert len(pieces) > 2
    for p in pieces:
        assert len(p) <= LIMIT and html_problems(p) == []


@pytest.mark.parametrize("text", ["/article ²", "/article ①", "/start art_²", "/article 𝟐𝟒",
                                  "/article " + "0" * 4301, "/article " + "一" * 5000,
                                  "/expiring ²", "/expiring " + "9" * 30, "第" + "1" * 5000 + "条",
                                  "/code 李四 202²", "/code 李四 ２０２³", "/code 李四 ①⑳",
                                  "/revoke 李四 202² 原因", "/revoke 李四 ٢٠٢١ 原因",
                                  "/feedback ²", "/feedback ①"])
def test_numerals_python_cannot_convert_get_a_polite_answer(dialogue: Dialogue, text: str):
    # str.isdigit() accepts ² and ① and int() refuses them (and any string past 4300 digits):
    # these used to escape as ValueError/OverflowError instead of getting a reply.
    state: dict = {}
    check(dialogue.on_text(dialogue.turn(state, chat_id="1001", is_staff=True), text), state)
