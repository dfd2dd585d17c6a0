"""Staff teach the bot in chat, and everyone sees 热点问题.

Staff (all commands and the ``lrn``/``hotx`` buttons are staff-only):

- ``/feedback [天数]``: the open questions in groups of near-duplicates, one message per group
  with the bot's candidate articles first. A press handles the whole group:
  归到第N条 (then 第X项 or the sentence that answers), 其他条款, 同义词, 不在办法范围内 (then
  a reason), 忽略.
  Every button names the question row it acts on (``lrn:a:<row>:<article>``), so a press means
  the same in any process; the reply shows what the next user asking it will get, with ↩ 撤销.
- ``/synonym 用户说法 办法用词``, ``/learned`` (what was taught, with undo), ``/stats [天数]``,
  ``/hot`` (pin or hide a hot question).

Everyone: ``/start`` offers the hot questions as buttons (``hot:<article>:<row>``).
The core is ``bot/learning.py``, ``bot/hot.py`` and ``bot/stats.py``.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.features.feedback import sessions_of
from bot.turn import BadNumber, Button, Reply, Turn, esc, number_arg
from knowledge.learned import REASONS
from knowledge.lexicon import is_cjk, normalize
from knowledge.numerals import parse_int, to_chinese

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.dialogue import Dialogue
    from bot.hot import HotQuestion
    from bot.learning import Group, LiveLayer
    from bot.storage.models import Lesson
    from knowledge.retrieval import Retriever

logger = logging.getLogger(__name__)

PAGE = 5  # groups shown by one /feedback
HOT_LIMIT = 4
HOT_CACHE_SECONDS = 300.0
STATS_DAYS = 7

TEXTS = {
    "no_db": "这个功能需要数据库，当前未连接。",
    "stale": "这个按钮已失效，请重新发送 /feedback。",
    "none": "最近 {days} 天没有待处理的问题。👍",
    "head": "<b>待处理的问题</b>：最近 {days} 天共 {groups} 组（{questions} 条，匿名）。"
            "相近的问法已归为一组，按一次按钮即处理整组。",
    "more": "另有 {n} 组，处理完后再发送 /feedback，或按“下一个”。",
    "pick_item": "把“{q}”归到{article}的哪一项或哪一句？（下一位用户会看到这一句）",
    "pick_article": "把“{q}”归到哪一条？",
    "pick_reason": "“{q}”为什么不在办法范围内？用户再问（或换个相近的说法问）时，机器人会这样说明。",
    "pick_word": "“{q}”中哪个词是用户的说法？\n也可以直接发送：/synonym 用户说法 办法用词",
    "no_word": "“{q}”中没有办法以外的词语。可以直接发送：/synonym 用户说法 办法用词",
    "pick_canonical": "“{word}”相当于办法中的哪个词？\n也可以直接发送：/synonym {word} 办法用词",
    "taught": "✅ 已学会（第{lesson}号）：{what}",
    "now_gets": "现在问“{q}”会得到：",
    "still": "⚠️ 但现在问“{q}”得到的仍是：{got}。可以撤销，或把它归到别处。",
    "overruled": "ℹ️ 知识包的范围规则原本不回答这个问题（{why}）。按您的归类，这个问题和几乎相同的"
                 "问法今后引用{article}作答；别的问法仍按原规则。",
    "ignored": "已忽略这一组（{n} 条）。",
    "undone": "↩ 已撤销第{lesson}号教学：{what}。相关问题重新列入 /feedback。",
    "left": "还有 {n} 组待处理。",
    "all_done": "全部处理完了。",
    "synonym_usage": "用法：/synonym 用户说法 办法用词，例如 /synonym 开张 经营",
    "learned_none": "还没有教过机器人。发送 /feedback 开始。",
    "learned_head": "<b>已教给机器人的内容</b>（共 {n} 项，最近的在前）：",
    "hot_none": "最近 {days} 天还没有足够多的问题（每条至少 {min} 次才显示）。",
    "hot_head": "<b>热点问题</b>（最近 {days} 天，/start 中显示前 {limit} 个）：",
    "hot_hidden": "已隐藏：{arts}",
    "hot_done": "已更新热点问题：{what}。",
    "hot_intro": "🔥 大家最近常问：",
}
L_WHOLE = "整条（不分项）"
L_MORE = "📚 其他条款…"
L_SYNONYM = "🔤 同义词…"
L_SCOPE = "🚫 不在办法范围内…"
L_IGNORE = "🗑 忽略"
L_UNDO = "↩ 撤销"
L_NEXT = "➡ 下一个"


# -- plumbing -------------------------------------------------------------------------------------


def live_layer(d: Dialogue) -> LiveLayer | None:
    """The dialogue's link to the learned layer in the database (None without storage)."""
    live = getattr(d, "_learned_live", None)
    if live is None:
        factory = sessions_of(d.services)
        if factory is None:
            return None
        from bot.learning import LiveLayer

        live = LiveLayer(factory, d.pack.id)
        d._learned_live = live  # type: ignore[attr-defined]
    return live


def _setting(d: Dialogue, name: str, default: int) -> int:
    value = getattr(getattr(d.services, "settings", None), name, default)
    return value if isinstance(value, int) else default


def retention_days(d: Dialogue) -> int:
    from bot.learning import DEFAULT_RETENTION_DAYS

    return _setting(d, "question_retention_days", DEFAULT_RETENTION_DAYS)


def _now(d: Dialogue) -> dt.datetime:
    clock = getattr(d.services, "now", None)
    return clock() if callable(clock) else dt.datetime.now(dt.UTC)


def _session(d: Dialogue) -> Any:
    from bot.storage import session_scope

    factory = sessions_of(d.services)
    return session_scope(factory) if factory is not None else None


def fresh(d: Dialogue) -> Retriever:
    """The dialogue's retriever with the learned layer as the database has it now."""
    from bot.features.qa import fresh_retriever

    return fresh_retriever(d)


def _int(text: str, limit: int = 9) -> int | None:
    # an id in a button's data or before a word (/synonym 12 开张 经营): digits only, read by
    # the one parser for typed numbers (isdigit() says yes to ², which int() refuses)
    return parse_int(text, max_digits=limit, digits_only=True)


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _label(d: Dialogue, article: int, item: int | None = None) -> str:
    s = f"第{to_chinese(article)}条"
    return s + (f"第（{to_chinese(item)}）项" if item else "")


def purge_expired(d: Dialogue) -> int:
    """Delete logged questions past ``QUESTION_RETENTION_DAYS`` (the Telegram app runs this
    daily and at start-up; ``qabot feedback purge`` by hand or from cron)."""
    from bot.learning import purge

    if sessions_of(d.services) is None:
        return 0
    with _session(d) as s:
        return purge(s, _now(d), retention_days(d))


def count(turn: Turn, event: str) -> None:
    """Count an event for /stats (self-check started, a verdict); never raises."""
    from bot.stats import record

    record(sessions_of(turn.dialogue.services), turn.today, event)


# -- /feedback ------------------------------------------------------------------------------------


def _group_reply(d: Dialogue, g: Group) -> Reply:
    from bot.learning import KIND_LABEL

    r = fresh(d)
    kinds = " ".join(f"{KIND_LABEL.get(k, k)}×{n}" for k, n in g.kinds.most_common())
    lines = [f"<b>第{g.id}号</b> {kinds}", f"<i>{esc(_short(g.text, 120))}</i>"]
    if len(g.wordings) > 1:
        lines.append("相近的说法：" + "；".join(esc(_short(w, 40)) for w in g.wordings[1:4]))
    if g.candidates:
        lines.append("机器人的候选：" + "、".join(
            f"{_label(d, a)} {esc(r.title(a))}" for a in g.candidates))
    rows = [[Button(f"归到{_label(d, a)} {_short(r.title(a), 14)}", f"lrn:a:{g.id}:{a}")]
            for a in g.candidates]
    rows.append([Button(L_MORE, f"lrn:m:{g.id}"), Button(L_SYNONYM, f"lrn:s:{g.id}")])
    rows.append([Button(L_SCOPE, f"lrn:o:{g.id}"), Button(L_IGNORE, f"lrn:x:{g.id}")])
    return Reply("\n".join(lines), rows)


def open_groups(d: Dialogue, days: int) -> list[Group]:
    """Purge what is past retention, then the open groups (candidates for the first page)."""
    from bot.learning import candidates, purge, triage

    now = _now(d)
    with _session(d) as s:
        purge(s, now, retention_days(d))
        groups = triage(s, now, days)
    r = fresh(d)
    for g in groups[:PAGE]:
        g.candidates = candidates(r, g.text, g.cited)
    return groups


def triage_replies(turn: Turn, arg: str) -> list[Reply]:
    """/feedback [天数]: a header, then one message per open group with its buttons."""
    d = turn.dialogue
    if sessions_of(d.services) is None:
        return [Reply(TEXTS["no_db"])]
    keep = retention_days(d)
    try:  # questions are kept `keep` days: a longer window would promise what is deleted
        days = number_arg(arg, keep, lo=1, hi=keep, what="天数", example="/feedback 30")
    except BadNumber as e:
        return [Reply(esc(e))]
    groups = open_groups(d, days)
    if not groups:
        return [Reply(TEXTS["none"].format(days=days))]
    head = TEXTS["head"].format(days=days, groups=len(groups),
                                questions=sum(g.count for g in groups))
    if len(groups) > PAGE:
        head += "\n" + TEXTS["more"].format(n=len(groups) - PAGE)
    return [Reply(head), *(_group_reply(d, g) for g in groups[:PAGE])]


def _next(turn: Turn) -> list[Reply]:
    d = turn.dialogue
    groups = open_groups(d, retention_days(d))
    if not groups:
        return [Reply(TEXTS["all_done"])]
    return [Reply(TEXTS["left"].format(n=len(groups))), _group_reply(d, groups[0])]


def _group(d: Dialogue, qid: int) -> Group:
    from bot.learning import group_of

    with _session(d) as s:
        return group_of(s, qid, _now(d), retention_days(d))


@dataclass
class Taught:
    """One decision taken, and what the next user asking will get."""

    lesson_id: int
    what: str
    previews: list[tuple[str, str]] = field(default_factory=list)  # (question, reply text)
    still: list[tuple[str, str]] = field(default_factory=list)  # (question, what it gets instead)
    overruled: tuple[str, str] | None = None  # (the pack's scope rule overruled, the article)


def apply(d: Dialogue, action: Callable[[Session, dt.datetime], Lesson]) -> Taught:
    """Run one decision in a transaction, swap this process's layer, and ask the taught
    question again (chat and CLI both show the result)."""
    from bot.features.qa import answer_reply, retriever
    from bot.learning import accept, describe, questions_of, to_layer
    from knowledge.learned import outcome

    with _session(d) as s:
        lesson = action(s, _now(d))
        assert lesson.id is not None
        taught = Taught(lesson.id, describe(lesson, d.pack))
        layer = to_layer([lesson])
        probes = questions_of(lesson)[:1]
    if layer.samples:  # the layer in hand does not hold this lesson yet
        sample = layer.samples[0]
        decline = retriever(d).ask(sample.question).decline
        if decline is not None:
            taught.overruled = (decline.reason or decline.topic,
                                _label(d, sample.article, sample.item))
    r = fresh(d)  # the generation moved: this process swaps its layer now
    today = d.today()
    for q in probes:
        ans = r.ask(q, today=today)
        reply = answer_reply(d, ans).html
        taught.previews.append((q, html.unescape(re.sub(r"<[^>]+>", "", reply))))
        if layer.synonyms and not ans.abstained and ans.articles:
            with _session(d) as s:  # what the question gets now: a regression case
                accept(s, taught.lesson_id, ans.articles[0])
    for lesson_q in (*layer.samples[:1], *layer.out_of_scope[:1]):
        got = outcome(r, lesson_q, today)
        if got is not None:
            taught.still.append((lesson_q.question, got))
    return taught


def _teach(turn: Turn, action: Callable[[Session, dt.datetime], Lesson]) -> list[Reply]:
    t = apply(turn.dialogue, action)
    lines = [TEXTS["taught"].format(lesson=t.lesson_id, what=esc(t.what))]
    for q, text in t.previews:
        lines += [TEXTS["now_gets"].format(q=esc(_short(q))),
                  f"<blockquote>{esc(_short(text, 220))}</blockquote>"]
    for q, got in t.still:
        lines.append(TEXTS["still"].format(q=esc(_short(q)), got=esc(got)))
    if t.overruled:
        why, where = t.overruled
        lines.append(TEXTS["overruled"].format(why=esc(_short(why, 60)), article=esc(where)))
    return [Reply("\n".join(lines), [[Button(L_UNDO, f"lrn:u:{t.lesson_id}"),
                                      Button(L_NEXT, "lrn:n")]])]


def _assign(turn: Turn, qid: int, article: int, item: int | None,
            sentence: int | None = None) -> list[Reply]:
    from bot.learning import assign

    d = turn.dialogue
    return _teach(turn, lambda s, now: assign(s, qid, article, item, d.pack, now,
                                              retention_days(d), sentence))


def parts(d: Dialogue, article: int) -> list[tuple[str, str]]:
    """What of an article a question may point at: each item, and each sentence outside the
    items (not the article's heading or a list's lead-in): (label, data suffix)."""
    art = d.pack.regulation.article(article)
    out: list[tuple[str, str]] = []
    seen_items: set[int] = set()
    for s in art.sentences:
        if s.item is not None:
            if s.item not in seen_items:
                seen_items.add(s.item)
                out.append((f"{art.item(s.item).label}{art.item(s.item).text}", f"i:{s.item}"))
        elif not (art.heading and s.text == art.heading + "。") and not (
                art.items and s.text.endswith("：")):
            out.append((f"“{s.text}”", f"t:{s.index}"))
    return out


def _pick_item(turn: Turn, qid: int, article: int) -> list[Reply]:
    """After 归到第N条: which item or sentence answers (the quote the next user gets)."""
    d = turn.dialogue
    total = len(d.pack.regulation.articles)
    if not 1 <= article <= total:
        return [Reply(TEXTS["stale"])]
    options = parts(d, article)
    if len(options) <= 1:
        return _assign(turn, qid, article, None)
    g = _group(d, qid)
    rows = []
    for label, suffix in options:
        kind, _, number = suffix.partition(":")
        rows.append([Button(_short(label, 26), f"lrn:{kind}:{qid}:{article}:{number}")])
    rows.append([Button(L_WHOLE, f"lrn:i:{qid}:{article}:0")])
    label = d.pack.regulation.article(article).label
    return [Reply(TEXTS["pick_item"].format(q=esc(_short(g.text)), article=label), rows)]


def _pick_article(turn: Turn, qid: int) -> list[Reply]:
    d = turn.dialogue
    g = _group(d, qid)
    numbers = [a.number for a in d.pack.regulation.articles]
    rows = [[Button(_label(d, n), f"lrn:a:{qid}:{n}") for n in numbers[i:i + 4]]
            for i in range(0, len(numbers), 4)]
    return [Reply(TEXTS["pick_article"].format(q=esc(_short(g.text))), rows)]


def _pick_reason(turn: Turn, qid: int) -> list[Reply]:
    g = _group(turn.dialogue, qid)
    rows = [[Button(r.label, f"lrn:r:{qid}:{code}")] for code, r in REASONS.items()]
    return [Reply(TEXTS["pick_reason"].format(q=esc(_short(g.text))), rows)]


def _user_words(r: Retriever, d: Dialogue, text: str) -> list[str]:
    """Words of a question the measures do not use: candidates for a synonym."""
    from bot.learning import measures_use

    out: list[str] = []
    for w in r.seg.cut(normalize(text)[:200]):
        if (2 <= len(w) <= 8 and all(is_cjk(c) for c in w) and w not in r.stopwords
                and w not in out and not measures_use(d.pack, w)):
            out.append(w)
    return out[:6]


def _pick_word(turn: Turn, qid: int) -> list[Reply]:
    d = turn.dialogue
    g = _group(d, qid)
    words = [w for w in _user_words(fresh(d), d, g.text)
             if len(f"lrn:w:{qid}:{w}".encode()) <= 64]
    if not words:
        return [Reply(TEXTS["no_word"].format(q=esc(_short(g.text))))]
    rows = [[Button(w, f"lrn:w:{qid}:{w}") for w in words[i:i + 3]]
            for i in range(0, len(words), 3)]
    return [Reply(TEXTS["pick_word"].format(q=esc(_short(g.text))), rows)]


def _canonicals(r: Retriever, d: Dialogue, word: str, articles: list[int]) -> list[str]:
    """Words of the measures the user's word may stand for: the candidate articles' terms and
    the pack's synonym targets, the ones sharing characters with the word first."""
    from rapidfuzz import fuzz

    from bot.learning import measures_use

    pool: list[str] = []
    for a in articles:
        pool += r.terms.get(a, [])
    pool += list(dict.fromkeys(c for cs in r.synonyms.values() for c in cs))
    seen: list[str] = []
    for w in pool:
        if w not in seen and w != word and 2 <= len(w) <= 8 and measures_use(d.pack, w):
            seen.append(w)
    text = normalize(d.pack.text)
    seen.sort(key=lambda w: (-len(set(w) & set(word)), -text.count(w), -fuzz.ratio(w, word)))
    return seen[:8]


def _pick_canonical(turn: Turn, qid: int, word: str) -> list[Reply]:
    from bot.learning import candidates

    d = turn.dialogue
    g = _group(d, qid)
    r = fresh(d)
    if word not in _user_words(r, d, g.text):
        return [Reply(TEXTS["stale"])]
    options = [c for c in _canonicals(r, d, word, candidates(r, g.text, g.cited))
               if len(f"lrn:c:{qid}:{word}:{c}".encode()) <= 64]
    rows = [[Button(c, f"lrn:c:{qid}:{word}:{c}") for c in options[i:i + 3]]
            for i in range(0, len(options), 3)]
    return [Reply(TEXTS["pick_canonical"].format(word=esc(word)), rows)]


def _synonym(turn: Turn, word: str, canonical: str, qid: int | None) -> list[Reply]:
    from bot.learning import add_synonym

    d = turn.dialogue
    r = fresh(d)
    return _teach(turn, lambda s, now: add_synonym(s, word, canonical, d.pack, r, now, qid,
                                                   retention_days(d)))


def _out_of_scope(turn: Turn, qid: int, reason: str) -> list[Reply]:
    from bot.learning import mark_out_of_scope

    d = turn.dialogue
    return _teach(turn, lambda s, now: mark_out_of_scope(s, qid, reason, d.pack, now,
                                                         retention_days(d)))


def _ignore(turn: Turn, qid: int) -> list[Reply]:
    from bot.learning import ignore

    d = turn.dialogue
    with _session(d) as s:
        n = ignore(s, qid, _now(d), retention_days(d))
    return [Reply(TEXTS["ignored"].format(n=n), [[Button(L_NEXT, "lrn:n")]])]


def _undo(turn: Turn, lesson_id: int) -> list[Reply]:
    from bot.learning import describe, undo

    d = turn.dialogue
    with _session(d) as s:
        lesson = undo(s, lesson_id, _now(d))
        what = describe(lesson, d.pack)
    fresh(d)
    return [Reply(TEXTS["undone"].format(lesson=lesson_id, what=esc(what)),
                  [[Button(L_NEXT, "lrn:n")]])]


def on_teach_button(turn: Turn, rest: str) -> list[Reply]:
    """``lrn:<action>:<row>[:…]``: one triage step on the question row the data names."""
    from bot.learning import LearningError

    d = turn.dialogue
    if sessions_of(d.services) is None:
        return [Reply(TEXTS["no_db"])]
    action, _, args = rest.partition(":")
    parts = args.split(":") if args else []
    nums = [_int(p) for p in parts]
    try:
        if action == "n" and not parts:
            return _next(turn)
        if action == "u" and len(parts) == 1 and nums[0] is not None:
            return _undo(turn, nums[0])
        if not parts or nums[0] is None:
            return [Reply(TEXTS["stale"])]
        qid = nums[0]
        if action == "a" and len(parts) == 2 and nums[1] is not None:
            return _pick_item(turn, qid, nums[1])
        if action == "i" and len(parts) == 3 and nums[1] is not None and nums[2] is not None:
            return _assign(turn, qid, nums[1], nums[2] or None)
        if action == "t" and len(parts) == 3 and nums[1] is not None and nums[2] is not None:
            return _assign(turn, qid, nums[1], None, nums[2])
        if action == "m" and len(parts) == 1:
            return _pick_article(turn, qid)
        if action == "s" and len(parts) == 1:
            return _pick_word(turn, qid)
        if action == "w" and len(parts) == 2 and parts[1]:
            return _pick_canonical(turn, qid, parts[1])
        if action == "c" and len(parts) == 3 and parts[1] and parts[2]:
            return _synonym(turn, parts[1], parts[2], qid)
        if action == "o" and len(parts) == 1:
            return _pick_reason(turn, qid)
        if action == "r" and len(parts) == 2 and parts[1] in REASONS:
            return _out_of_scope(turn, qid, parts[1])
        if action == "x" and len(parts) == 1:
            return _ignore(turn, qid)
    except LearningError as e:
        return [Reply(esc(str(e)), [[Button(L_NEXT, "lrn:n")]])]
    return [Reply(TEXTS["stale"])]


def synonym_command(turn: Turn, arg: str) -> list[Reply]:
    """/synonym [编号] 用户说法 办法用词"""
    from bot.learning import LearningError

    if sessions_of(turn.dialogue.services) is None:
        return [Reply(TEXTS["no_db"])]
    for sep in ("=", "＝", "→", "->", "，", ","):
        arg = arg.replace(sep, " ")
    parts = arg.split()
    qid = _int(parts[0]) if parts else None
    if qid is not None:
        parts = parts[1:]
    if len(parts) != 2:
        return [Reply(TEXTS["synonym_usage"])]
    try:
        return _synonym(turn, parts[0], parts[1], qid)
    except LearningError as e:
        return [Reply(esc(str(e)))]


def learned_reply(turn: Turn) -> list[Reply]:
    from bot.learning import describe, lessons

    d = turn.dialogue
    if sessions_of(d.services) is None:
        return [Reply(TEXTS["no_db"])]
    with _session(d) as s:
        rows = [(lesson.id, describe(lesson, d.pack), lesson.created_at)
                for lesson in reversed(lessons(s, d.pack.id))]
    if not rows:
        return [Reply(TEXTS["learned_none"])]
    lines = [TEXTS["learned_head"].format(n=len(rows))]
    lines += [f"第{i}号（{at:%m-%d}）{esc(_short(what, 80))}" for i, what, at in rows[:15]]
    if len(rows) > 15:
        lines.append(f"…另有 {len(rows) - 15} 项，见 qabot feedback learned。")
    buttons = [[Button(f"{L_UNDO}第{i}号", f"lrn:u:{i}") for i, _, _ in rows[j:j + 3]]
               for j in range(0, min(len(rows), 9), 3)]
    return [Reply("\n".join(lines), buttons)]


# -- /stats ---------------------------------------------------------------------------------------


def topic_words(r: Retriever) -> Callable[[str], list[str]]:
    """Words of a question the measures never use (所得税, 电话): the topics of what the bot
    declined."""

    def words(text: str) -> list[str]:
        return [w for w in r.seg.cut(normalize(text)[:200])
                if len(w) >= 2 and all(is_cjk(c) for c in w) and w not in r.stopwords
                and w not in r.vocabulary]

    return words


def stats_reply(turn: Turn, arg: str) -> list[Reply]:
    from bot.stats import compute, render

    d = turn.dialogue
    if sessions_of(d.services) is None:
        return [Reply(TEXTS["no_db"])]
    try:
        days = number_arg(arg, STATS_DAYS, lo=1, hi=366, what="天数", example="/stats 30")
    except BadNumber as e:
        return [Reply(esc(e))]
    with _session(d) as s:
        stats = compute(s, turn.today, days, ZoneInfo(str(d.pack.meta.get("timezone", "Asia/Shanghai"))),
                        topic_words=topic_words(fresh(d)))
    lines = render(stats, lambda a: _label(d, a))
    return [Reply("<b>质量奖助手运行情况</b>\n" + "\n".join(esc(ln) for ln in lines))]


# -- 热点问题 -------------------------------------------------------------------------------------


def hot_questions(d: Dialogue, *, refresh: bool = False) -> list[HotQuestion]:
    """The hot questions to offer (pinned first), cached per process until the learned
    generation moves or a few minutes pass. The web chat calls this too."""
    from bot.hot import hot_questions as compute

    live = live_layer(d)
    if live is None:
        return []
    cached = getattr(d, "_hot_cache", None)
    try:
        generation = live.generation()
        if (not refresh and cached is not None and cached[0] == generation
                and time.monotonic() - cached[1] < HOT_CACHE_SECONDS):
            return cached[2]
        r = fresh(d)
        samples: dict[int, list[str]] = {}
        for article, q, _ in r.questions:
            samples.setdefault(article, []).append(q)
        with _session(d) as s:
            hot = compute(s, _now(d), days=_setting(d, "hot_days", 30),
                          min_count=_setting(d, "hot_min_count", 5), samples=samples,
                          limit=HOT_LIMIT)
    except Exception:  # noqa: BLE001 - /start must work without them
        logger.warning("hot questions unavailable", exc_info=True)
        return cached[2] if cached else []
    d._hot_cache = (generation, time.monotonic(), hot)  # type: ignore[attr-defined]
    return hot


def hot_texts(d: Dialogue) -> list[str]:
    """The hot questions' wordings, for a channel that sends the wording as a question (web)."""
    return [h.text for h in hot_questions(d)]


def hot_buttons(turn: Turn) -> list[list[Button]]:
    """One button per hot question, for /start. The web chat shows them its own way (the
    session's ``hot_questions``, from :func:`hot_texts`), so not twice there."""
    if turn.channel == "web":
        return []
    out = []
    for h in hot_questions(turn.dialogue):
        out.append([Button(f"🔥 {_short(h.text, 24)}", f"hot:{h.article}:{h.row_id}")])
    return out


def _hot_text(d: Dialogue, article: int, row_id: int) -> str | None:
    from bot.learning import ANSWERED, articles_of
    from bot.storage.models import QuestionLog

    if row_id:
        with _session(d) as s:
            row = s.get(QuestionLog, row_id)
            if row is not None and row.kind == ANSWERED and articles_of(row.articles)[:1] == [
                    article]:
                return row.text
    for h in hot_questions(d):
        if h.article == article:
            return h.text
    return None


def on_hot_button(turn: Turn, rest: str) -> list[Reply]:
    """``hot:<article>:<row>``: ask the hot question (not logged again: no feedback loop)."""
    from bot.features.qa import article_reply, ask

    d = turn.dialogue
    article_s, _, row_s = rest.partition(":")
    article, row_id = _int(article_s, 3), _int(row_s) if row_s else 0
    if article is None or row_id is None or not 1 <= article <= len(d.pack.regulation.articles):
        return [Reply("这个按钮已失效，请重新发送 /start。")]
    text = _hot_text(d, article, row_id) if sessions_of(d.services) is not None else None
    if not text:
        return [article_reply(d, str(article))]
    return [Reply(f"🔥 <i>{esc(text)}</i>"), ask(turn, text, log=False)]


def hot_admin_reply(turn: Turn) -> list[Reply]:
    from bot.hot import hidden

    d = turn.dialogue
    if sessions_of(d.services) is None:
        return [Reply(TEXTS["no_db"])]
    hot = hot_questions(d, refresh=True)
    with _session(d) as s:
        hid = hidden(s)
    days, least = _setting(d, "hot_days", 30), _setting(d, "hot_min_count", 5)
    if not hot and not hid:
        return [Reply(TEXTS["hot_none"].format(days=days, min=least))]
    lines = [TEXTS["hot_head"].format(days=days, limit=HOT_LIMIT)]
    rows: list[list[Button]] = []
    for h in hot:
        mark = "📌 " if h.pinned else ""
        lines.append(f"{mark}{_label(d, h.article)}　{esc(h.text)}（{h.count} 次）")
        pin = (Button(f"取消置顶 {_label(d, h.article)}", f"hotx:r:{h.article}") if h.pinned
               else Button(f"📌 置顶 {_label(d, h.article)}", f"hotx:p:{h.article}"))
        rows.append([pin, Button(f"🙈 隐藏 {_label(d, h.article)}", f"hotx:h:{h.article}")])
    if hid:
        lines.append(TEXTS["hot_hidden"].format(arts="、".join(_label(d, a) for a in hid)))
        rows += [[Button(f"恢复 {_label(d, a)}", f"hotx:r:{a}")] for a in hid[:6]]
    return [Reply("\n".join(lines), rows)]


def on_hot_admin_button(turn: Turn, rest: str) -> list[Reply]:
    """``hotx:<p|h|r>:<article>``: pin, hide or reset an article's hot question."""
    from bot.hot import HIDE, PIN, choose
    from bot.learning import LearningError

    d = turn.dialogue
    if sessions_of(d.services) is None:
        return [Reply(TEXTS["no_db"])]
    action, _, article_s = rest.partition(":")
    article = _int(article_s, 3)
    what = {"p": PIN, "h": HIDE, "r": None}
    if article is None or action not in what:
        return [Reply("这个按钮已失效，请重新发送 /hot。")]
    text = None
    if action == "p":
        text = next((h.text for h in hot_questions(d, refresh=True) if h.article == article), None)
    try:
        with _session(d) as s:
            choose(s, article, what[action], _now(d), len(d.pack.regulation.articles), text)
    except LearningError as e:
        return [Reply(esc(str(e)))]
    done = {"p": "置顶", "h": "隐藏", "r": "恢复"}[action]
    return [Reply(TEXTS["hot_done"].format(what=f"{done}{_label(d, article)}")),
            *hot_admin_reply(turn)]


def declined_reply(d: Dialogue, reason: str, examples: list[str]) -> Reply:
    """The bot declines a question staff marked out of scope, with their reason."""
    from bot.features.qa import article_html

    r = REASONS.get(reason)
    if r is None:
        return Reply(f"抱歉，《{esc(d.pack.title)}》没有涉及这个问题。")
    text = r.reply.format(title=esc(d.pack.title), award=esc(d.pack.award_name))
    if r.article and r.article <= len(d.pack.regulation.articles):
        text += "\n可参考：\n" + article_html(d, r.article)
    text += "\n您可以这样问：" + "、".join(f"<i>{esc(e)}</i>" for e in examples) + "。"
    return Reply(text)


def _on_event(event: str, turn: Turn, data: dict[str, Any]) -> None:
    """Self-checks for /stats: counted per day from the dialogue's events, nothing about who."""
    from bot.stats import SELFCHECK_STARTED, SELFCHECK_VERDICT

    if event == "selfcheck_started":
        count(turn, SELFCHECK_STARTED)
    elif event == "selfcheck_finished" and data.get("verdict"):
        count(turn, SELFCHECK_VERDICT + str(data["verdict"]))


def register(d: Dialogue) -> None:
    d.listen(_on_event)
    d.button("lrn", staff=True)(on_teach_button)
    d.button("hotx", staff=True)(on_hot_admin_button)
    d.button("hot")(on_hot_button)

    @d.command("synonym", "教同义词：/synonym 用户说法 办法用词（工作人员）", staff=True)
    def synonym(turn: Turn, arg: str) -> list[Reply]:
        return synonym_command(turn, arg)

    @d.command("learned", "已教给机器人的内容，可撤销（工作人员）", staff=True)
    def learned(turn: Turn, arg: str) -> list[Reply]:
        return learned_reply(turn)

    @d.command("stats", "运行情况：问题数、作答率、评价、自查、提醒（工作人员）", staff=True)
    def stats(turn: Turn, arg: str) -> list[Reply]:
        return stats_reply(turn, arg)

    @d.command("hot", "热点问题：置顶或隐藏（工作人员）", staff=True)
    def hot(turn: Turn, arg: str) -> list[Reply]:
        return hot_admin_reply(turn)
