"""The rule cases of tests/rules/validity.yaml and usage.yaml, run through the commands whose
JSON they pin down: ``qabot validity --json`` and ``qabot check-usage --json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main

RULES_DIR = Path(__file__).parent / "rules"


def _cases(kind: str) -> list[Any]:
    out = []
    for path in sorted(RULES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("kind") != kind:
            continue
        for case in data["cases"]:
            args = {**(data.get("defaults") or {}), **(case.get("args") or {})}
            out.append(pytest.param(case, args, id=f"{path.stem}: {case['name']}"))
    return out


def _argv(args: dict[str, Any]) -> list[str]:
    argv: list[str] = []
    for key, value in args.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value not in (None, False):
            argv += [flag, str(value)]
    return argv


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], expect: dict[str, Any]) -> Any:
    code = main(argv)
    out = capsys.readouterr()
    if "exit" in expect:
        assert code == expect["exit"], out
        assert expect["error"] in out.err and "Traceback" not in out.err, out.err
        assert out.out == ""
        return None
    assert code == 0, out.err
    return json.loads(out.out)


VALIDITY = _cases("validity")
USAGE = _cases("usage")


def test_there_is_a_rule_case_for_each_validity_and_usage_boundary() -> None:
    assert len(VALIDITY) >= 15 and len(USAGE) >= 20
    names = [c.values[0]["name"] for c in VALIDITY + USAGE]
    assert len(names) == len(set(names)), "case names must be unique sentences"


@pytest.mark.parametrize("case, args", VALIDITY)
def test_validity_case(case: dict[str, Any], args: dict[str, Any],
                       capsys: pytest.CaptureFixture[str]) -> None:
    result = _run(["validity", "--json", *_argv(args)], capsys, case["expect"])
    if result is None:
        return
    assert list(result) == ["valid_until", "state", "days_left", "may_use_honor", "may_reapply"]
    for key, value in case["expect"].items():
        assert result[key] == value, (key, result)


@pytest.mark.parametrize("case, args", USAGE)
def test_usage_case(case: dict[str, Any], args: dict[str, Any],
                    capsys: pytest.CaptureFixture[str]) -> None:
    expect = case["expect"]
    result = _run(["check-usage", "--json", *_argv(args), case["text"]], capsys, expect)
    if result is None:
        return
    assert list(result) == ["ok", "problems", "reply"]
    assert (result["ok"], result["problems"]) == (expect["ok"], expect["problems"]), result
    for phrase in expect.get("reply_has", []):
        assert phrase in result["reply"], (phrase, result["reply"])
    for phrase in expect.get("reply_lacks", []):
        assert phrase not in result["reply"], (phrase, result["reply"])


# -- a number of years as said, in /selfcheck and in a question (tests/rules/said_years.yaml) ----
SAID_YEARS = _cases("said_years")
THRESHOLD = 5  # 第七条（一）: 5年以上 (pack.yaml min_years_in_operation)
ANSWER_OPENING = {"not_met": "还不能", "met": "就您说的", "depends": "要看"}


@pytest.fixture(scope="module")
def dialogue():  # type: ignore[no-untyped-def]
    from bot.dialogue import Dialogue

    return Dialogue(features=["bot.features.selfcheck", "bot.features.qa"])


def _selfcheck_outcome(d: Any, said: str) -> str:
    """What /selfcheck does with ``said`` typed as the years in operation of an organisation
    that meets everything else: met / not_met (the result's mark), ask_again or refused."""
    import datetime as dt
    import html
    import re

    state: dict[str, Any] = {}
    today = dt.date(2024, 6, 1)

    def send(text: str = "", press: str = "") -> str:
        turn = d.turn(state, today=today)
        if press:
            data = next(b.data for r in last for row in r.buttons for b in row
                        if b.label.startswith(press))
            replies = d.on_button(turn, data)
        else:
            replies = d.on_text(turn, text)
        last[:] = replies
        return html.unescape(re.sub(r"</?[a-z]+>", "", "\n".join(r.html for r in replies)))

    last: list[Any] = []
    send("/selfcheck")
    send(press="单位")
    send(press="是")
    out = send(said)
    if "无法判断是否满" in out:
        assert state["selfcheck"]["current"] == "years_in_operation", out
        return "ask_again"
    if "没有看懂" in out:
        return "refused"
    for answer in ("否", "是", "是", "是", "否", "否", "否"):
        send(press=answer)
    out = send(press="没有")
    mark = re.search(r"(✅|❌|❓) 第七条第（一）项", out)
    assert mark, out
    return {"✅": "met", "❌": "not_met", "❓": "unknown"}[mark.group(1)]


def test_there_is_a_said_years_case_for_each_way_of_saying_a_number() -> None:
    assert len(SAID_YEARS) >= 20


@pytest.mark.parametrize("case, args", SAID_YEARS)
def test_said_years_case(case: dict[str, Any], args: dict[str, Any], dialogue: Any) -> None:
    from bot.features.qa import answer_reply, retriever
    from bot.render import html_to_text
    from knowledge.numerals import read_years

    expect = case["expect"]
    said = read_years(case["said"])
    if "low" in expect:
        assert said is not None and said.low == expect["low"], said
        assert said.high == expect.get("high", float("inf")), said
        met = {"met": True, "not_met": False, "ask_again": None}[expect["selfcheck"]]
        assert said.at_least(THRESHOLD) is met, said
    assert _selfcheck_outcome(dialogue, case["said"]) == expect["selfcheck"]
    if "question" in case:
        ans = retriever(dialogue).ask(case["question"], today=dialogue.today())
        reply = html_to_text(answer_reply(dialogue, ans).html)
        assert reply.startswith(ANSWER_OPENING[expect["answer"]]), reply


# -- a number typed after a command (tests/rules/typed_numbers.yaml) ---------------------------
TYPED_NUMBERS = _cases("typed_number")


def test_there_is_a_typed_number_case_for_chat_and_command_line() -> None:
    assert sum("command" in c.values[0] for c in TYPED_NUMBERS) >= 8
    assert sum("cli" in c.values[0] for c in TYPED_NUMBERS) >= 2


@pytest.mark.parametrize("case, args", TYPED_NUMBERS)
def test_typed_number_case(case: dict[str, Any], args: dict[str, Any], sqlite_url: str,
                           monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt
    import html
    import re

    from bot.dialogue import Dialogue
    from bot.services import Services
    from bot.settings import load_settings

    expect = case["expect"]
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    if "cli" in case:
        try:
            code = main(case["cli"])
        except SystemExit as e:  # argparse refuses a bad option value itself
            code = e.code
        out = capsys.readouterr()
        assert code == expect["exit"], out
        text = out.out + out.err
        assert "Traceback" not in text
    else:
        services = Services.from_settings(load_settings(_env_file=None))
        try:
            d = Dialogue(services=services)
            turn = d.turn({}, today=dt.date(2024, 6, 1), chat_id="1", is_staff=True)
            replies = d.on_text(turn, case["command"])
        finally:
            services.close()
        text = html.unescape(re.sub(r"</?[a-z]+>", "", "\n".join(r.html for r in replies)))
    for phrase in expect.get("reply_has", []):
        assert phrase in text, (phrase, text)
    for phrase in expect.get("reply_lacks", []):
        assert phrase not in text, (phrase, text)


# -- the questionnaire's next question (tests/rules/questionnaire.yaml) ------------------------
QUESTIONNAIRE = _cases("questionnaire")


@pytest.mark.parametrize("case, args", QUESTIONNAIRE)
def test_questionnaire_case(case: dict[str, Any], args: dict[str, Any], dialogue: Any) -> None:
    import datetime as dt
    import html
    import re

    state: dict[str, Any] = {}
    last: list[Any] = []

    def send(text: str = "", press: str = "") -> str:
        turn = dialogue.turn(state, today=dt.date(2024, 6, 1))
        if press:
            data = next(b.data for r in last for row in r.buttons for b in row
                        if b.label.startswith(press))
            replies = dialogue.on_button(turn, data)
        else:
            replies = dialogue.on_text(turn, text)
        last[:] = replies
        return html.unescape(re.sub(r"</?[a-z]+>", "", replies[-1].html))

    send("/selfcheck")
    out = send(press=case["applicant"])
    while "以前获得过" not in out:
        out = send("8") if last[-1].expects_text else send(press="是")
    answer = str(case["previous_award"])
    out = send(answer) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", answer) else send(press=answer)
    shown = out.split("\n\n")[-1] if "自查结果" not in out else out  # the question, not 已答
    for phrase in case["expect"].get("next_has", []):
        assert phrase in shown, (phrase, shown)
    for phrase in case["expect"].get("next_lacks", []):
        assert phrase not in shown, (phrase, shown)


# -- /status of bound awards (tests/rules/status.yaml) ---------------------------------------
STATUS = _cases("status")


@pytest.mark.parametrize("case, args", STATUS)
def test_status_case(case: dict[str, Any], args: dict[str, Any], sqlite_url: str) -> None:
    import datetime as dt
    import html
    import re

    from bot.dialogue import Dialogue
    from bot.services import Services
    from bot.settings import load_settings

    svc = Services.from_settings(load_settings(_env_file=None, DATABASE_URL=sqlite_url))
    try:
        svc.import_roster_bytes(case["roster"].encode(), "r.csv")
        name = case["roster"].splitlines()[1].split(",")[0]
        for year in case["bind"]:
            code, _ = svc.issue_code(name, year)
            svc.bind("1001", code)
        d = Dialogue(services=svc, features=["bot.features.winners"])
        turn = d.turn({}, today=dt.date.fromisoformat(case["today"]), chat_id="1001")
        replies = d.on_text(turn, "/status")
    finally:
        svc.close()
    by_year = {re.search(r"（(\d{4})年度", r.html).group(1):  # type: ignore[union-attr]
               html.unescape(re.sub(r"</?[a-z]+>", "", r.html)) for r in replies}
    for year, expect in case["expect"].items():
        for phrase in expect.get("has", []):
            assert phrase in by_year[str(year)], (year, phrase, by_year[str(year)])
        for phrase in expect.get("lacks", []):
            assert phrase not in by_year[str(year)], (year, phrase, by_year[str(year)])
