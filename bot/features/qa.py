"""Questions about the measures: /start, /help, /toc, /article N, /search and free questions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.turn import Button, Reply, Turn, esc
from knowledge.numerals import to_chinese, to_int
from knowledge.regulation import Sentence
from knowledge.retrieval import Answer, Retriever

if TYPE_CHECKING:
    from bot.dialogue import Dialogue

logger = logging.getLogger(__name__)

EXAMPLES = ["公示期几天", "公司成立四年能申报吗", "奖金给多少", "获奖后能印在产品包装上吗", "第二十四条"]


def retriever(d: Dialogue) -> Retriever:
    r = getattr(d, "_retriever", None)
    if r is None:
        r = Retriever(d.pack)
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


# -- rendering ------------------------------------------------------------------------------
def article_label(d: Dialogue, number: int) -> str:
    return f"第{to_chinese(number)}条"


def cite(d: Dialogue, number: int) -> str:
    chapter = d.pack.regulation.chapter_of(number)
    return f"<b>{article_label(d, number)}</b>（{esc(chapter.label)}）"


def _quote_lines(d: Dialogue, quotes: list[Sentence]) -> str:
    art = d.pack.regulation.article(quotes[0].article)
    lines = []
    for s in quotes:
        label = art.item(s.item).label if s.item else ""
        lines.append(esc(label + s.text))
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


def answer_reply(d: Dialogue, ans: Answer) -> Reply:
    """Render a retrieval answer: the quote first, then the citation, then related articles."""
    r = retriever(d)
    if ans.kind == "empty":
        return Reply("请输入您的问题，例如：<i>公示期几天</i>。")
    if ans.kind == "no_such_article":
        total = len(d.pack.regulation.articles)
        n = ans.requested or 0
        name = f"第{to_chinese(n)}条" if 0 < n < 1000 else f"第{n}条"
        return Reply(f"《{esc(d.pack.title)}》共{total}条，没有{esc(name)}。"
                     "发送 /toc 查看目录。")
    if ans.kind == "out_of_scope" and ans.scope_reason:
        from bot.features.teach import declined_reply

        return declined_reply(d, ans.scope_reason, EXAMPLES[:3])
    if ans.kind == "out_of_scope":
        text = (f"抱歉，《{esc(d.pack.title)}》没有涉及这个问题，我只能回答与"
                f"{esc(d.pack.award_name)}有关的问题。\n您可以这样问："
                + "、".join(f"<i>{esc(e)}</i>" for e in EXAMPLES[:3]) + "。发送 /help 查看全部功能。")
        return Reply(text, _nav_buttons(d, ans.articles))
    if ans.kind == "suggest":
        text = "这个问题我没有把握回答，办法中没有直接对应的规定。您是不是想问："
        for n in ans.articles[:3]:
            text += f"\n• {article_label(d, n)} {esc(r.title(n))}"
        return Reply(text, _nav_buttons(d, ans.articles))
    if ans.kind == "reference":
        n = ans.requested or ans.articles[0]
        if ans.whole_article or not ans.quotes:
            return Reply(article_html(d, n), _nav_buttons(d, _neighbours(d, n)))
        return Reply(f"📖 {cite(d, n)}\n{_quote_lines(d, ans.quotes)}",
                     _nav_buttons(d, [], full=n))
    # answer / ambiguous
    tops = ans.articles[:2] if ans.kind == "ambiguous" else ans.articles[:1]
    parts = []
    if ans.kind == "ambiguous":
        parts.append("以下两条都与您的问题有关：")
    for n in tops:
        quotes = [s for s in ans.quotes if s.article == n]
        if ans.whole_article and not quotes:
            parts.append(article_html(d, n))
        else:
            parts.append(f"{_quote_lines(d, quotes)}\n—— {cite(d, n)}" if quotes
                         else article_html(d, n))
    related = [n for n in ans.articles if n not in tops]
    if related:
        parts.append("相关条款：" + "；".join(f"{article_label(d, n)} {esc(r.title(n))}"
                                          for n in related[:3]))
    buttons = _nav_buttons(d, related, full=tops[0], feedback=True)
    return Reply("\n\n".join(parts), buttons)


def _neighbours(d: Dialogue, n: int) -> list[int]:
    total = len(d.pack.regulation.articles)
    return [x for x in (n - 1, n + 1) if 1 <= x <= total]


def help_text(d: Dialogue, turn: Turn) -> str:
    lines = [f"我是<b>质量奖助手</b>，依据《{esc(d.pack.title)}》（{esc(d.pack.doc_number)}）回答问题，"
             "每个回答都注明出处条款。", "", "直接输入问题即可，例如："]
    lines += [f"• <i>{esc(e)}</i>" for e in EXAMPLES]
    lines += ["", "命令："]
    for cmd in d.commands.values():
        if cmd.menu and (not cmd.staff or turn.is_staff):
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
    return to_int(s) if s else None


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
    """Answer a free question with what staff taught so far, remember it for 👍/👎, and log it
    (no identity) for the office's triage, hot questions and numbers."""
    d = turn.dialogue
    ans = fresh_retriever(d).ask(text)
    d.emit("question", turn, answered=not ans.abstained)
    turn.state["last_question"] = {"text": text[:500], "articles": ans.articles}
    turn.state["qa_last"] = {"kind": ans.kind, "articles": ans.candidates,
                             "declined": ans.abstained}
    from bot.learning import outcome_of

    kind = outcome_of(ans) if log else None
    if kind is not None:
        qid = _log(turn, text, kind, ans.candidates if ans.abstained else ans.articles)
        if qid is not None:
            turn.state["last_question"]["id"] = qid
    return answer_reply(d, ans)


def _log(turn: Turn, text: str, kind: str, articles: list[int]) -> int | None:
    try:
        from bot.features.feedback import log_question
    except ImportError:
        return None
    try:
        return log_question(turn, text, kind, articles)
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
        text = (f"您好！我是<b>质量奖助手</b>，帮您读懂《{esc(d.pack.title)}》。\n"
                "• 问问题：直接输入，例如 <i>公示期几天</i>\n"
                "• 自查申报条件：/selfcheck\n"
                "• 获奖单位：查有效期、荣誉使用、到期提醒 /status\n"
                "发送 /help 查看全部功能。")
        from bot.features.teach import hot_buttons

        buttons = [*hot_buttons(turn), [Button("❓ 常见问题", "qa:examples")],
                   [Button("✅ 申报条件自查", "qa:selfcheck")],
                   [Button("🏅 获奖单位服务", "qa:winner")],
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
            flow = turn.state.pop("flow", None)
            return [Reply("已取消。" if flow else "当前没有进行中的操作。您可以直接提问。")]

    @d.button("art")
    def show_article(turn: Turn, rest: str) -> list[Reply]:
        n = to_int(rest.split(":")[0]) if rest else None
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
            i = to_int(rest[4:])
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
    return state.get("qa_last") or {"kind": "none", "articles": [], "declined": True}
