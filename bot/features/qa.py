"""Questions about the measures: /start, /help, /toc, /article N, /search and free questions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.turn import Button, Reply, Turn, esc
from knowledge.cache import cached_retriever
from knowledge.followup import answer_in_context
from knowledge.numerals import parse_int, to_chinese
from knowledge.regulation import Sentence
from knowledge.retrieval import Answer, Retriever

if TYPE_CHECKING:
    from bot.dialogue import Dialogue
    from knowledge.pack import Pack

logger = logging.getLogger(__name__)

EXAMPLES = ["公示期几天", "公司成立四年能申报吗", "奖金给多少", "获奖后能印在产品包装上吗", "第二十四条"]


def retriever(d: Dialogue) -> Retriever:
    r = getattr(d, "_retriever", None)
    if r is None:
        r = cached_retriever(d.pack)
        d._retriever = r  # type: ignore[attr-defined]
    return r


def fresh_retriever(d: Dialogue) -> Retriever:
    """The retriever with staff's latest learned layer: checked once per question, swapped when
    any process taught something (bot/learning.py)."""
    r = retriever(d)
    from bot.features.teach import live_layer

    live = live_layer(d)
    if live is not None:
        new = live.current(r)
        if new is not r:
            d._retriever = r = new  # type: ignore[attr-defined]
    return r


# -- user-facing text, kept together for review ----------------------------------------------
T_EMPTY = "请输入您的问题，例如：<i>公示期几天</i>。"
T_NO_ARTICLE = "《{title}》共{total}条，没有{name}。发送 /toc 查看目录。"
T_NOT_COVERED = ("抱歉，《{title}》没有涉及这个问题，我只能回答与{award}有关的问题。\n您可以这样问："
                 "{examples}。发送 /help 查看全部功能。")
T_MAYBE = "您是不是想问："
T_NEARBY = "办法中相关的规定："
T_NEARBY_REF = "相关条款："
T_VERIFY = "查询某个单位或个人是否获奖，可发送 /verify 名称。"
T_BEST = "没有找到直接回答这个问题的规定。最相关的是{cite}："
T_BEST_SECOND = "与之相近的还有{cite}："
T_ALSO = "您也可以看："
T_BOTH = "以下两条都与您的问题有关："
T_RELATED = "相关条款："
T_NEXT_STEP = "下一步，{cite}："
T_FIRST_STEP = "第一步，{cite}："
T_LAST_STEP = "最后一步，{cite}："
T_STEPS = "{chapter}共{n}步，依次是："
T_MORE = "{cite}还规定："
T_DONE = "{cite}的内容就是上面这些。"
T_NOTE = "注："
# verdicts on facts a question states (knowledge/facts.py; the rules' engine decides)
T_FACT_NO = "还不能。依据{label}，您说的“{stated}”不符合这一条件{note}。"
T_FACT_YES = "就您说的“{stated}”而言，符合{label}。"
# met because the clause does not apply (第八条（四） binds a unit head only): the rules' note says why
T_FACT_NA = "就您说的“{stated}”而言，不影响{label}：{note}。"
T_FACT_YES_PART = "就您说的“{stated}”而言，符合{label}；这一项的其他要求请一并核实。"
T_FACT_DEPENDS = "要看{missing}（依据{label}）。"
T_SELFCHECK_HINT = "想按这些条件逐条核对自己的情况，可发送 /selfcheck 自查。"
T_FACT_SELFCHECK = "其他条件可发送 /selfcheck 逐条自查。这只是按您说的情况作的初步判断，以正式的资格审查为准（第十二条）。"
# what the verdict says about revocation, validity and re-application is law: claims.yaml
# (answer.*), with the article it rests on and the counting basis beside every date
# where the channel knows who is asking (not on the web page): winners look up their award
T_ABILITY_STATUS = "\n• 获奖单位：查有效期和荣誉使用 /status"
SMALLTALK = {
    "greeting": "您好！我是质量奖助手，可以回答《{title}》的问题，例如 <i>公示期几天</i>、"
                "<i>公司成立四年能申报吗</i>；也可以发送 /selfcheck 自查申报条件。",
    "thanks": "不客气！还有问题随时问我。",
    "identity": "我是<b>质量奖助手</b>，依据《{title}》（{doc}）回答问题，每个回答都注明出处条款。"
                "我不是人工客服，办法没有规定的事项我会直说。",
    "abilities": "我可以：\n• 回答《{title}》的问题，引用条文原文，例如 <i>奖金给多少</i>\n"
                 "• 自查申报条件：/selfcheck\n• 查看条文：发送条号，例如 <i>第十五条</i> 或 <i>15</i>；"
                 "/toc 查看目录{status}\n发送 /help 查看全部功能。",
    "bye": "再见！有问题随时来问。",
    "ack": "好的。还有问题随时问我。",
}


# -- rendering ------------------------------------------------------------------------------
def article_label(d: Dialogue, number: int) -> str:
    return f"第{to_chinese(number)}条"


def cite(d: Dialogue, number: int) -> str:
    chapter = d.pack.regulation.chapter_of(number)
    return f"<b>{article_label(d, number)}</b>（{esc(chapter.label)}）"


def _quote_lines(d: Dialogue, quotes: list[Sentence]) -> str:
    art = d.pack.regulation.article(quotes[0].article)
    lines: list[str] = []
    prev: Sentence | None = None
    for s in quotes:
        if prev is not None and s.item and s.item == prev.item and s.index == prev.index + 1:
            lines[-1] += esc(s.text)  # the next sentence of the same item: one item, one line
        else:
            lines.append(esc((art.item(s.item).label if s.item else "") + s.text))
        prev = s
    return "<blockquote>" + "\n".join(lines) + "</blockquote>"


def article_html(d: Dialogue, number: int) -> str:
    art = d.pack.regulation.article(number)
    return f"📖 {cite(d, number)}\n<blockquote>{esc(art.text)}</blockquote>"


def _nav_buttons(d: Dialogue, numbers: list[int], *, full: int | None = None,
                 feedback: bool = False) -> list[list[Button]]:
    rows: list[list[Button]] = []
    r = retriever(d)
    if full is not None:
        rows.append([Button(f"📄 {article_label(d, full)}全文", f"art:{full}")])
    for n in numbers[:3]:
        rows.append([Button(f"{article_label(d, n)} {r.title(n)}", f"art:{n}")])
    if feedback:
        rows.append([Button("👍 有帮助", "fb:up"), Button("👎 没帮助", "fb:down")])
    return rows


def _notes(ans: Answer) -> str:
    return "".join(f"\n{T_NOTE}{esc(n)}" for n in dict.fromkeys(ans.notes))


def answer_reply(d: Dialogue, ans: Answer, *, offers_status: bool = True) -> Reply:
    """Render an answer: the quote first, then the citation, then related articles; a best
    answer says so and offers the alternatives; a decline says why. ``offers_status``: the
    channel runs /status (the web page, which knows no one, does not)."""
    r = retriever(d)
    if ans.kind == "empty":
        return Reply(T_EMPTY)
    if ans.kind == "smalltalk":
        text = SMALLTALK.get(ans.smalltalk or "", SMALLTALK["ack"])
        return Reply(text.format(title=esc(d.pack.title), doc=esc(d.pack.doc_number),
                                 status=T_ABILITY_STATUS if offers_status else ""))
    if ans.kind == "no_such_article":
        total = len(d.pack.regulation.articles)
        n = ans.requested or 0
        name = f"第{to_chinese(n)}条" if 0 < n < 1000 else f"第{n}条"
        return Reply(T_NO_ARTICLE.format(title=esc(d.pack.title), total=total, name=esc(name)))
    if ans.kind == "out_of_scope" and ans.scope_reason:
        from bot.features.teach import declined_reply

        return declined_reply(d, ans.scope_reason, EXAMPLES[:3])
    if ans.kind == "out_of_scope":
        return _declined(d, ans)
    if ans.kind == "reference":
        n = ans.requested or ans.articles[0]
        if ans.whole_article or not ans.quotes:
            return Reply(article_html(d, n) + _notes(ans), _nav_buttons(d, _neighbours(d, n)))
        return Reply(f"📖 {cite(d, n)}\n{_quote_lines(d, ans.quotes)}{_notes(ans)}",
                     _nav_buttons(d, [], full=n))
    if ans.kind == "best":
        parts = []
        for i, n in enumerate(ans.articles[:ans.shown]):
            quotes = [s for s in ans.quotes if s.article == n]
            body = _quote_lines(d, quotes) if quotes else \
                f"<blockquote>{esc(d.pack.regulation.article(n).text)}</blockquote>"
            parts.append((T_BEST if i == 0 else T_BEST_SECOND).format(cite=cite(d, n))
                         + "\n" + body)
        parts[-1] += _notes(ans)
        n = ans.articles[0]
        others = [x for x in ans.articles[ans.shown:ans.shown + 3]]
        if others:
            parts.append(T_ALSO + "；".join(f"{article_label(d, x)} {esc(r.title(x))}"
                                            for x in others))
        return Reply("\n\n".join(parts), _nav_buttons(d, others, full=n, feedback=True))
    if ans.reading is not None:
        return _verdict_reply(d, ans)
    if ans.followup == "done":
        n = ans.articles[0]
        others = ans.articles[1:4]
        text = T_DONE.format(cite=cite(d, n))
        if others:
            text += "\n" + T_ALSO + "；".join(f"{article_label(d, x)} {esc(r.title(x))}"
                                             for x in others)
        return Reply(text, _nav_buttons(d, others, full=n))
    if ans.followup == "steps":
        return _steps_reply(d, ans)
    # answer / ambiguous
    tops = ans.articles[:2] if ans.kind == "ambiguous" else ans.articles[:1]
    parts = []
    if ans.kind == "ambiguous":
        parts.append(T_BOTH)
    lead = ""
    if ans.followup in {"next", "first", "last"}:
        lead = {"next": T_NEXT_STEP, "first": T_FIRST_STEP, "last": T_LAST_STEP}[
            ans.followup].format(cite=cite(d, tops[0])) + "\n"
    elif ans.followup == "more":
        lead = T_MORE.format(cite=cite(d, tops[0])) + "\n"
    for n in tops:
        quotes = [s for s in ans.quotes if s.article == n]
        if ans.whole_article and not quotes:
            parts.append(article_html(d, n))
        else:
            parts.append(f"{lead}{_quote_lines(d, quotes)}\n—— {cite(d, n)}" if quotes
                         else article_html(d, n))
    if ans.notes:
        parts[-1] += _notes(ans)
    related = [n for n in ans.articles if n not in tops]
    if related:
        parts.append(T_RELATED + "；".join(f"{article_label(d, n)} {esc(r.title(n))}"
                                          for n in related[:3]))
    buttons = _nav_buttons(d, related, full=tops[0], feedback=True)
    conditions, bans = _condition_articles(d)
    if set(tops) & conditions and not set(ans.articles[:4]) & bans:
        # 申报条件有哪些: the self-check checks them one by one (never beside a ban)
        parts.append(T_SELFCHECK_HINT)
        buttons.insert(0, [Button("✅ 申报条件自查", "qa:selfcheck")])
    return Reply("\n\n".join(parts), buttons)


def _steps_reply(d: Dialogue, ans: Answer) -> Reply:
    """申报流程是什么: every step of the procedure chapter, each quoted from its article."""
    chapter = d.pack.regulation.chapter_of(ans.articles[0])
    parts = [T_STEPS.format(chapter=esc(chapter.label), n=to_chinese(len(ans.articles)))]
    for n in ans.articles:
        quotes = [s for s in ans.quotes if s.article == n]
        if quotes:
            parts.append(f"{_quote_lines(d, quotes)}\n—— {cite(d, n)}")
    return Reply("\n\n".join(parts), _nav_buttons(d, ans.articles[:6], feedback=True))


def _condition_articles(d: Dialogue) -> tuple[set[int], set[int]]:
    """The articles whose conditions the self-check asks about, by kind of applicant, and
    those of a permanent bar (第二十四条: 今后不得申报)."""
    from knowledge.eligibility import load_rules

    clauses = load_rules(d.pack).clauses
    return ({c.ref.article for c in clauses if c.applies_to != "all" and not c.permanent},
            {c.ref.article for c in clauses if c.permanent})


def _date(d: object) -> str:
    return f"{d.year}年{d.month}月{d.day}日"  # type: ignore[attr-defined]


def _span(pair: tuple) -> str:
    lo, hi = pair
    return _date(lo) if lo == hi else f"{_date(lo)}至{_date(hi)}之间"


def verdict_lines(ans: Answer, pack: Pack | None = None) -> str:
    """The rules' verdict on the facts a question states, before the quote."""
    from bot import configured
    from knowledge.claims import load_claims

    rd = ans.reading
    if rd is None:
        return ""
    claims = load_claims(pack or configured.pack())
    if rd.topic == "revoked":
        return esc(claims.text("answer.revoked"))
    if rd.topic == "revoked_use":
        return esc(claims.text("answer.revoked_use"))
    if rd.topic == "validity":
        v = rd.validity
        said = rd.findings[0].stated if rd.findings else ""
        until = _span(v["valid_until"])
        lines = []
        if v.get("asks_reapply"):
            if v["may_reapply"] is True:
                lines.append(claims.text("answer.reapply_yes"))
            elif v["may_reapply"] is False and v.get("reapply_from"):
                lines.append(claims.text("answer.reapply_not_yet", again=_span(
                    (min(v["reapply_from"]), max(v["reapply_from"])))))
            else:
                lines.append(claims.text("answer.depends_date", said=said, until=until))
            if v["may_reapply"] is not None:
                lines.append(claims.text("answer.valid_until", said=said, until=until))
        else:
            when = v.get("on_said", "")  # a time other than now: 2027年展会上还能用吗
            if v["may_use_honor"] is True:
                lines.append(claims.text("answer.valid_use_on", when=when) if when
                             else claims.text("answer.valid_use"))
            elif v["may_use_honor"] is False:
                lines.append(claims.text("answer.expired_use_on", when=when) if when
                             else claims.text("answer.expired_use"))
            if v["may_use_honor"] is None:
                lines.append(claims.text("answer.depends_date", said=said, until=until))
            else:
                lines.append(claims.text("answer.valid_until", said=said, until=until))
        return esc("".join(lines))
    lines = []
    for f in rd.findings:
        if f.status == "not_met":
            lines.append(T_FACT_NO.format(label=f.label, stated=f.stated,
                                          note=f"（{f.note}）" if f.note else ""))
        elif f.status == "depends":
            lines.append(T_FACT_DEPENDS.format(missing="、".join(rd.missing) or "具体情况",
                                               label=f.label))
        elif f.note:
            lines.append(T_FACT_NA.format(label=f.label, note=f.note, stated=f.stated))
        else:
            lines.append((T_FACT_YES_PART if f.partial else T_FACT_YES).format(
                label=f.label, stated=f.stated))
    return esc("".join(lines))


def _declined(d: Dialogue, ans: Answer) -> Reply:
    r = retriever(d)
    dec = ans.decline
    if dec is None or not dec.reason:  # nothing of the measures: the general answer
        text = T_NOT_COVERED.format(
            title=esc(d.pack.title), award=esc(d.pack.award_name),
            examples="、".join(f"<i>{esc(e)}</i>" for e in EXAMPLES[:3]))
        if ans.articles:
            text += "\n" + T_MAYBE + "".join(f"\n• {article_label(d, n)} {esc(r.title(n))}"
                                             for n in ans.articles[:3])
        return Reply(text, _nav_buttons(d, ans.articles))
    parts = [esc(dec.reason)]
    if dec.quote and ans.nearby:
        n = ans.nearby[0].article
        parts.append(f"{T_NEARBY}\n{_quote_lines(d, ans.nearby)}\n—— {cite(d, n)}")
    elif dec.nearby:
        parts.append(T_NEARBY_REF + "；".join(f"{article_label(d, n)} {esc(r.title(n))}"
                                             for n in dec.nearby))
    if dec.command == "verify":
        parts.append(T_VERIFY)
    return Reply("\n\n".join(parts), _nav_buttons(d, list(dec.nearby)))


def _verdict_reply(d: Dialogue, ans: Answer) -> Reply:
    """Verdict first, then the clauses quoted, then the self-check."""
    r = retriever(d)
    parts = [verdict_lines(ans, d.pack)]
    shown = []
    for n in dict.fromkeys(s.article for s in ans.quotes):
        quotes = [s for s in ans.quotes if s.article == n]
        parts.append(f"{_quote_lines(d, quotes)}\n—— {cite(d, n)}")
        shown.append(n)
    if ans.reading is not None and ans.reading.topic == "eligibility":
        parts.append(T_FACT_SELFCHECK)
    related = [n for n in ans.articles if n not in shown][:2]
    if ans.reading is not None and ans.reading.topic in ("revoked", "revoked_use"):
        related = []  # 第二十四条: never paired with a date or a next step (第四条, 第十七条)
    if related:
        parts.append(T_RELATED + "；".join(f"{article_label(d, n)} {esc(r.title(n))}"
                                          for n in related))
    rows = _nav_buttons(d, related, full=shown[0] if shown else None, feedback=True)
    if ans.reading is not None and ans.reading.topic == "eligibility":
        rows.insert(0, [Button("✅ 申报条件自查", "qa:selfcheck")])
    return Reply("\n\n".join(parts), rows)


def _neighbours(d: Dialogue, n: int) -> list[int]:
    total = len(d.pack.regulation.articles)
    return [x for x in (n - 1, n + 1) if 1 <= x <= total]


def help_text(d: Dialogue, turn: Turn) -> str:
    lines = [f"我是<b>质量奖助手</b>，依据《{esc(d.pack.title)}》（{esc(d.pack.doc_number)}）回答问题，"
             "每个回答都注明出处条款。", "", "直接输入问题即可，例如："]
    lines += [f"• <i>{esc(e)}</i>" for e in EXAMPLES]
    lines += ["", "命令："]
    for cmd in d.commands.values():
        if cmd.menu and (not cmd.staff or turn.is_staff) and turn.offers(cmd.name):
            lines.append(f"/{cmd.name} — {esc(cmd.description)}")
    return "\n".join(lines)


def toc_html(d: Dialogue) -> str:
    reg = d.pack.regulation
    r = retriever(d)
    lines = [f"<b>《{esc(d.pack.title)}》</b>（{esc(d.pack.doc_number)}）"]
    for ch in reg.chapters:
        lines.append(f"\n<b>{esc(ch.label)}</b>")
        for a in reg.articles:
            if a.chapter == ch.number:
                lines.append(f"{article_label(d, a.number)} {esc(r.title(a.number))}")
    lines.append("\n发送 /article 编号 查看条文，例如 /article 15。")
    return "\n".join(lines)


def parse_article_number(arg: str) -> int | None:
    s = arg.strip().removeprefix("第").removesuffix("条").strip()
    return parse_int(s) if s else None


def article_reply(d: Dialogue, arg: str) -> Reply:
    total = len(d.pack.regulation.articles)
    if not arg.strip():
        return Reply(f"请在命令后写条文编号，例如 /article 15 或 /article 第十五条（共{total}条）。",
                     expects_text=False)
    n = parse_article_number(arg)
    if n is None:
        return Reply(f"“{esc(arg[:20])}”不是条文编号。请写 1 到 {total} 的数字，例如 /article 15。")
    if not 1 <= n <= total:
        return Reply(f"《{esc(d.pack.title)}》共{total}条，没有第{n}条。发送 /toc 查看目录。")
    return Reply(article_html(d, n), _nav_buttons(d, _neighbours(d, n)))


def ask(turn: Turn, text: str, *, log: bool = True) -> Reply:
    """Answer a free message in the conversation, with what staff taught so far: follow-ups
    lean on the last topic (kept in the chat's state); remember it for 👍/👎; log it (no
    identity) for the office's triage, hot questions and numbers. Small talk is not logged."""
    d = turn.dialogue
    qa = turn.state.get("qa")
    topic = qa.get("topic") if isinstance(qa, dict) else None
    ans, topic = answer_in_context(fresh_retriever(d), text, topic, today=turn.today)
    turn.state["qa"] = {"topic": topic,
                        "last": {"kind": ans.kind, "articles": ans.candidates,
                                 "declined": ans.abstained}}
    if ans.kind == "smalltalk":
        return answer_reply(d, ans, offers_status=turn.offers("status"))
    d.emit("question", turn, answered=not ans.abstained)
    turn.state["last_question"] = {"text": text[:500], "articles": ans.articles}
    from bot.learning import outcome_of

    kind = outcome_of(ans) if log else None
    qid = None
    if kind is not None:
        qid = _log(turn, text, kind, ans.candidates if ans.abstained else ans.articles,
                   ans.lesson)
        if qid is not None:
            turn.state["last_question"]["id"] = qid
    return _votes_for(answer_reply(d, ans), qid)


def _votes_for(reply: Reply, answer_id: int | None) -> Reply:
    """👍/👎 name the answer they judge (its log row), so a vote lands on that answer however
    many questions were asked since; 0 when the answer was not logged."""
    reply.buttons = [[Button(b.label, f"fb:{answer_id or 0}:{b.data[3:]}")
                      if b.data in ("fb:up", "fb:down") else b for b in row]
                     for row in reply.buttons]
    return reply


def _log(turn: Turn, text: str, kind: str, articles: list[int],
         lesson: int | None = None) -> int | None:
    try:
        from bot.features.feedback import log_question
    except ImportError:
        return None
    try:
        return log_question(turn, text, kind, articles, lesson)
    except Exception:  # logging a question must never cost the user an answer
        logger.warning("could not log question", exc_info=True)
        return None


def inline_results(d: Dialogue, query: str) -> list[tuple[int, str, str]]:
    """Articles for an inline query: (number, title, html text), best first."""
    r = retriever(d)
    ans = r.ask(query)
    if ans.kind == "no_such_article" or not ans.articles:
        return []
    return [(n, f"{article_label(d, n)} {r.title(n)}", article_html(d, n))
            for n in ans.articles[:5]]


def register(d: Dialogue) -> None:
    @d.command("start", "开始使用")
    def start(turn: Turn, arg: str) -> list[Reply]:
        if arg.startswith("art_"):
            return [article_reply(d, arg[4:])]
        # Deep links (t.me/<bot>?start=…): selfcheck, subscribe, bind_<code>
        name, _, payload = arg.partition("_")
        if (arg in ("selfcheck", "subscribe") or name == "bind") and name in d.commands:
            return d.commands[name].func(turn, payload)
        text = (f"您好！我是<b>质量奖助手</b>，帮您读懂《{esc(d.pack.title)}》。\n"
                "• 问问题：直接输入，例如 <i>公示期几天</i>\n"
                "• 自查申报条件：/selfcheck\n"
                + ("• 获奖单位：查有效期、荣誉使用、到期提醒 /status\n" if turn.offers("status")
                   else "• 查获奖单位：/verify 名称；检查荣誉称号用法：/usage\n")
                + "发送 /help 查看全部功能。")
        from bot.features.teach import hot_buttons

        buttons = [*hot_buttons(turn), [Button("❓ 常见问题", "qa:examples")],
                   [Button("✅ 申报条件自查", "qa:selfcheck")],
                   *([[Button("🏅 获奖单位服务", "qa:winner")]] if turn.offers("status") else []),
                   [Button("📚 目录", "qa:toc")]]
        return [Reply(text, buttons)]

    @d.command("help", "使用说明")
    def help_(turn: Turn, arg: str) -> list[Reply]:
        return [Reply(help_text(d, turn))]

    @d.command("toc", "办法目录")
    def toc(turn: Turn, arg: str) -> list[Reply]:
        return [Reply(toc_html(d))]

    @d.command("article", "查看条文，例如 /article 15")
    def article(turn: Turn, arg: str) -> list[Reply]:
        return [article_reply(d, arg)]

    @d.command("search", "按关键词查找条文，例如 /search 公示")
    def search(turn: Turn, arg: str) -> list[Reply]:
        return [search_reply(d, arg)]

    if "cancel" not in d.commands:
        @d.command("cancel", "取消当前操作")
        def cancel(turn: Turn, arg: str) -> list[Reply]:
            flow = turn.ended_flow or turn.state.pop("flow", None)
            return [Reply("已取消。" if flow else "当前没有进行中的操作。您可以直接提问。")]

    @d.button("art")
    def show_article(turn: Turn, rest: str) -> list[Reply]:
        n = parse_int(rest.split(":")[0], digits_only=True) if rest else None
        total = len(d.pack.regulation.articles)
        if n is None or not 1 <= n <= total:
            return [Reply("这个按钮已失效，请重新发送问题。")]
        return [Reply(article_html(d, n), _nav_buttons(d, _neighbours(d, n)))]

    @d.button("qa")
    def menu(turn: Turn, rest: str) -> list[Reply]:
        if rest == "toc":
            return [Reply(toc_html(d))]
        if rest == "examples":
            return [Reply("您可以直接输入问题，例如：\n" + "\n".join(
                f"• {esc(e)}" for e in EXAMPLES),
                [[Button(e, f"qa:ask:{i}")] for i, e in enumerate(EXAMPLES)])]
        if rest.startswith("ask:"):
            i = parse_int(rest[4:], digits_only=True)
            if i is None or not 0 <= i < len(EXAMPLES):
                return [Reply("这个按钮已失效，请重新发送问题。")]
            return [ask(turn, EXAMPLES[i])]
        if rest in {"selfcheck", "winner"}:
            name = "selfcheck" if rest == "selfcheck" else "status"
            cmd = d.commands.get(name)
            if cmd:
                return cmd.func(turn, "")
            return [Reply("这个功能正在建设中。")]
        return [Reply("这个按钮已失效，请重新发送命令或问题。")]

    def fallback(turn: Turn, text: str) -> list[Reply]:
        return [ask(turn, text)]

    d.fallback = fallback


def search_reply(d: Dialogue, keyword: str) -> Reply:
    kw = keyword.strip()
    if not kw:
        return Reply("请在命令后写关键词，例如 /search 公示。")
    if len(kw) > 50:
        return Reply("关键词太长了，请写 50 个字以内。")
    found = retriever(d).search(kw)
    if not found:
        return Reply(f"办法中没有“{esc(kw)}”。试试换个说法，或直接提问。")
    total = sum(len(s) for _, s in found)
    lines = [f"“{esc(kw)}”出现在 {len(found)} 条、{total} 句中："]
    for art, sentences in found:
        lines.append(f"\n<b>{article_label(d, art.number)}</b>")
        for s in sentences:
            label = art.item(s.item).label if s.item else ""
            lines.append(f"• {esc(label + s.text)}")
    return Reply("\n".join(lines))


def last_outcome(state: dict) -> dict:
    """What the last free message got: its kind, the articles shown and whether it was declined."""
    qa = state.get("qa")
    last = qa.get("last") if isinstance(qa, dict) else None
    return last or {"kind": "none", "articles": [], "declined": True}
