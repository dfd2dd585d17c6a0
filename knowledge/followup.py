"""A question in a conversation: follow-ups that lean on the previous turn.

The dialogue keeps a small, JSON-serialisable *topic* per chat: the question last answered, the
articles shown and the sentences quoted, the kinds of award it named, and how many turns ago it
was. A new message is read against it:

- ``还有呢 / 别的呢``: the next relevant sentences of the same article not shown yet, then the
  next candidate article;
- ``之后呢 / 然后呢`` after a step of a procedure (a chapter named 程序): the next step's
  article; elsewhere the same as 还有呢;
- ``第三项呢``: that item of the article being discussed;
- ``这是哪一条 / 原文呢``: the article just quoted, whole;
- ``那个人奖呢``: the previous question again with the other kind of award;
- a short or elliptical message (``查实了会怎样``, ``能给员工发吗``, ``那要多久``): answered on
  its own, leaning on the topic's article;
- anything else is a new question.

Pure functions over a :class:`~knowledge.retrieval.Retriever`; ``qabot ask`` never passes a
topic, so each of its lines stays an independent question.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from knowledge.lexicon import normalize
from knowledge.numerals import NUMERAL_CLASS, article_refs, to_int
from knowledge.retrieval import ASKING, Answer, Hit, Retriever
from knowledge.scope import OTHER_LEVEL, OTHER_PLACE

TOPIC_TURNS = 4  # a topic is forgotten after this many turns about something else
FOLLOW_BOOST = 0.25  # how much an elliptical follow-up leans on the topic's article
# ... and when a sentence of that article not quoted yet (or of an article shown whole) shares
# the follow-up's words: it answers, whatever else scores higher on its own
ANSWERS_BOOST = 1.0
# a follow-up asking what comes next or what else (那到期以后呢, 评的时候也优先吗, 评上以后又出了
# 事故呢) is answered by a sentence not quoted yet
NEW_CUES = re.compile(r"(?:以后|之后|然后|后来|接下来)(?:怎么办|咋办|怎样|会怎样)?$|也|又")
SHORT = 10  # characters of content: a message this short leans on the topic
# ... unless it scores this much on its own, for an article far ahead of the topic's
SELF_STANDING = 0.5
# a question word asking for something (not whether): 有啥优势, 去哪办
_WH = re.compile(r"啥|什么|几|多少|多久|多长|怎么|怎样|咋|如何|哪|谁")
MORE_ITEMS = 4  # 还有呢 after a list article: this many of the items not shown yet
_ITEM_ONLY = re.compile(rf"^(?:那|那么)?第?[（(]?({NUMERAL_CLASS})[）)]?项")
_PARTICLES = re.compile(r"[呢吗嘛啊呀吧么？?！!。，,\s]+")
# words around the other kind of award that ask nothing new (那要是厂子自己报呢, 单位来报呢)
_SWAP_FILLER = ("自己", "单独", "来报", "申报", "报", "的话", "来", "也", "子",
                # a correction (不是，我问的是个人奖): the other kind, asked again
                "不是", "我问的是", "我说的是", "我是说", "我想问的是", "问的是", "说的是", "我问")
# this place said without its name (那咱们这的呢)
_HERE = ("咱们这边", "我们这边", "咱们这", "我们这", "咱这", "本地", "这边", "咱们", "我们", "咱", "这里")
_PRONOUNS = ("他们", "它们", "他", "她", "它", "这个", "那个", "这些", "那些", "这样", "那样", "这种")


def answer_in_context(r: Retriever, text: str, topic: dict[str, Any] | None,
                      today: dt.date | None = None) -> tuple[Answer, dict[str, Any] | None]:
    """Answer ``text`` given the conversation's topic; return the answer and the new topic.
    ``today`` lets a question that states facts get the rules' verdict."""
    ans, new = _in_context(r, text, topic, today)
    live = _live(topic)
    if live and live.get("barred") and not ans.abstained and _elliptical(
            r, normalize(text.strip())) and (
            banned := _after_a_ban(r, ans, text, live, today)) is not None:
        return banned, _remember(r, banned, live, continuing=True)
    kept = (live or {}).get("entities")
    if new is not None and kept and not new.get("entities") and new is not topic:
        # the kind of award the conversation is about lasts until a question names another
        new = {**new, "entities": list(kept)}
    return ans, new


def _in_context(r: Retriever, text: str, topic: dict[str, Any] | None,
                today: dt.date | None) -> tuple[Answer, dict[str, Any] | None]:
    norm = normalize(text.strip())
    if (home := _back_home(r, norm, topic)) is not None:
        ans = r.ask(home, today=today)
        if not ans.abstained:
            ans.query = text
            return ans, _remember(r, ans, None, query=home)
    topic = _live(topic)
    if topic:
        kind = r.lang.followup_kind(norm)
        if kind == "which":
            # 这是哪一条: the article just quoted, whole
            ans = r.ask(f"第{int(topic['articles'][0])}条")
            return ans, _remember(r, ans, topic, continuing=True)
        if kind is not None:
            ans = _more(r, topic, step=(kind == "next"))
            if ans is not None:
                return ans, _remember(r, ans, topic, continuing=True)
        if (m := _ITEM_ONLY.match(norm)) and not article_refs(norm):
            art = topic["articles"][0]
            ans = r.ask(f"第{art}条第{m.group(1)}项{norm[m.end():]}")
            if ans.kind == "reference" and ans.quotes:
                return ans, _remember(r, ans, topic)
        if today is not None and topic.get("query") and (
                not ASKING.search(norm)
                or (not _WH.search(norm) and r.facts.states_facts(norm, today))):
            # 我们是2023年的奖 after 过期了还能用吗, 我们干了七年了 after 企业申报有啥条件: facts
            # given in answer; with the question they answer, the rules' verdict
            told = f"{norm}，{topic['query']}"
            ans = r.ask(told, today=today)
            if ans.reading is not None:
                ans.query = text
                return ans, _remember(r, ans, topic, continuing=True, query=told)
        swapped = _swap_kind(r, norm, topic)
        if swapped is not None:
            ans = r.ask(swapped, today=today, prefer=tuple(topic["articles"][:1]))
            kinds = r.lang.intent(normalize(swapped), r.kinds).entities
            about = r.article_kinds(ans.articles[0]) if ans.articles else frozenset()
            if len(kinds) == 1 and about and not about & kinds and (alt := next(
                    (h.article for h in ans.ranked if r.article_kinds(h.article) & kinds),
                    None)) is not None:
                # 不是，我问的是个人奖 after 组织奖要成立满几年: the other kind's article
                # (第八条), not the topic's, which is about the kind no longer asked
                ans = r.ask(swapped, today=today, prefer=(alt,), boost=ANSWERS_BOOST)
            if not ans.abstained:
                ans.query = text
                return ans, _remember(r, ans, topic, query=swapped)
    ans = r.ask(text, today=today)
    if topic and _elliptical(r, norm) and ans.kind not in {"reference", "smalltalk", "empty"} \
            and ans.decline is None and ans.reading is None:
        quoted = topic.get("shown") or {}
        # after every step of a procedure (申报流程是什么), any step may be leaned on
        span = len(topic["articles"]) if topic.get("steps") else 2
        arts = [int(a) for a in topic["articles"][:span] if str(a) in quoted] or \
            [int(topic["articles"][0])]
        new = bool(NEW_CUES.search(_PARTICLES.sub("", norm)))
        art, boost = arts[0], FOLLOW_BOOST
        if (not ans.abstained and ans.articles[0] not in arts
                and (_turns_to_the_other_kind(r, norm, ans.articles[0], topic)
                     or _after_the_award(r, norm, topic)
                     or (ans.hits[0].score >= SELF_STANDING and (
                         _gives_what_the_topic_lacks(r, norm, ans.articles[0], arts)
                         or (not _asks_only(r, norm) and (
                             _own_words(r, norm, ans.articles[0], arts)
                             or _whole_question(r, norm))))))):
            # 过期了还能挂牌子吗 after 有效期几年: a question of its own (挂牌 -> 沿用, which
            # the topic's article never says), answered well alone; so is one that names its
            # kind of award and asks (个人奖申报有啥条件 after a question on the prize money),
            # and one asking for what the topic's article never states (评上了给多少钱 after
            # the conditions: an amount)
            ans = _of_the_kind(r, ans, text, norm, topic, today)
            return ans, _remember(r, ans, None)
        speaking = _speaking(r, arts, norm, topic, unseen=new)
        if speaking is None and new and not ans.abstained:
            # 那到期以后呢 after 有效期四年，期满后可重新申报, 评的时候也优先吗 after 可优先申报:
            # the first candidate with something not quoted yet
            others = [h.article for h in ans.ranked[:3] if h.article not in arts]
            speaking = next((a for a in others
                             if _speaking(r, [a], norm, topic, unseen=True) is not None), None)
        if speaking is not None:
            # 查实了会怎样 after 第十五条: its 经调查属实的… answers
            art, boost = speaking, ANSWERS_BOOST
            # it answers on its own: from that article, or (a question asked again) from the
            # topic, unless the follow-up wants something not quoted yet
            if ans.articles and not ans.abstained and (
                    ans.articles[0] == art or (not new and ans.articles[0] in arts)):
                boost = 0.0
        if boost:
            leaning = r.ask(text, today=today, prefer=(art,), boost=boost)
            if not leaning.abstained:
                ans = leaning
        if topic.get("query") and (ans.abstained or (
                _asks_only(r, norm) and ans.articles[:1] != [art])):
            # 谁来, 在哪能看到, 能买车吗: only what is asked, about the topic: asked with the
            # topic's question in front
            asked = f"{topic['query']}，{text}"
            within = r.ask(asked, today=today, asks=text, prefer=(art,), boost=FOLLOW_BOOST)
            if not within.abstained and within.decline is None and within.reading is None \
                    and (ans.abstained or within.articles[:1] == [art]):
                within.query = text
                return within, _remember(r, within, None, query=asked)
    if topic and not ans.abstained and _elliptical(r, norm):
        ans = _of_the_kind(r, ans, text, norm, topic, today)
    if ans.kind in {"smalltalk", "empty"}:
        return ans, _aged(topic)
    if ans.abstained:
        if ans.decline is not None and ans.decline.kind in (OTHER_PLACE, OTHER_LEVEL):
            # 那沧州的呢 may come next: the question declined, and the award it named
            return ans, {**(_aged(topic) or {}),
                         "declined": {"query": ans.text[:200], "other": ans.decline.other}}
        if ans.decline is not None and ans.decline.nearby:
            # 30万奖金入账算营业外收入吗 -> 第十六条、第十八条 offered: 那这钱能花在哪 leans on them
            near = [int(n) for n in ans.decline.nearby]
            return ans, {"query": "", "articles": near[:2], "candidates": near[:5],
                         "shown": {str(n): [] for n in near[:2]},
                         "entities": list((topic or {}).get("entities") or []), "age": 0,
                         "whole": False}
        return ans, _aged(topic)
    return ans, _remember(r, ans, None)


def _after_a_ban(r: Retriever, ans: Answer, text: str, topic: dict[str, Any],
                 today: dt.date | None) -> Answer | None:
    """那要等几年 after 被撤销以后还能再报吗: the asker's award was revoked, so a follow-up is
    answered from 第二十四条's ban, never from what the ban overrides (第四条/第十七条's
    期满后可再次申报: the pack's ``never_related``). None when the answer is not about that."""
    ban = int(topic["articles"][0])
    overridden = r.never_related.get(ban, set())
    if not overridden or not any(a in overridden for a in ans.articles[:ans.shown or 1]):
        return None
    asked = f"{topic.get('query') or ''}，{text}"
    within = r.ask(asked, today=today, asks=text, prefer=(ban,), boost=ANSWERS_BOOST)
    if within.abstained or within.articles[:1] != [ban]:
        within = r.ask(f"第{ban}条")  # the ban itself, whole
    within.query = text
    return within


def _of_the_kind(r: Retriever, ans: Answer, text: str, norm: str, topic: dict[str, Any],
                 today: dt.date | None) -> Answer:
    """评上了给多少钱 after a question about the individual prize: the kind the conversation is
    about answers, not both, when the follow-up names none and the answer quotes both."""
    entities = topic.get("entities") or []
    if len(entities) != 1 or r.lang.intent(norm, r.kinds).entities:
        return ans
    kind = next((k for k in r.kinds if k.id == entities[0]), None)
    if kind is None or not ans.articles:
        return ans
    others = [k.name for k in r.kinds if k.id != kind.id]
    about = r.article_kinds(ans.articles[0])
    if about and kind.id not in about:
        # 医院前年出过事故，影响他不 about a head applying for the individual prize: 第八条,
        # not 第七条 (an article about the other kind only)
        again = r.ask(f"{kind.name}{text}", today=today)
        if not again.abstained and kind.id in r.article_kinds(again.articles[0]):
            again.query = text
            return again
        return ans
    if not any(o in s.text and kind.name not in s.text for s in ans.quotes for o in others):
        return ans
    again = r.ask(f"{kind.name}{text}", today=today, prefer=tuple(ans.articles[:1]))
    if again.abstained or again.articles[:1] != ans.articles[:1]:
        return ans
    again.query = text
    return again


def _back_home(r: Retriever, norm: str, topic: dict[str, Any] | None) -> str | None:
    """那沧州的呢 / 咱们市里的呢 after 河北省政府质量奖奖金多少 was declined: the same question
    about this award (the other award's name replaced by this one's)."""
    declined = topic.get("declined") if isinstance(topic, dict) else None
    if not isinstance(declined, dict) or not declined.get("other"):
        return None
    bare = _PARTICLES.sub("", r.lang.strip_lead(norm))
    for w in sorted((*r.scope.award_words, r.scope.award), key=len, reverse=True):
        bare = bare.replace(normalize(w), "")
    for w in sorted((*r.scope.place_words, r.scope.place, *_HERE), key=len, reverse=True):
        bare = bare.replace(normalize(w), "")
    if bare.strip("的") or bare == _PARTICLES.sub("", r.lang.strip_lead(norm)):
        return None  # something more is asked, or nothing of this place or award is named
    query, other = str(declined.get("query", "")), normalize(str(declined["other"]))
    return query.replace(other, r.scope.award) if other in query else None


def _speaking(r: Retriever, arts: list[int], norm: str, topic: dict[str, Any],
              unseen: bool) -> int | None:
    """The topic's article with the sentence that shares most with the follow-up, if any does.
    ``unseen``: the follow-up asks for what comes next or what else (以后呢, 也…吗), so a
    sentence already quoted does not count (one read in a whole article does)."""
    q = r.prepare(norm)
    qb = set(q.bigrams)
    seen = {} if topic.get("whole") or not unseen else topic.get("shown") or {}
    best, found = 0.0, None
    for art in arts:
        skip = set(seen.get(str(art), []))
        for u in r.units(art):
            if u.heading or u.sentence.index in skip:
                continue
            score = r.lexical(u, q, qb)
            if score > best:
                best, found = score, art
    return found


def _live(topic: dict[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(topic, dict) or not topic.get("articles"):
        return None
    if int(topic.get("age", 0)) >= TOPIC_TURNS:
        return None
    return topic


def _aged(topic: dict[str, Any] | None) -> dict[str, Any] | None:
    if topic is None or not topic.get("articles"):
        return None
    return {**{k: v for k, v in topic.items() if k != "declined"},
            "age": int(topic.get("age", 0)) + 1}


def _remember(r: Retriever, ans: Answer, previous: dict[str, Any] | None, *,
              continuing: bool = False, query: str | None = None) -> dict[str, Any]:
    """The topic after an answer: what was asked, shown and named."""
    shown: dict[str, list[int]] = {}
    if continuing and previous:
        shown = {k: list(v) for k, v in (previous.get("shown") or {}).items()}
    for s in ans.quotes:
        shown.setdefault(str(s.article), [])
        if s.index not in shown[str(s.article)]:
            shown[str(s.article)].append(s.index)
    for n in ans.articles[:1]:
        if ans.whole_article or not ans.quotes:
            shown[str(n)] = [u.sentence.index for u in r.units(n)]
    q = query or (previous or {}).get("query", "") if continuing else (query or ans.text)
    entities = sorted(ans.intent.entities) if ans.intent and ans.intent.entities else (
        list((previous or {}).get("entities") or []) if continuing else [])
    if ans.reading is not None and ans.reading.applicant_type in {k.id for k in r.kinds}:
        # 俺就是个普通工人，厂里出过事故，耽误俺不: the rules read a person asking about the
        # individual prize, though 厂 names an organisation
        entities = [ans.reading.applicant_type]
    candidates = ans.candidates or list((previous or {}).get("candidates") or [])
    whole = ans.whole_article or (ans.kind == "reference" and not ans.quotes)
    # the asker's award was revoked (第二十四条's verdict): follow-ups stay on the ban
    barred = (ans.reading is not None and ans.reading.topic in ("revoked", "revoked_use")) or (
        continuing and bool((previous or {}).get("barred")))
    steps = ans.followup == "steps"
    return {"query": q[:200],
            "articles": ans.articles[:ans.shown if steps else 2]
            or (previous or {}).get("articles", []), "steps": steps,
            "candidates": candidates[:5], "shown": shown, "entities": entities, "age": 0,
            "whole": whole, "barred": barred}


def _more(r: Retriever, topic: dict[str, Any], *, step: bool) -> Answer | None:
    """The next sentences of the topic (还有呢), or the next step of a procedure (之后呢)."""
    art = int(topic["articles"][0])
    total = len(r.reg.articles)
    if step and r.reg.article(art).chapter in r.procedure_chapters and art < total:
        nxt = art + 1
        units = r.units(nxt)  # with the step's name (资格审查。)
        return Answer("之后呢", "answer", [Hit(nxt, 1.0)], [u.sentence for u in units],
                      text=topic.get("query", ""), ranked=[Hit(nxt, 1.0)], followup="next")
    q = r.prepare(normalize(str(topic.get("query", ""))))
    seen_all = set((topic.get("shown") or {}).get(str(art), []))
    if all(u.heading or u.sentence.index in seen_all for u in r.units(art)):
        # the whole article was shown: say so, and offer the other candidates as buttons
        others = [Hit(int(a), 0.5) for a in topic.get("candidates") or [] if int(a) != art]
        return Answer("还有呢", "answer", [Hit(art, 1.0)] + others[:3], [], text=q.text,
                      ranked=[Hit(art, 1.0)] + others, intent=q.intent, followup="done")
    order = [art] + [int(a) for a in topic.get("candidates") or [] if int(a) != art]
    for n in order:
        seen = set((topic.get("shown") or {}).get(str(n), []))
        rest = [u for u in r.units(n) if not u.heading and u.sentence.index not in seen]
        if not rest:
            continue
        scored = sorted(rest, key=lambda u: (-r.sentence_score(u, q), u.sentence.index))
        pick = [scored[0]]
        if scored[0].sentence.item is not None:
            pick += [u for u in rest if u.sentence.item == scored[0].sentence.item
                     and u is not scored[0]]
            # a list continues with the items not shown yet, in order (an item of two
            # sentences counts once: 第七条（二）'s 质量管理体系健全有效 comes with it)
            if all(u.sentence.item is not None for u in rest):
                items = list(dict.fromkeys(u.sentence.item for u in rest))[:MORE_ITEMS]
                pick = [u for u in rest if u.sentence.item in items]
        quotes = sorted({u.sentence.index: u.sentence for u in pick}.values(),
                        key=lambda s: s.index)
        return Answer("还有呢", "answer", [Hit(n, 1.0)], quotes, text=q.text,
                      ranked=[Hit(n, 1.0)], intent=q.intent, followup="more")
    return None


def _swap_kind(r: Retriever, norm: str, topic: dict[str, Any]) -> str | None:
    """那个人奖呢 after 组织奖奖金多少: 个人奖奖金多少."""
    bare = _PARTICLES.sub("", r.lang.strip_lead(norm)).removesuffix("的")
    named = [k for k in r.kinds if k.name in bare or bare in k.ask_words
             or any(w in bare for w in k.ask_words if len(w) >= 1)]
    if len(named) != 1:
        return None
    new = named[0]
    rest = bare.replace(new.name, "")
    for w in sorted(new.ask_words, key=len, reverse=True):
        rest = rest.replace(w, "")
    for w in _SWAP_FILLER:  # 那要是厂子自己报呢: the kind, and applying said again
        rest = rest.replace(w, "")
    if len(rest) > 2:
        return None  # 个人奖看哪些方面 is a question of its own
    old_query = str(topic.get("query", ""))
    for k in r.kinds:
        if k.id == new.id:
            continue
        for w in sorted({k.name, *k.ask_words}, key=len, reverse=True):
            if w in old_query:
                return old_query.replace(w, new.name)
    return f"{new.name}{old_query}" if old_query else None


def _own_words(r: Retriever, norm: str, art: int, topic_arts: list[int]) -> bool:
    """The message reaches a word of the article that none of the topic's articles has."""
    q = r.prepare(norm)
    words = {w for w in q.query if len(w) >= 2}
    there = set().union(*(u.words.keys() for u in r.units(art)))
    topic = set().union(*(u.words.keys() for a in topic_arts for u in r.units(a)))
    return bool(words & there - topic)


def _after_the_award(r: Retriever, norm: str, topic: dict[str, Any]) -> bool:
    """要是评上以后又出了重大事故呢 after 出过事故还能申报吗: the message moves from applying to
    the award once won (the pack's ``after_award`` words), a question of its own."""
    applying = any("conditions" in u.answers for a in topic["articles"][:1]
                   for u in r.units(int(a)))
    return applying and any(w in norm for w in r.facts.after_award)


def _turns_to_the_other_kind(r: Retriever, norm: str, art: int, topic: dict[str, Any]) -> bool:
    """那我们科主任能单独报个人奖不 after 医院能评吗: the message names the other kind of award
    and its own answer is an article about that kind only (第八条), not the topic's."""
    named = r.lang.intent(norm, r.kinds).entities
    kept = frozenset(topic.get("entities") or ())
    return (len(named) == 1 and bool(kept) and not named & kept
            and r.article_kinds(art) == named)


def _gives_what_the_topic_lacks(r: Retriever, norm: str, art: int, topic_arts: list[int]) -> bool:
    """有效期几年 after 什么情况会被撤销: the question asks for a duration (an amount, a count…)
    that its own article states and the topic's never does (第二十四条 says 在有效期内, no
    length)."""
    gives = r.gives_asked(norm, [art, *topic_arts])
    return gives is not None and gives[art] and not any(gives[a] for a in topic_arts)


def _whole_question(r: Retriever, norm: str) -> bool:
    """A message that names a kind of award, asks with a question word of its own and does
    not open by pointing back (那/要是): 个人奖申报有啥条件, not 那个人奖呢."""
    return (bool(r.lang.intent(norm, r.kinds).entities) and bool(ASKING.search(norm))
            and r.lang.strip_lead(norm) == norm.strip())


def _asks_only(r: Retriever, norm: str) -> bool:
    """A message with a question word and no word of the measures of two characters or more
    (谁来, 在哪能看到, 具体管哪些): it asks about the topic."""
    q = r.prepare(norm)
    return bool(q.intent.kinds) and not any(len(w) >= 2 and w in r.vocabulary for w in q.words)


def _elliptical(r: Retriever, norm: str) -> bool:
    """A message that leans on the previous turn: short, opening with 那/要是, or pointing back."""
    bare = _PARTICLES.sub("", norm)
    if len(bare) <= SHORT:
        return True
    if r.lang.strip_lead(norm) != norm.strip():
        return True
    return any(p in bare for p in _PRONOUNS)


def numeral_only(text: str) -> int | None:
    """二十四 / 24: a message that is only a number."""
    t = _PARTICLES.sub("", normalize(text))
    if re.fullmatch(NUMERAL_CLASS, t):
        return to_int(t)
    return None
