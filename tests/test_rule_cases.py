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
