"""``qabot selfcheck``: judge facts (JSON, one object a line) against the 申报条件.

Every line is checked before anything is printed: if one is malformed, each bad line is
reported on stderr with its line number and nothing goes to stdout (exit 2), so results stay
one-to-one with the input lines. Blank lines are skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

from knowledge.errors import QabotError

if TYPE_CHECKING:
    from knowledge.eligibility import Facts, Verdict
    from knowledge.pack import Pack

MARK = {"met": "✅", "not_met": "❌", "unknown": "❓"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("selfcheck", help="申报资格自查（按 JSON 事实判断，第七条、第八条）",
                       description="按事实（JSON，每行一个对象）判断是否具备申报资格。"
                                   "交互式问卷请运行 qabot chat 后发送 /selfcheck。")
    p.add_argument("--facts", metavar="FILE", help="事实文件，每行一个 JSON 对象；- 表示标准输入")
    p.add_argument("--json", action="store_true", help="每行输出一个 JSON 结果")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from bot import configured
    from knowledge.eligibility import FactsError, evaluate, validate_facts, with_today

    if not args.facts:
        raise QabotError("请用 --facts FILE 指定事实文件（- 表示标准输入）；"
                         "交互式自查请运行 qabot chat 后发送 /selfcheck")
    text = _read(args.facts)
    pack = configured.pack()
    today = _today(pack)
    checked: list[Facts] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as e:
                raise FactsError(f"不是有效的 JSON（第{e.colno}列）：{e.msg}") from None
            facts = with_today(validate_facts(raw), today)
            if facts.previous_award_date and facts.previous_award_date > facts.today:  # type: ignore[operator]
                raise FactsError(f"previous_award_date 晚于今天（{facts.today}），请检查日期")
            checked.append(facts)
        except FactsError as e:
            errors.append(f"第{number}行：{e}")
    if errors:
        raise QabotError("\n".join(errors))
    if not checked:
        raise QabotError("没有读到任何事实（文件为空）")
    verdicts = [evaluate(f, pack) for f in checked]
    out = sys.stdout
    notices: dict[bool, str] = {}  # every result carries the revision notice, as in chat
    for i, v in enumerate(verdicts):
        if args.json:  # the JSON contract is the verdict alone
            out.write(json.dumps(v.to_json(), ensure_ascii=False) + "\n")
        else:
            if i:
                out.write("\n")
            dated = not v.barred  # a dated notice never stands beside a ban (第二十四条)
            if dated not in notices:
                notices[dated] = configured.revision_notice(pack, dated=dated)
            out.write(render_text(v, pack, notice=notices[dated]))
    return 0


def render_text(v: Verdict, pack: Pack, notice: str = "") -> str:
    """The verdict for a terminal: one line per clause, then the verdict sentence; a barred
    applicant (第二十四条) is shown no priority and no date to apply again. ``notice``: that
    the measures were revised, first."""
    from knowledge.claims import load_claims

    claims = load_claims(pack)
    kind = "组织奖（单位）" if v.applicant_type == "organization" else "个人奖（个人）"
    lines = [f"ℹ️ {notice}"] if notice else []
    lines.append(f"申报资格自查 · {kind}")
    for c in v.clauses:
        if v.barred and not c.required:
            continue
        tail = f"（{c.note}）" if c.note else ""
        extra = "" if c.required else " [优先条件]"
        lines.append(f"{MARK[str(c.status)]} {c.label}{extra}：{c.shown or c.text}{tail}")
    lines.append(f"结论：{v.summary()}")
    if v.priority and not v.barred:
        label = next(c.label for c in v.clauses if not c.required)
        lines.append(claims.text("selfcheck.priority", ref=label))
    revoked_known_clean = all(c.status == "met" for c in v.clauses if c.id == "24")
    if v.reapply_from and v.valid_until and not v.barred and revoked_known_clean:
        lines.append(claims.text("selfcheck.reapply", until=v.valid_until.isoformat(),
                                 again=v.reapply_from.isoformat()))
    lines.append(claims.text("selfcheck.disclaimer"))
    return "\n".join(lines) + "\n"


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        with open(name, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise QabotError(f"找不到事实文件：{name}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise QabotError(f"无法读取事实文件 {name}：{e}") from None


def _today(pack: Pack) -> dt.date:
    """Today in the pack's time zone (Asia/Shanghai): the default for facts without today."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(str(pack.meta.get("timezone", "Asia/Shanghai")))).date()
