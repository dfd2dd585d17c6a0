"""/selfcheck: the eligibility questionnaire, one question at a time, then a verdict per clause.

The questions, their order and skip conditions come from the pack's ``eligibility.yaml``;
the verdict from :func:`knowledge.eligibility.evaluate`. While it runs, the answers live in
``turn.state["selfcheck"]`` and nowhere else; they are cleared when the result is shown or the
user cancels (第二十五条: keep applicants' information to what the task needs).

The questionnaire is one message, edited per step, showing the answers given so far. Button
data is ``sc~<owner>:<nonce>:<question id>:<action>``: the questionnaire it belongs to (a
random nonce per run), the question it answers (by id, never by position) and whose it is. A
press for a finished or restarted questionnaire, for a question no longer asked, or by
someone else changes nothing and gets a pop-up; a lost or repeated update cannot shift an
answer onto another question. A press for an earlier question of the running questionnaire also
turns the pressed message into the question asked now. In a group the questionnaire is not run: a button continues it
in a private chat, so nothing self-assessed is posted in the group.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import TYPE_CHECKING, Any

from bot import configured
from bot.report import build_report
from bot.turn import Button, Reply, Turn, esc

if TYPE_CHECKING:
    from bot.dialogue import Dialogue
from knowledge.claims import load_claims
from knowledge.eligibility import (
    FactsError,
    Question,
    Rules,
    Verdict,
    evaluate,
    load_rules,
    validate_facts,
    with_today,
)
from knowledge.numerals import parse_int, read_years
from knowledge.pack import Pack

FLOW = "selfcheck"
PREFIX = "sc"
MARK = {"met": "✅", "not_met": "❌", "unknown": "❓"}

# -- user-facing text, kept together for review ----------------------------------------------
T_INTRO = ("<b>申报资格自查</b>\n按《{title}》第七条、第八条的基本条件以及第四条、第二十四条，"
           "逐题判断您是否具备申报资格。主观条件请如实自我评估，拿不准可以选“不确定”。"
           "回答只在本次自查期间保留，结束或取消后即清除。")
T_RESTART = "已重新开始自查，之前的回答已清除。"
T_CANCELLED = "已取消自查，您的回答已清除。发送 /selfcheck 可重新开始。"
T_FIRST = "这已经是第一题了。"
T_STALE = "这个按钮来自之前的一题，已失效。请回答当前这一题："
T_STALE_POPUP = "这个按钮来自之前的一题，已失效；您的回答没有改变。请回答当前这一题。"
T_NOT_RUNNING = "自查已结束或已取消，这个按钮已失效。发送 /selfcheck 可重新开始。"
T_OTHER_RUN = "这个按钮属于一次已结束或已重新开始的自查，已失效；您的回答没有改变。"
T_IN_GROUP = ("申报资格自查涉及贵单位或您个人的情况，请在与我的私聊中进行，群里不会显示任何回答。"
              "点下面的按钮继续：")
T_IN_GROUP_NO_LINK = "申报资格自查涉及贵单位或您个人的情况，请在与我的私聊中发送 /selfcheck。"
L_PRIVATE = "🔒 在私聊中自查"
T_SO_FAR = "<i>已答：</i>"
T_YESNO_HINT = "请回答“是”“否”或“不确定”（也可以点下面的按钮），或发送“返回”“取消”。"
T_CHOICE_HINT = "请选择“单位”或“个人”（也可以点下面的按钮），或发送“取消”。"
T_NUMBER_HINT = "请输入 0 到 {max} 之间的年数，例如 6、5.5 或 五年；拿不准请点“不确定”。"
T_NUMBER_NEGATIVE = "年数不能是负数。"
T_NUMBER_TOO_BIG = "{value} 年超出合理范围。"
T_NUMBER_BAD = "没有看懂“{text}”。"
T_NUMBER_APPROX = ("“{text}”正好落在{label}要求的{at_least}年上下，按这个说法无法判断是否满"
                   "{at_least}年。请输入准确的年数（如 4.5 或 6）；拿不准请点“不确定”。")
T_DATE_HINT = ("请输入获奖日期，例如 2021-12-20 或 2021年12月20日；从未获得过请点“没有”，"
               "记不清日期请点“记不清日期”，不确定是否获得过请点“不确定”。")
T_DATE_BAD = "没有看懂日期“{text}”。"
T_DATE_FUTURE = "获奖日期 {date} 晚于今天，请检查。"
T_PROGRESS = "<b>第{n}/{total}题</b>"
T_BASIS = " · 依据：{label}"
T_PROGRESS_FIRST = "<b>第1题</b>"
T_RESULT_TITLE = "<b>自查结果 · {kind}</b>"
T_KIND = {"organization": "组织奖（单位）", "individual": "个人奖（个人）"}
T_VERDICT = "<b>结论：</b>{summary}"
# The verdict, priority, reapply date and disclaimer are legal claims: claims.yaml.
T_STEPS = "<b>下一步（第十条至第十五条）</b>"
T_PROCEDURE = "<b>条件具备后的申报流程（第十条至第十五条）</b>"
L_YES, L_NO, L_UNSURE = "是", "否", "不确定"
L_NEVER, L_BACK, L_CANCEL, L_AGAIN = "没有", "↩ 上一题", "✖ 取消", "重新自查"
L_NO_DATE = "记不清日期"

_YES = {"是", "是的", "对", "对的", "有", "yes", "y", "符合", "具备", "嗯"}
_NO = {"否", "不是", "不", "不对", "没有", "无", "no", "n", "不符合", "不具备", "没"}
_UNSURE = {"不确定", "不知道", "不清楚", "不好说", "说不清", "不一定", "不详", "?", "？", "unknown"}
_BACK = {"返回", "上一题", "上一步", "后退", "back", "↩", "↩ 上一题"}
_CANCEL = {"取消", "退出", "结束", "cancel", "/cancel", "✖", "✖ 取消"}
_NEVER = {"没有", "无", "没", "从未", "从来没有", "没获过", "没有获得过", "未获得过", "否", "no"}
_NO_DATE = {"记不清", "记不清日期", "记不清了", "忘了", "不记得", "不记得了", "日期不详", "获得过",
            "获得过但记不清日期", "有", "是", "获得过，记不清日期"}


def register(d: Dialogue) -> None:
    rules_of = _RulesOf(d)

    @d.command("selfcheck", "申报资格自查（逐题问答）")
    def selfcheck(turn: Turn, arg: str) -> list[Reply]:
        if turn.is_group:
            link = turn.deep_link("selfcheck") if turn.deep_link else None
            if link is None:
                return [Reply(T_IN_GROUP_NO_LINK)]
            return [Reply(T_IN_GROUP, [[Button(L_PRIVATE, url=link)]])]
        restarted = isinstance(turn.state.get(FLOW), dict)
        _clear(turn)
        s: dict[str, Any] = {"answers": {}, "history": [], "current": None,
                             "nonce": secrets.token_hex(3)}
        turn.state["flow"] = FLOW
        turn.state[FLOW] = s
        turn.dialogue.emit("selfcheck_started", turn)
        rules = rules_of()
        first = rules.questions[0]
        s["current"] = first.id
        intro = Reply((T_RESTART + "\n" if restarted else "")
                      + T_INTRO.format(title=esc(turn.pack.title)))
        choice = _match_choice(first, arg) if arg else None
        if choice is not None:
            return [intro, *_answer(turn, rules, choice)]
        return [intro, _ask(turn, rules)]

    previous_cancel = d.commands.get("cancel")

    @d.command("cancel", previous_cancel.description if previous_cancel else "取消当前操作",
               menu=previous_cancel.menu if previous_cancel else True)
    def cancel(turn: Turn, arg: str) -> list[Reply]:
        if FLOW in turn.state:  # the dialogue has already ended the typed-input mode
            _clear(turn)
            return [Reply(T_CANCELLED)]
        if previous_cancel is not None:
            return previous_cancel.func(turn, arg)
        return [Reply("当前没有进行中的操作。")]

    @d.flow(FLOW)
    def on_text(turn: Turn, text: str) -> list[Reply] | None:
        s = _session(turn)
        if s is None:
            turn.state.pop("flow", None)
            return None
        rules = rules_of()
        q = _current(rules, s)
        if q is None:
            _clear(turn)
            return [Reply(T_NOT_RUNNING)]
        word = _normalise(text)
        if word in _CANCEL:
            _clear(turn)
            return [Reply(T_CANCELLED)]
        if word in _BACK:
            return _back(turn, rules)
        try:
            value = _parse(q, text, turn.today)
        except ValueError as e:
            return [Reply(esc(str(e))), _ask(turn, rules)]
        return _answer(turn, rules, value)

    @d.button(PREFIX)
    def on_button(turn: Turn, rest: str) -> list[Reply]:
        if rest == "new":
            return selfcheck(turn, "")
        nonce, _, rest = rest.partition(":")
        qid, _, action = rest.rpartition(":")
        s = _session(turn)
        rules = rules_of()
        if s is None:
            _clear(turn)
            return [Reply(T_NOT_RUNNING, popup=True)]
        if nonce != s["nonce"]:
            return [Reply(T_OTHER_RUN, popup=True)]
        q = _current(rules, s)
        if q is None:
            _clear(turn)
            return [Reply(T_NOT_RUNNING, popup=True)]
        turn.state["flow"] = FLOW  # a command in between ended typed input: the press resumes
        if qid != q.id:  # a question already answered, or not asked any more
            # The pressed message shows the question asked now: when the reply to an answer
            # was lost (a process killed after recording it), pressing again is how the user
            # finds the questionnaire where it stands, with the answer recorded in the list.
            return [Reply(T_STALE_POPUP, popup=True), *_replacing([_ask(turn, rules)])]
        if action == "cancel":
            _clear(turn)
            return [Reply(T_CANCELLED, replace=True)]
        if action == "back":
            return _replacing(_back(turn, rules))
        value = _button_value(q, action)
        if value is _INVALID:
            return [Reply(T_STALE_POPUP, popup=True)]
        return _replacing(_answer(turn, rules, value))


class _RulesOf:
    """The questionnaire of the dialogue's pack, loaded on first use."""

    def __init__(self, d: Dialogue) -> None:
        self.d = d

    def __call__(self) -> Rules:
        return load_rules(self.d.pack)


_INVALID = object()


# -- state ---------------------------------------------------------------------------------
def _session(turn: Turn) -> dict[str, Any] | None:
    s = turn.state.get(FLOW)
    ok = (isinstance(s, dict) and isinstance(s.get("answers"), dict)
          and isinstance(s.get("history"), list) and isinstance(s.get("nonce"), str))
    return s if ok else None


def _replacing(replies: list[Reply]) -> list[Reply]:
    """Answer a press by editing the questionnaire's message: the last reply (the next
    question or the result) takes its place; a note before it is sent on its own."""
    if replies:
        replies[-1].replace = True
    return replies


def _clear(turn: Turn) -> None:
    """Forget every answer (privacy: nothing is kept once the questionnaire ends)."""
    turn.state.pop(FLOW, None)
    if turn.state.get("flow") == FLOW:
        turn.state.pop("flow", None)


def _current(rules: Rules, s: dict[str, Any]) -> Question | None:
    try:
        return rules.question(str(s.get("current")))
    except KeyError:
        return None


def _answer_key(value: Any) -> Any:
    # In ask_if, a date answer to the previous-award question reads as "awarded".
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return "awarded"
    return value


def _asked(q: Question, answers: dict[str, Any]) -> bool:
    kind = answers.get("applicant_type")
    if not q.applies(kind):
        return False
    for key, allowed in (q.ask_if or {}).items():
        if key in answers and _answer_key(answers[key]) not in allowed:
            return False
    return True


def _sequence(rules: Rules, answers: dict[str, Any]) -> list[Question]:
    """The questions that will be asked, given the answers so far (later ones assumed asked).
    Two wordings of one question (the same facts, asked on different earlier answers) count
    once: only one of them will be asked."""
    seen: set[tuple[str | None, tuple[str, ...]]] = set()
    out = []
    for q in rules.questions:
        if not _asked(q, answers) or (q.clause, q.sets) in seen:
            continue
        seen.add((q.clause, q.sets))
        out.append(q)
    return out


def _ask(turn: Turn, rules: Rules) -> Reply:
    s = turn.state[FLOW]
    q = rules.question(s["current"])
    answers = s["answers"]
    if "applicant_type" in answers:
        order = _sequence(rules, answers)
        n = next(i for i, x in enumerate(order, start=1) if x.id == q.id)
        head = T_PROGRESS.format(n=n, total=len(order))
    else:  # the total depends on the first answer
        head = T_PROGRESS_FIRST
    if q.clause:
        head += T_BASIS.format(label=esc(rules.clause(q.clause).label))
    data = turn.owned(f"{PREFIX}:{s['nonce']}:{q.id}")
    rows: list[list[Button]] = []
    if q.kind == "choice":
        rows = [[Button(c.label, f"{data}:c{i}")] for i, c in enumerate(q.choices)]
    elif q.kind == "yesno":
        rows = [[Button(L_YES, f"{data}:y"), Button(L_NO, f"{data}:n"),
                 Button(L_UNSURE, f"{data}:u")]]
    elif q.kind == "number":
        rows = [[Button(L_UNSURE, f"{data}:u")]]
    elif q.kind == "date":
        rows = [[Button(L_NEVER, f"{data}:none"), Button(L_NO_DATE, f"{data}:nd"),
                 Button(L_UNSURE, f"{data}:u")]]
    rows.append([Button(L_BACK, f"{data}:back"), Button(L_CANCEL, f"{data}:cancel")])
    text = q.text_for(answers.get("applicant_type"))
    so_far = _answers_so_far(rules, s)
    return Reply(f"{so_far}{head}\n{esc(text)}", rows, expects_text=q.kind in ("number", "date"))


def _answers_so_far(rules: Rules, s: dict[str, Any]) -> str:
    """The answers given so far, one short line each, above the question being asked."""
    lines = []
    for qid in s["history"]:
        try:
            q = rules.question(qid)
        except KeyError:
            continue
        if qid in s["answers"]:
            lines.append(f"• {esc(_short(q.text_for(s['answers'].get('applicant_type'))))}："
                         f"{esc(_shown_answer(q, s['answers'][qid]))}")
    return (T_SO_FAR + "\n" + "\n".join(lines) + "\n\n") if lines else ""


def _short(text: str, n: int = 18) -> str:
    text = text.rstrip("？?。")
    return text if len(text) <= n else text[: n - 1] + "…"


def _shown_answer(q: Question, value: Any) -> str:
    if q.kind == "choice":
        return next((c.label for c in q.choices if c.value == value), str(value))
    if value is None:
        return L_UNSURE
    if q.kind == "yesno":
        return L_YES if value else L_NO
    if q.kind == "number":
        return f"{_fmt(float(value))}年"
    if q.kind == "date":
        return {"none": L_NEVER, "unknown": L_NO_DATE}.get(str(value), str(value))
    return str(value)


def _answer(turn: Turn, rules: Rules, value: Any) -> list[Reply]:
    s = turn.state[FLOW]
    q = rules.question(s["current"])
    s["answers"][q.id] = value
    s["history"].append(q.id)
    order = [x.id for x in rules.questions]
    later = order[order.index(q.id) + 1:]
    for qid in later:
        nxt = rules.question(qid)
        if _asked(nxt, s["answers"]):
            s["current"] = qid
            return [_ask(turn, rules)]
    return [_finish(turn, rules)]


def _back(turn: Turn, rules: Rules) -> list[Reply]:
    s = turn.state[FLOW]
    if not s["history"]:
        return [Reply(T_FIRST, popup=True), _ask(turn, rules)]
    s["current"] = s["history"].pop()
    return [_ask(turn, rules)]


# -- answers -------------------------------------------------------------------------------
def _normalise(text: str) -> str:
    return re.sub(r"[。．.！!，,\s]+$", "", text.strip()).strip().lower()


def _match_choice(q: Question, text: str) -> str | None:
    word = _normalise(text)
    for i, c in enumerate(q.choices, start=1):
        if word in {str(i), c.value, c.label.lower(), *c.words}:
            return c.value
    return None


def _parse(q: Question, text: str, today: dt.date) -> Any:
    """The answer to ``q`` typed as ``text``; ValueError carries a hint in Chinese."""
    word = _normalise(text)
    if q.kind == "choice":
        value = _match_choice(q, text)
        if value is None:
            raise ValueError(T_CHOICE_HINT)
        return value
    if q.kind == "yesno":
        for words, value in ((_UNSURE, None), (_YES, True), (_NO, False)):
            if word in words:
                return value
        raise ValueError(T_YESNO_HINT)
    if q.kind == "number":
        if word in _UNSURE:
            return None
        return parse_years(text, q.max if q.max is not None else 200, q.at_least, q.clause)
    if word in _UNSURE:
        return None  # not sure whether ever awarded: 第四条 and 第二十四条 stay unknown
    if word in _NO_DATE:
        return "unknown"  # awarded, the date not remembered
    if word in _NEVER:
        return "none"
    return parse_date(text, today).isoformat()


def _button_value(q: Question, action: str) -> Any:
    if q.kind == "choice" and action.startswith("c"):
        i = parse_int(action[1:], hi=len(q.choices) - 1)
        return q.choices[i].value if i is not None else _INVALID
    if action == "u" and q.kind in ("yesno", "number", "date"):
        return None
    if action == "nd" and q.kind == "date":
        return "unknown"
    if q.kind == "yesno" and action in ("y", "n"):
        return action == "y"
    if q.kind == "date" and action == "none":
        return "none"
    return _INVALID


_FULLWIDTH = str.maketrans("０１２３４５６７８９．－", "0123456789.-")


def parse_years(text: str, maximum: float, at_least: float | None = None,
                clause: str | None = None) -> float | int:
    """A number of years typed as 6, 5.5, ５, 5年, 五年, 五年半, 十二 or 约6年; ValueError with a
    hint. With ``at_least`` (the clause's 5年以上), an approximation on both sides of it
    (5年左右, 约5年, 差不多5年) is refused with a request for the number: never counted as met.
    """
    hint = T_NUMBER_HINT.format(max=_fmt(maximum))
    s = text.strip().translate(_FULLWIDTH).replace(" ", "")
    if s.startswith("-") and read_years(s[1:]) is not None:
        raise ValueError(T_NUMBER_NEGATIVE + hint)
    said = read_years(s)
    if said is None:
        raise ValueError(T_NUMBER_BAD.format(text=text.strip()[:20]) + hint)
    if said.value > maximum:
        raise ValueError(T_NUMBER_TOO_BIG.format(value=_fmt(said.value)) + hint)
    if at_least is not None and said.approximate:
        if said.at_least(at_least) is None:
            raise ValueError(T_NUMBER_APPROX.format(text=text.strip()[:20], at_least=_fmt(at_least),
                                                    label=_clause_label(clause)))
        value = said.representative()
    else:
        value = said.value
    return int(value) if float(value).is_integer() else value


def _clause_label(clause: str | None) -> str:
    from knowledge.pack import Ref

    if not clause:
        return "本项"
    article, _, item = clause.partition(".")
    a, i = parse_int(article), parse_int(item) if item else None
    return Ref(a, i).label if a else "本项"


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")


def parse_date(text: str, today: dt.date) -> dt.date:
    """A date typed as 2021-12-20, 2021/12/20 or 2021年12月20日; not after today."""
    m = _DATE.match(text.strip().translate(_FULLWIDTH))
    try:
        if m is None:
            raise ValueError
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(T_DATE_BAD.format(text=text.strip()[:20]) + T_DATE_HINT) from None
    if day > today:
        raise ValueError(T_DATE_FUTURE.format(date=day.isoformat()) + T_DATE_HINT)
    return day


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# -- the result ----------------------------------------------------------------------------
def facts_from_answers(rules: Rules, answers: dict[str, Any]) -> dict[str, Any]:
    """The public facts (as ``qabot selfcheck`` reads them) the answers amount to."""
    facts: dict[str, Any] = {}
    for q in rules.questions:
        if not q.applies(answers.get("applicant_type")):
            continue
        if not _asked(q, answers):
            facts.update(q.if_skipped or {})
            continue
        if q.id not in answers:
            continue
        value = answers[q.id]
        if q.kind == "date":
            if value == "none":
                facts["previously_awarded"] = False
            elif value == "unknown":
                facts["previously_awarded"] = True
            elif value is None:
                facts["previously_awarded"] = None  # asked, and not sure: unknown
            else:
                facts.update({k: value for k in q.sets})
        else:
            facts.update({k: value for k in q.sets})
    return facts


def _finish(turn: Turn, rules: Rules) -> Reply:
    from bot.features.pack_status import notice_text

    answers = dict(turn.state[FLOW]["answers"])
    _clear(turn)
    try:
        facts = with_today(validate_facts(facts_from_answers(rules, answers)), turn.today)
        verdict = evaluate(facts, turn.pack)
    except FactsError:  # answers edited into something inconsistent: start again
        return Reply(T_NOT_RUNNING, [[Button(L_AGAIN, turn.owned(f"{PREFIX}:new"))]])
    turn.dialogue.emit("selfcheck_finished", turn, verdict=verdict.verdict)
    # The 预审单 travels with the reply (a channel that can print shows it); it is not stored.
    report = build_report(rules, answers, facts, verdict, turn.pack)
    notice = notice_text(turn, dated=not verdict.barred)
    text = render_result(verdict, rules, notice=notice, pack=turn.pack)
    return Reply(text, [[Button(L_AGAIN, turn.owned(f"{PREFIX}:new"))]], data={"report": report})


def render_result(v: Verdict, rules: Rules, notice: str = "", pack: Pack | None = None) -> str:
    """Each clause ✅/❌/❓ with what it asks, the verdict, and for an applicant who may apply the
    priority, the date to apply again and the next steps; a barred applicant (第二十四条) gets
    none of those. Then a reminder that this is not the official review."""
    claims = load_claims(pack or configured.pack())
    lines = [T_RESULT_TITLE.format(kind=T_KIND[v.applicant_type])]
    if notice:
        lines.insert(0, f"<i>ℹ️ {esc(notice)}</i>\n")
    for c in v.clauses:
        if v.barred and not c.required:
            continue  # no priority note to an applicant barred for good (第二十四条)
        extra = "（优先条件）" if not c.required else ""
        lines.append(f"{MARK[str(c.status)]} <b>{esc(c.label)}</b>{extra}：{esc(c.shown or c.text)}")
        if c.note:
            lines.append(f"    <i>{esc(c.note)}</i>")
    lines += ["", T_VERDICT.format(summary=esc(v.summary()))]
    if not v.barred:
        if v.priority:
            label = next(c.label for c in v.clauses if not c.required)
            lines.append(esc(claims.text("selfcheck.priority", ref=label)))
        may_reapply = v.reapply_from and v.valid_until and all(
            c.status == "met" for c in v.clauses if c.id == "24")
        if may_reapply and v.reapply_from and v.valid_until:
            lines.append(esc(claims.text("selfcheck.reapply", until=v.valid_until.isoformat(),
                                         again=v.reapply_from.isoformat())))
        if rules.next_steps:
            lines += ["", T_STEPS if v.verdict != "ineligible" else T_PROCEDURE]
            lines += [f"{i}. {esc(st.text.rstrip('。'))}（{esc(st.ref.label)}）。"
                      for i, st in enumerate(rules.next_steps, start=1)]
    lines += ["", f"<i>{esc(claims.text('selfcheck.disclaimer'))}</i>"]
    return "\n".join(lines)
