"""Find the article of a regulation, and the sentences of it, that answer a colloquial Chinese
question; or say precisely why the question is outside the regulation.

Retrieval, never generation. Articles: three BM25 indexes over the pack are fused (jieba words
and character bigrams over each article — its text, chapter, curated terms and sample
questions — and the curated sample questions on their own), with the question normalised
(traditional characters, full-width digits), expanded with curated synonyms and homophones of
the pack's own terms (公式期 -> 公示期), and article numbers read directly (第二十四条, 24条).
Scores are normalised by what the question could score at best, with words the measures never
use counted against it.

Sentences: the question's intent (an amount, a count of what, a duration, a body, a permission
or ban, a consequence, a list of conditions…; ``knowledge.intent``) is scored against each
sentence together with its words, so the reply leads with the sentence that answers. A list
article is answered with its lead sentence and the matching items; a sentence that takes its
subject from the one before is quoted with it; a sentence naming both kinds of award is cut
down to the kind asked about.

Scope: the pack declares what the measures govern (``knowledge.scope``); another place's or
level's award, another scheme, or a topic the measures do not address is declined with the
reason. Three bands: a confident answer, a best answer shown as such with alternatives, and a
refusal; the thresholds between them are calibrated on question sets
(``benchmarks/calibrate.py`` writes the pack's ``calibration.yaml``).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from knowledge.facts import FactReader, Reading
from knowledge.intent import Intent, Kind, language, load_kinds, sentence_kinds
from knowledge.learned import Learned
from knowledge.lexicon import Segmenter, chunks, is_cjk, normalize, pinyin_keys
from knowledge.numerals import CN_NUMERAL, NUMERAL_CLASS, article_refs, to_int
from knowledge.pack import Pack, load_pack
from knowledge.regulation import Article, Sentence
from knowledge.scope import (
    OTHER_PROGRAMME,
    TOPIC,
    Decline,
    alternation,
    other_places,
    scope_for,
)

K1, B = 1.2, 0.5
# Fusion weights of the three indexes (measured on the benchmarks/ question sets, see README).
W_WORD, W_BIGRAM, W_QUESTION = 0.45, 0.25, 0.30
# An article whose best sentence answers the question's intent gains this much.
W_INTENT = 0.08
# An article with no sentence of the kind asked for (an amount, a count, a duration, a date,
# a body, a place) is multiplied by this.
INTENT_MISS = 0.9
_SPECIFIC = frozenset({"amount", "count", "duration", "frequency", "when", "who", "where"})
# facts a clause of a sentence may state on its own (每年认定一次，奖项有效期四年): a question
# asking for one of them is quoted the clause that states it, not the others
_FACTS = frozenset({"amount", "count", "duration", "frequency"})
_MISSED = _SPECIFIC | {"consequence", "reason"}  # an article with none of these kinds loses
# a sentence giving one of these is quoted beside the ones chosen on their words
_ANSWERED = _SPECIFIC | {"consequence", "reason"}
# The first SENTENCE_RERANK articles (within half the best score) are reordered by their score
# plus W_SENTENCE x the share of the question their best sentence answers.
SENTENCE_RERANK, W_SENTENCE = 3, 0.1
# A question naming one kind of award (个人奖) moves away from an article about the other.
KIND_PENALTY = 0.75
# The name of a kind of award in a question (组织奖, 个人奖) says which kind, not what about it:
# it weighs this much in finding the article (the kind is matched separately).
KIND_NAME_WEIGHT = 0.4
# Band thresholds; calibration.yaml in the pack overrides them (benchmarks/calibrate.py).
CONFIDENT = 0.28  # at or above: a confident answer
REFUSE = 0.12  # below: the measures do not cover the question
# below, for a question that names nothing of the award (scope.yaml `anchors`)
REFUSE_UNANCHORED = 0.3
CLOSE_RATIO = 0.75  # a second article this close to the first is quoted too
PARTNER_TIE = 0.95  # a paired article this close to the runner-up takes its place
TOGETHER_RATIO = 0.2  # ... or this close, for an article the pack pairs with the first
# A question is tied to an article by a word that few articles use (at most ANCHOR_DF of
# them) or by a close sample question; otherwise its score is damped.
ANCHOR_DF, ANCHOR_QUESTION, UNANCHORED_DAMPING = 0.25, 0.5, 0.6
# A question whose content the measures' words explain less than this is damped in proportion
# (孩子上学怎么报名 shares only 报名 with the measures).
FULL_COVERAGE = 0.6
RELATED_RATIO = 0.4  # further articles this close are listed as related
ITEM_HINT_SIMILARITY = 0.35  # a sample question this close points the quote at its item
# A question this close to one staff taught is that question: it gets their article, confident,
# quoted at the item or sentence they chose whatever the word overlap says, and no scope rule
# declines it (the taught question itself must keep getting their answer).
LEARNED_SAME_SIMILARITY, LEARNED_HINT_BONUS = 0.8, 1000.0
# ... and only then: further away, what a taught question shares with another is incidental
# (users' words carry context), and it tipped near-ties and quotes on the existing sets
# (benchmarks/teach_bench.py).
LEARNED_QUESTION_FLOOR = LEARNED_SAME_SIMILARITY
# A question this close to an out-of-scope example staff taught (and closer to it than to any
# sample question) is declined with the example's reason (benchmarks/teach_bench.py).
SCOPE_SIMILARITY = 0.6
SCOPE_SURE = 0.85  # for an example in the measures' own words: only near-identical questions
EXPANSION_WEIGHT = 0.8
TOPIC_WEIGHT = 0.5  # a word of the topic's question, asked again with a follow-up
MAX_QUERY_CHARS = 200  # only the first part of a very long message is read
# Sentence scoring: bonuses on top of the IDF-weighted words a sentence shares with the question.
S_INTENT, S_KIND, S_HINT = 1.5, 1.0, 2.0
S_ALSO = 0.7  # another sentence scoring this close to the best is quoted too
_QUOTED = re.compile(r"“([^”]{1,12})”")
_DEFINES = re.compile(r"“([^”]{1,12})”(?:是|指|系)")  # “组织奖”是奖励…: what the term is
SAMPLE_DECIDES = 0.8  # a question this close to a pack sample is answered as the sample is
MAX_PART_ARTICLES = 2  # a message of several questions: articles added for its other questions
SHORT_PAIR_CHARS = 130  # an article of two sentences this short together is quoted whole
# words that name a procedure, not one step of it (申报流程是什么)
_STEP_WORDS = frozenset({"流程", "程序", "步骤", "环节", "过程", "阶段", "手续"})
S_ITEM_ALSO = 0.65  # another item this close to the best item is quoted too
S_ITEM_VS_LEAD = 0.4  # a list article answers with items when the best item scores this close

_NUM_UNIT = re.compile(rf"^[0-9.{CN_NUMERAL}几多]+(年|天|日|个|万|万元|元|条|次|项|名|家|位)?$")
_YEAR_NUMBER = re.compile(r"^(?:19|20)[0-9]{2}(?:年|$)")
_UNITS = frozenset({"年", "天", "日", "个", "万", "万元", "元", "条", "次", "项", "名", "家", "位"})
# a question stating facts but asking who, where, how or when (not whether) gets no verdict
# (一年能评上几家企业: how many, not whether one may)
_ELSEWHERE = frozenset({"who", "where", "process", "when", "amount", "count", "frequency"})
_MAY = frozenset({"permission", "conditions"})
_DENYING = frozenset("没无不未非")  # a synonym variant opening with one denies what it names
# 哪个部门, 什么机构: the kind of body asked for (a who question), weighing this much
_ASKED_BODY = re.compile(r"(?:哪个|哪些|哪一个|什么|啥|哪级|哪一级)(部门|机构)")
ASKED_BODY_WEIGHT = 0.3
_ASKED_MEASURE = re.compile(r"(?:几|多少)(?:个|家|名|位|项|回|次|条|种|类|批)")
_COUNT_WORD = re.compile(r"^(?:几|多少)(?:个|家|名|位|项|回|次|条|种|类|批)$")
_ITEM_REF = re.compile(rf"第?[（(]?({NUMERAL_CLASS})[）)]?项")
# 二十四, 24, 第24, 18呢, 那24呢: a message that is only an article's number
_BARE_NUMERAL = re.compile(
    rf"^(?:那么?|还有|再看)?\s*第?\s*({NUMERAL_CLASS})\s*条?\s*(?:呢|吗|呀|啊)?\s*[条。.！!？?]?$")
_CLAUSE = re.compile(r"(?<=，)")
_CONTINUING = ("也", "并", "且", "亦", "同时")  # a clause going on from the one before
_CLAUSES = re.compile(r"[，；。]")
# the questions of one message: parts cut at punctuation or spaces
# a clause that asks (吗, 啥, 几, 能不能…) and one that leans on another clause's subject
ASKING = re.compile(r"[吗么嘛呢]|[不没否]$|啥|什么|几|多少|多久|多长|怎么|怎样|咋|如何|哪|谁|是否|能否|可否"
                   r"|能不能|可不可以|要不要|有没有|是不是|算不算")
_LEANS = re.compile(r"^(?:那|这|它|其|此|该)|一样|相同|区别|不同|同样|类似|比")
QUOTED_PHRASE = 4  # characters of a question's word found in the measures that tie it to them
PARALLEL_HEAD = 6  # characters two sentences share, kinds' names aside, to say the same of both
_PARTS = re.compile(r"[，。？！?!；;,\s]+")


@dataclass(frozen=True)
class Hit:
    article: int
    score: float
    word: float = 0.0
    bigram: float = 0.0
    question: float = 0.0


@dataclass(frozen=True)
class Unit:
    """One sentence of an article with what it can answer."""

    sentence: Sentence
    words: Counter[str]
    bigrams: frozenset[str]
    answers: frozenset[str]  # intents it can answer (knowledge.intent)
    kinds: frozenset[str]  # kinds of award it names
    antecedent: int | None  # the sentence it takes its subject from
    heading: bool  # 申报推荐。: names the step, answers nothing on its own
    lead: bool  # a sentence before the items of a list article
    opens_list: bool  # …下列基本条件： / …下列情形之一的
    # the words of each clause that states a duration (奖项有效期四年): what the duration is of
    durations: tuple[frozenset[str], ...] = ()
    # each clause cut at a comma: its text and the facts it states (_FACTS)
    clauses: tuple[tuple[str, frozenset[str]], ...] = ()


@dataclass
class Answer:
    """What the retriever found for one question."""

    query: str
    # answer | ambiguous | best | reference | out_of_scope | empty | no_such_article | smalltalk
    kind: str
    hits: list[Hit] = field(default_factory=list)  # best first
    quotes: list[Sentence] = field(default_factory=list)  # sentences that answer, in order
    whole_article: bool = False  # quote the whole article rather than sentences
    requested: int | None = None  # the article number asked for (kind reference/no_such_article)
    item: int | None = None  # an item asked for: 第七条第一项
    ranked: list[Hit] = field(default_factory=list)  # every candidate scored, best first
    scope_reason: str | None = None  # declined after a learned out-of-scope example
    lesson: int | None = None  # the lesson of staff's that decided it (its database row)
    intent: Intent | None = None
    decline: Decline | None = None  # why the question is outside the measures
    nearby: list[Sentence] = field(default_factory=list)  # offered beside a decline
    smalltalk: str | None = None  # greeting | thanks | identity | abilities | bye | ack
    notes: list[str] = field(default_factory=list)  # pack facts shown under the quote
    text: str = ""  # the normalised question the answer was found for
    reading: Reading | None = None  # facts the question states and the rules' verdict
    followup: str = ""  # next (之后呢) | more (还有呢) | done (nothing more in the article)
    shown: int = 1  # how many of the first hits are quoted (two when they score alike)

    @property
    def articles(self) -> list[int]:
        return [h.article for h in self.hits]

    @property
    def candidates(self) -> list[int]:
        """The articles shown, then the other candidates, best first (at most 5)."""
        out = self.articles
        out += [h.article for h in self.ranked if h.article not in out]
        return out[:5]

    @property
    def abstained(self) -> bool:
        """The bot did not answer from the measures (declined, or nothing to answer)."""
        return self.kind in {"out_of_scope", "empty", "no_such_article", "smalltalk"}

    @property
    def band(self) -> str:
        """confident | best | refuse: how sure the answer is."""
        if self.abstained:
            return "refuse"
        return "best" if self.kind == "best" else "confident"


class _BM25:
    """Okapi BM25 with Lucene's IDF, which stays positive for a term in half the documents."""

    def __init__(self, docs: list[Counter[str]]) -> None:
        self.docs = docs
        self.n = len(docs)
        self.avgdl = sum(sum(d.values()) for d in docs) / max(self.n, 1)
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        self.df = df
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, d in enumerate(docs):
            for t, tf in d.items():
                self.postings[t].append((i, tf))
        self.lengths = [sum(d.values()) for d in docs]
        self.oov_idf = self.idf_of(0)

    def idf_of(self, df: int) -> float:
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def idf(self, term: str) -> float:
        return self.idf_of(self.df.get(term, 0))

    def scores(self, query: dict[str, float]) -> list[float]:
        out = [0.0] * self.n
        for t, w in query.items():
            post = self.postings.get(t)
            if not post:
                continue
            idf = self.idf(t)
            for i, tf in post:
                norm = K1 * (1 - B + B * self.lengths[i] / self.avgdl)
                out[i] += w * idf * tf * (K1 + 1) / (tf + norm)
        return out

    def ideal(self, query: dict[str, float], oov_weight: dict[str, float]) -> float:
        """The score of a query term found once in an average document, summed."""
        total = 0.0
        for t, w in query.items():
            if t in self.df:
                total += w * self.idf(t)
            else:
                total += w * oov_weight.get(t, 1.0) * self.oov_idf
        return total


@dataclass
class _Query:
    """A question prepared once: its words, expansion, bigrams and intent."""

    text: str
    words: list[str]
    query: dict[str, float]
    oov: dict[str, float]
    bigrams: list[str]
    intent: Intent
    sims: list[float] | None = None  # cosine with each sample question, once computed
    reached: frozenset[str] = frozenset()  # the measures' words reached through a synonym


class Retriever:
    """Answers questions about one knowledge pack."""

    def __init__(self, pack: Pack, learned: Learned | None = None) -> None:
        self.pack = pack
        self.reg = pack.regulation
        self.lang = language()
        self.scope = scope_for(pack)
        self.kinds: tuple[Kind, ...] = load_kinds(self.scope.data)
        self.facts = FactReader(pack, other_places(self.scope), self.scope.inside)
        cal = pack.load_yaml("calibration.yaml") or {}
        self.confident = float(cal.get("confident", CONFIDENT))
        self.refuse = float(cal.get("refuse", REFUSE))
        self.refuse_unanchored = float(cal.get("refuse_unanchored", REFUSE_UNANCHORED))
        aids = pack.load_yaml("questions.yaml") or {}
        # misspellings no homophone repair finds (申扳 for 申报: bǎn is not bào), put right in
        # the text itself, so the fact reader and the scope see the word meant too
        wrong = {normalize(str(k)): normalize(str(v))
                 for k, v in (aids.get("misspellings") or {}).items()}
        self._misspelt = re.compile(alternation(list(wrong))) if wrong else None
        self._misspellings = wrong
        self.stopwords: set[str] = set(aids.get("stopwords") or []) | self.lang.question_words
        # colloquial -> canonical words of the measures
        self._synonym_index: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None
        # the synonyms opening with a denial (没人提异议), for the synonyms they belong to
        self._denying: tuple[dict[str, list[str]], list[tuple[str, list[str]]]] | None = None
        self._canon_cache: dict[str, list[str]] = {}
        self._kind_cache: dict[int, frozenset[str]] = {}
        self.synonyms: dict[str, list[str]] = defaultdict(list)
        for canon, variants in (aids.get("synonyms") or {}).items():
            for v in variants or []:
                self.synonyms[normalize(str(v))].append(normalize(str(canon)))
        # colloquial phrasings too loose for one word (奖金能给老板买车吗): canon -> patterns
        self.phrases = [(normalize(str(canon)), re.compile("|".join(f"(?:{p})" for p in pats)))
                        for canon, pats in (aids.get("phrases") or {}).items() if pats]
        # articles stating one rule from two sides, quoted together when both score
        self.together: dict[int, set[int]] = defaultdict(set)
        for group in aids.get("together") or []:
            for n in group:
                self.together[int(n)] |= {int(x) for x in group if int(x) != int(n)}
        # articles about different people's conduct (a winner's, 第二十四条; the reviewers',
        # 第二十五条): one is never quoted as a second answer beside the other
        self.never_beside: dict[int, set[int]] = defaultdict(set)
        for group in aids.get("never_beside") or []:
            for n in group:
                self.never_beside[int(n)] |= {int(x) for x in group if int(x) != int(n)}
        # articles about winners only (第二十四条's 获奖单位或个人在有效期内…): never the first
        # answer to whether one who has won nothing may apply
        self.winners_only = frozenset(int(n) for n in aids.get("winners_only") or [])
        self.never_related = {int(k): {int(x) for x in v or []}
                              for k, v in (aids.get("never_related") or {}).items()}
        self.overrides = {int(k): {int(x) for x in v or []}
                          for k, v in (aids.get("overrides") or {}).items()}
        per_article = aids.get("articles") or {}
        self.terms: dict[int, list[str]] = {}
        self.titles: dict[int, str] = {}
        self.notes: dict[int, list[tuple[frozenset[str], str]]] = {}
        # (article, sample question, the items it points at)
        self.questions: list[tuple[int, str, frozenset[int]]] = []
        self._pack_sentence: dict[int, int] = {}  # sample question -> the sentence it points at
        for num, entry in per_article.items():
            entry = entry or {}
            self.titles[int(num)] = str(entry.get("title") or "")
            self.terms[int(num)] = [normalize(str(t)) for t in entry.get("terms") or []]
            self.notes[int(num)] = [
                (frozenset(n.get("for") or ()), tuple(normalize(str(w)) for w in n.get("words") or ()),
                 _fill(str(n["text"]), pack.meta))
                for n in entry.get("notes") or []]
            for q in entry.get("questions") or []:
                if isinstance(q, dict):
                    if q.get("sentence"):
                        # the sentence that answers, named by words of it (经调查属实的)
                        self._pack_sentence[len(self.questions)] = self._sentence_with(
                            int(num), str(q["sentence"]))
                    self.questions.append((int(num), normalize(str(q["q"])),
                                           _item_set(q.get("item"))))
                else:
                    self.questions.append((int(num), normalize(str(q)), frozenset()))
        extra = {t for ts in self.terms.values() for t in ts}
        # Colloquial variants are matched as substrings; only the measures' own words are
        # taught to the segmenter, so that 参加评选 still yields 参加 and 评选.
        extra |= {c for cs in self.synonyms.values() for c in cs}
        extra |= {k.name for k in self.kinds}
        self._kind_names = {k.name for k in self.kinds}
        # words that say who applies (公司, 医院, 本人) but that no sentence uses for the kind:
        # they say which kind, not what about it
        self._kind_ask_words = {normalize(w) for k in self.kinds for w in k.ask_words
                                if w not in k.text_words and len(w) >= 2}
        # names that say which award, kind or place, not what about it (组织奖, 沧州市政府质量奖,
        # 沧州): their bigrams weigh like the kind's name
        names = self._kind_names | {normalize(self.scope.award)} | set(self.scope.award_words)
        names |= {w for w in self.scope.place_words if len(w) >= 2}
        self._names = sorted((n for n in names if len(n) >= 2), key=len, reverse=True)
        self._places = {normalize(w) for w in self.scope.place_words + self.scope.inside}
        self.seg = Segmenter({w for w in extra | self.lang.question_words
                              if all(is_cjk(c) for c in w)},
                             {w for w in self.scope.place_words if all(is_cjk(c) for c in w)})
        # the pack's compound terms, indexed with the words inside them
        self._compounds = {w for w in extra if len(w) >= 3}

        self._article_words: list[Counter[str]] = []
        self._article_bigrams: list[Counter[str]] = []
        for art in self.reg.articles:
            text = "\n".join([
                self.reg.chapter_of(art.number).title, art.heading, art.text,
                " ".join(self.terms.get(art.number, [])),
                " ".join(q for a, q, _ in self.questions if a == art.number),
            ])
            words = self._words(normalize(text), index=True)
            self._article_words.append(Counter(words))
            self._article_bigrams.append(Counter(_bigrams(normalize(text))))
        self.words = _BM25(self._article_words)
        self._anchor_df = max(1, int(ANCHOR_DF * len(self._article_words)))
        self.bigrams = _BM25(self._article_bigrams)
        self.vocabulary: set[str] = set(self.words.df)
        # words of the pack's terms that few articles use (弄虚作假, 商业秘密): a question that
        # reaches one, directly or through a synonym, is about the measures
        self._full_text = normalize("".join(a.text for a in self.reg.articles))
        self._award_names = {normalize(w) for w in (*self.scope.award_words, self.scope.award,
                                                     "奖", "奖项")}
        self._distinctive = {w for ts in self.terms.values() for t in ts for w in self._words(t)
                             if len(w) >= 2 and 0 < self.words.df.get(w, 0) <= 2}
        # Sample questions as IDF-weighted vectors of words and bigrams, for cosine matching.
        self._question_vecs = [self._weigh(self._terms(q)) for _, q, _ in self.questions]
        self._question_norms = [_norm(v) for v in self._question_vecs]
        self._question_postings = _postings(self._question_vecs)
        self._homophones: dict[str, set[str]] = defaultdict(set)
        for w in self.vocabulary | extra:
            if 2 <= len(w) <= 5 and all(is_cjk(c) for c in w):
                for key in pinyin_keys(w):
                    self._homophones[key].add(w)
        self._units: dict[int, list[Unit]] = {}
        self._sentence_df: Counter[str] | None = None
        self._sentence_n = 0
        self._sidf: dict[str, float] = {}
        # 第五章 认定程序: articles of a chapter named a procedure follow one another
        self.procedure_chapters = {c.number for c in self.reg.chapters
                                   if any(w in c.title for w in ("程序", "流程", "步骤"))}
        self._pack_only = (self.questions, self._question_vecs, self._question_norms,
                           self._question_postings, self.synonyms)
        self.learned = Learned()
        self._scope: list[tuple[str, dict[str, float], float, frozenset[str], int | None]] = []
        self._learned_from = len(self.questions)  # questions from here on were taught
        # A taught question's tokens, shared by every layer built from this retriever: a new
        # layer only tokenises what is new in it.
        self._learned_tokens: dict[str, tuple[set[str], frozenset[str]]] = {}
        # sample question -> the sentence it points at (the pack's, then what staff taught)
        self._question_sentence: dict[int, int] = dict(self._pack_sentence)
        self._question_lesson: dict[int, int | None] = {}  # learned question -> its lesson
        if learned:
            self._apply(learned)

    # -- the learned layer ----------------------------------------------------------------
    def respell(self, text: str) -> str:
        """Normalised text with the pack's misspellings put right."""
        if self._misspelt is None:
            return text
        return self._misspelt.sub(lambda m: self._misspellings[m.group(0)], text)

    def with_learned(self, learned: Learned) -> Retriever:
        """This pack's retriever with staff's learned layer in place of the current one.

        The one door for what staff teach (``knowledge/learned.py``): extra sample questions
        (each pointing at an article, an item or one sentence), extra synonyms, and
        out-of-scope examples with a reason. A learned sample decides for its near-copies only
        (LEARNED_SAME_SIMILARITY): it is users' words, and in the article indexes, or counted
        like a pack sample further away, its incidental words (银行, 营业执照, 专利) pulled
        unrelated questions and lowered the existing question sets (benchmarks/teach_bench.py).
        The pack's indexes are shared, so swapping a layer costs milliseconds.
        """
        new = copy.copy(self)
        new._apply(learned)
        return new

    def _apply(self, learned: Learned) -> None:
        questions, vecs, norms, postings, synonyms = self._pack_only
        self.questions, self._question_vecs = list(questions), list(vecs)
        self._question_norms = list(norms)
        self._question_sentence, self._question_lesson = dict(self._pack_sentence), {}
        articles = {a.number for a in self.reg.articles}
        for sample in learned.samples:
            if sample.article not in articles:
                continue
            q = normalize(sample.question)
            if sample.sentence is not None:
                self._question_sentence[len(self.questions)] = sample.sentence
            self._question_lesson[len(self.questions)] = sample.lesson
            self.questions.append((sample.article, q, _item_set(sample.item)))
            self._question_vecs.append(self._weigh(self._tokens(q)[0]))
            self._question_norms.append(_norm(self._question_vecs[-1]))
        self._question_postings = (postings if len(self.questions) == len(questions)
                                   else _postings(self._question_vecs))
        self.synonyms = defaultdict(list, {k: list(v) for k, v in synonyms.items()})
        for syn in learned.synonyms:
            word, canon = normalize(syn.word).strip(), normalize(syn.canonical).strip()
            if word and canon and canon not in self.synonyms[word]:
                self.synonyms[word].append(canon)
        self._scope = []
        for o in learned.out_of_scope:
            terms, anchors = self._tokens(normalize(o.question))
            vec = self._weigh(terms)
            if _norm(vec):
                self._scope.append((o.reason, vec, _norm(vec), anchors, o.lesson))
        self.learned = learned

    def _sentence_with(self, number: int, words: str) -> int:
        """The index of the sentence of an article that contains these words."""
        for s in self.reg.article(number).sentences:
            if words in s.text:
                return s.index
        raise ValueError(f"第{number}条 has no sentence with {words!r}")

    def _canon_words(self, canon: str) -> list[str]:
        words = self._canon_cache.get(canon)
        if words is None:
            words = self._canon_cache[canon] = self._words(canon)
        return words

    def _synonyms_in(self, text: str) -> list[tuple[str, list[str]]]:
        """The synonyms whose first character is in the text (the candidates for ``in``)."""
        index = self._synonym_index
        if index is None or index[0] is not self.synonyms:
            by_char: dict[str, list[str]] = defaultdict(list)
            for variant in self.synonyms:
                if variant:
                    by_char[variant[0]].append(variant)
            index = self._synonym_index = (self.synonyms, by_char)
        found = {v for ch in set(text) for v in index[1].get(ch, ())}
        return [(v, self.synonyms[v]) for v in found]

    def _terms(self, text: str, expand: bool = True) -> set[str]:
        """A sample question's words and bigrams (weighed by :meth:`_weigh` for cosine
        matching). The pack's samples carry their synonyms' words too, so that a question and a
        sample meet in the measures' vocabulary (花钱 and 交钱 both as 收取任何费用); a taught
        question keeps only its own words (it answers alone only for itself and near-copies)."""
        words = self._words(text)
        found = set(self._expand(text, words, homophones=False)[0]) if expand else set(words)
        return found | set(self._query_bigrams(text, words))

    def _tokens(self, text: str) -> tuple[set[str], frozenset[str]]:
        """A taught question's terms, and its words the measures never use (its anchors)."""
        found = self._learned_tokens.get(text)
        if found is None:
            _, oov = self._expand(text, self._words(text))
            anchors = frozenset(w for w, weight in oov.items() if weight and len(w) >= 2)
            found = self._learned_tokens[text] = (self._terms(text, expand=False), anchors)
        return found

    def _weigh(self, terms: set[str]) -> dict[str, float]:
        return {t: self._term_idf(t) for t in terms}

    def _taught_decline(self, q: _Query, hits: list[Hit]) -> tuple[str, int | None] | None:
        """The reason (and lesson) of the learned out-of-scope example this question is
        closest to, when it is close and no sample question is closer."""
        qvec = dict(q.query)
        for bg in q.bigrams:
            qvec[bg] = 1.0
        best, reason = 0.0, None
        for code, vec, norm, anchors, lesson in self._scope:
            sim = self._cosine(qvec, vec, norm)
            # What makes the example out of scope is usually a word the measures never use
            # (石家庄, 所得税): without it, 公示几天啊 is not 全国质量奖公示几天啊.
            if anchors and not any(a in q.text for a in anchors):
                continue
            if not anchors and sim < SCOPE_SURE:
                continue
            if sim > best:
                best, reason = sim, (code, lesson)
        in_scope = max((h.question for h in hits), default=0.0)
        return reason if best >= SCOPE_SIMILARITY and best >= in_scope else None

    def _taught_sample(self, q: _Query) -> int | None:
        """The taught sample question this question is (itself or a near-copy), by index."""
        if len(self.questions) == self._learned_from:
            return None
        sims = self._similarities(q)
        at = max(range(self._learned_from, len(sims)), key=sims.__getitem__)
        return at if sims[at] >= LEARNED_SAME_SIMILARITY else None

    def _taught_first(self, hits: list[Hit], at: int) -> list[Hit]:
        """Staff's article for a question they taught leads, scored as the best answer: it is
        the office's latest word, over a scope rule, the duration rule or a low score."""
        article = self.questions[at][0]
        found = next((h for h in hits if h.article == article), Hit(article, 0.0))
        top = max([h.score for h in hits] + [self.confident])
        return [replace(found, score=max(found.score, top)),
                *(h for h in hits if h.article != article)]

    def _cosine(self, query: dict[str, float], vec: dict[str, float], norm: float) -> float:
        dot = qn = 0.0
        for t, w in query.items():
            idf = vec.get(t)
            weight = w * (idf if idf is not None else self._term_idf(t))
            qn += weight * weight
            if idf is not None:
                dot += weight * idf
        return dot / math.sqrt(qn) / norm if dot and norm else 0.0

    # -- text to terms ------------------------------------------------------------------
    def _words(self, text: str, index: bool = False) -> list[str]:
        out = []
        # the previous word was a number (7 个 -> 个, 30 万元 -> 万元) or a year (2020 年)
        number: bool | str = False
        for w in self.seg.cut(text):
            if m := _NUM_UNIT.match(w):
                # 2020年 is a date, not a number of years: its 年 says nothing
                year = bool(_YEAR_NUMBER.match(w))
                if m.group(1) and not year:
                    out.append(m.group(1))
                number = "year" if year and not m.group(1) else bool(not m.group(1))
                continue
            if number == "year" and w in ("年", "年度"):
                number = False
                continue
            if number and w in _UNITS:
                out.append(w)
                number = False
                continue
            number = False
            if w in self.stopwords:
                continue
            out.append(w)
            if index and w in self._compounds:
                # 环保事故 also answers 事故; 原则上 stays apart from 原则
                out += [x for x in self.seg.cut_for_index(w) if x != w and x not in self.stopwords]
        return out

    def _expand(self, text: str, words: list[str], homophones: bool = True,
                reached: set[str] | None = None,
                loose: bool = False) -> tuple[dict[str, float], dict[str, float]]:
        """Query words with weights, and how much each unknown word counts against it (0 once
        a synonym or homophone explains it). ``reached`` collects the measures' words reached
        through a synonym of two characters or more, a phrase or a homophone."""
        reached = set() if reached is None else reached
        query: dict[str, float] = {}
        oov: dict[str, float] = {}
        for w in words:
            query[w] = max(query.get(w, 0.0), 1.0)
            if w not in self.vocabulary:
                # the measures' own place (市里, 咱市) is no word against the question
                oov[w] = 0.0 if w in self._places else 1.0 if len(w) > 1 else 0.5
        covered: set[str] = set()
        # Synonyms: a colloquial word or phrase maps onto the measures' own words.
        # When the variant explains a word the measures never use (挪用 -> 挪作他用), the
        # measures' word takes its place at full weight; otherwise it is a weaker extra.
        for variant, canons in self._synonyms_in(text):
            if variant in text:
                covered.add(variant)
                weight = 1.0 if any(w in variant or variant in w for w in oov) else EXPANSION_WEIGHT
                for c in canons:
                    for cw in self._canon_words(c):
                        query[cw] = max(query.get(cw, 0.0), weight)
                        if len(variant) >= 2:  # not 报 inside 年报
                            reached.add(cw)
        # Phrases: a pattern of the pack's stands for the measures' word (奖金…给…吗 -> 用于)
        for canon, rx in self.phrases:
            if m := rx.search(text):
                covered.add(m.group(0))
                for cw in self._canon_words(canon):
                    query[cw] = max(query.get(cw, 0.0), 1.0)
                    reached.add(cw)
        # Homophones: one to three adjacent words of the question that together sound like
        # one of the pack's terms (公式期 -> 公示期). Windows follow word boundaries, so that
        # 什么时候 never yields 么时 -> 模式.
        for chunk in chunks(text) if homophones else ():
            toks = self.seg.cut(chunk)
            for i in range(len(toks)):
                window = ""
                for j in range(i, min(i + 3, len(toks))):
                    window += toks[j]
                    if len(window) > 5:
                        break
                    if (len(window) < 2 or window in self.vocabulary
                            or not all(is_cjk(c) for c in window)):
                        continue
                    if j == i and self.seg.is_word(window) and not loose:
                        continue  # a real word on its own (意义) is not a typo for 异议
                    if toks[i] in self.stopwords or toks[j] in self.stopwords:
                        continue  # 是县医院: 是 + 县 is no typo for 实现
                    for key in pinyin_keys(window, limit=4):
                        for term in self._homophones.get(key, ()):
                            if term != window:
                                covered.add(window)
                                for tw in self._words(term):
                                    query[tw] = max(query.get(tw, 0.0), EXPANSION_WEIGHT)
                                    reached.add(tw)
        # A word covered by a synonym or homophone no longer counts against the query.
        for w in list(oov):
            if any(w in c or c in w for c in covered):
                oov[w] = 0.0
        return query, oov

    def prepare(self, text: str, asks: str | None = None, loose: bool = False) -> _Query:
        """A question's words, expansion, bigrams and intent. ``loose``: a real word the
        measures never use may be a typo too (公式几天: 公示), tried only for a question
        that would otherwise be refused."""
        words = self._words(text)
        negated = self._negated(text)
        if negated:
            # 医院不是企业: what the applicant is not says nothing of what is asked
            words = [w for w in words if w not in negated]
        reached: set[str] = set()
        query, oov = self._expand(text, words, reached=reached, loose=loose)
        for w in negated:
            query.pop(w, None)
            oov.pop(w, None)
        denied, spans = self._denied(text, words)
        for w in denied:
            # 没人提异议 -> 无异议: its 异议 is not asked about on its own
            query.pop(w, None)
        if asks:
            # the topic's words say what it is about, the follow-up's what is asked now
            own = self._expand(asks, self._words(asks), homophones=False)[0]
            query = {w: v if w in own else v * TOPIC_WEIGHT for w, v in query.items()}
        intent = self.lang.intent(asks or text, self.kinds)
        if asks and not intent.entities:
            # the kinds of award named are those of the whole text (the topic's too), unless
            # the follow-up names its own (那要是厂子自己报呢 after a question on 个人奖)
            intent = replace(intent, entities=self.lang.intent(text, self.kinds).entities)
        body = None
        if "who" in intent.kinds and (m := _ASKED_BODY.search(asks or text)):
            # 哪个部门管的: 部门 is what is asked for, not a word the answer must share
            body = m.group(1)
            for w in self._words(body):
                if w in query:
                    query[w] = min(query[w], ASKED_BODY_WEIGHT)
        if "count" not in intent.kinds and _ASKED_MEASURE.search(asks or text):
            # 印“市政府质量奖”几个字: no count is asked, its 个 says nothing of the quota's 7个
            for unit in _UNITS:
                query.pop(unit, None)
        if "count" in intent.kinds:
            counted = self._counted(asks or text)
            if counted in self.lang.count_generic:
                counted = None  # 几个名额: the award's places, whatever sentence gives them
            intent = replace(intent, count_of=counted)
            if counted and not self._is_kind_word(counted):
                # 几个部门 counts departments: its 个 says nothing about the quota's 7个
                for unit in _UNITS:
                    query.pop(unit, None)
        # with a follow-up asked after the topic's question, the bigrams are the follow-up's
        bigrams = (self._query_bigrams(asks, self._words(asks), negated) if asks
                   else self._query_bigrams(text, words, negated))
        if spans:
            bigrams = [b for b in bigrams if not any(b in v for v in spans)]
        if body:
            bigrams = [b for b in bigrams if b not in body]
        return _Query(text, words, query, oov, bigrams, intent,
                      reached=frozenset(w for w in reached if w in query))

    def _denied(self, text: str, words: list[str]) -> tuple[set[str], list[str]]:
        """Words of the question inside a synonym that denies them (没人提异议 -> 无异议), and
        those synonyms."""
        denied: set[str] = set()
        spans: list[str] = []
        cached = self._denying
        if cached is None or cached[0] is not self.synonyms:
            cached = self._denying = (self.synonyms, [
                (v, c) for v, c in self.synonyms.items() if v and v[0] in _DENYING])
        for variant, canons in cached[1]:
            if variant in text:
                canon_words = {cw for c in canons for cw in self._canon_words(c)}
                inner = {w for w in words if w in variant and w not in canon_words}
                if inner:
                    denied |= inner
                    spans.append(variant)
        return denied, spans

    def _negated(self, text: str) -> set[str]:
        """The negators of a question and the word each denies (不是 + 企业)."""
        if not any(n in text for n in self.lang.negators):
            return set()
        toks = self.seg.cut(text)
        out: set[str] = set()
        for i, t in enumerate(toks):
            if t in self.lang.negators:
                out.add(t)
                if i + 1 < len(toks) and all(is_cjk(c) for c in toks[i + 1]):
                    out.add(toks[i + 1])
        return out

    def _counted(self, text: str) -> str | None:
        """What a count question counts: the word after 几个/多少家 (几个部门 -> 部门)."""
        for chunk in chunks(text):  # 评几回，每回…: never the word after a comma
            toks = self.seg.cut(chunk)
            for i, t in enumerate(toks[:-1]):
                if t in ("几", "多少") and i + 2 < len(toks) and _COUNT_WORD.match(t + toks[i + 1]):
                    t, i = t + toks[i + 1], i + 1  # 多少 + 家 + 单位
                elif not _COUNT_WORD.match(t):
                    continue
                nxt = toks[i + 1]
                if all(is_cjk(c) for c in nxt) and nxt not in self.stopwords:
                    return nxt
        return None

    def _is_kind_word(self, word: str) -> bool:
        return any(word in w or w in word for k in self.kinds for w in (*k.ask_words, k.name))

    # -- answering ----------------------------------------------------------------------
    def ask(self, query: str, *, today: dt.date | None = None, prefer: tuple[int, ...] = (),
            boost: float = W_INTENT, scoped: bool = True, asks: str | None = None) -> Answer:
        """Answer one question. ``today``: read the facts a question states and give the rules'
        verdict on them (without it, no verdict); ``prefer``: articles of the conversation's
        topic, which gain ``boost`` (a follow-up leans on them); ``scoped=False`` skips the
        scope check; ``asks``: the text whose question words say what is asked (a follow-up
        asked with the topic's question in front: 多久评一次，一次评几个 asks a count)."""
        raw = (query or "").strip()
        text = self.respell(normalize(raw[:MAX_QUERY_CHARS]))
        if not chunks(text):
            return Answer(raw, "empty", text=text)
        if kind := self.lang.smalltalk_kind(text):
            return Answer(raw, "smalltalk", smalltalk=kind, text=text)
        refs = _article_refs(text)
        item = None
        if m := _ITEM_REF.search(text):
            item = to_int(m.group(1))
        if refs:
            return self._reference(raw, text, refs[0], item)
        if m := _BARE_NUMERAL.match(text.strip()):  # 二十四, 24, 第24: an article number
            n = to_int(m.group(1))
            if n is not None and (m.group(0).startswith("第") or len(m.group(1)) <= 4):
                return self._reference(raw, text, n, None)
        q = self.prepare(text, asks=normalize(asks) if asks else None)
        if (not asks and q.words and not ASKING.search(text)
                and all(w in self._award_names for w in q.words)):
            # 奖, 2023年的奖: nothing but the award is named and nothing asked: what it is
            q = self.prepare(normalize(self.scope.award_words[0] if self.scope.award_words
                                       else self.scope.award))
        if (step := self._step(normalize(asks) if asks else text, q)) is not None:
            return step
        hits = self.rank_prepared(q, prefer=prefer, boost=boost)
        if self._scope and (declined := self._taught_decline(q, hits)):
            # what staff taught comes first: it is the office's latest word
            return Answer(raw, "out_of_scope", ranked=hits, scope_reason=declined[0],
                          intent=q.intent, text=text, lesson=declined[1])
        taught = self._taught_sample(q)
        if taught is not None:  # so is a question staff assigned to an article
            hits = self._taught_first(hits, taught)
        else:
            hits = self._applying_first(self._ban_first(hits, q), text)
        if scoped and taught is None and (decline := self.scope.check(text)):
            rest = self._inside_part(text, decline)
            if rest is not None:
                # 个人奖一次评几个？竞争激烈不: the question inside is answered, the one outside
                # is declined beside it with its reason
                part = self.ask(rest, today=today, prefer=prefer, boost=boost)
                if part.kind in ("answer", "ambiguous"):
                    return replace(part, query=raw, notes=[*part.notes, decline.reason])
            return self._declined(raw, q, decline)
        reading = self.facts.read(text, today) if today is not None else None
        if reading is not None and reading.topic == "validity" and "amount" in q.intent.kinds:
            reading = None  # 期满后再评上还能再拿30万吗: the money, not the validity, is asked
        if reading is not None and taught is not None and (
                reading.article != self.questions[taught][0]):
            reading = None  # staff taught it to another article: their answer, not the verdict
        if (reading is not None and reading.topic == "eligibility"
                and q.intent.kinds & _ELSEWHERE and not q.intent.kinds & _MAY):
            reading = None  # 注册八年了，想报组织奖，需要先找谁: who is asked, not whether
        if reading is not None:
            return self._verdict(raw, q, reading, hits)
        floor = self.refuse if self._anchored(q) or prefer else self.refuse_unanchored
        if hits and hits[0].score < floor and floor > self.refuse and not asks:
            # 公式几天啊: nothing ties the question to the award unless a real word is a typo
            q2 = self.prepare(text, loose=True)
            if q2.reached - q.reached and self._anchored(q2):
                hits2 = self.rank_prepared(q2, prefer=prefer, boost=boost)
                if hits2 and hits2[0].score >= self.refuse:
                    q, hits, floor = q2, hits2, self.refuse
        if not hits or hits[0].score < floor:
            return Answer(raw, "out_of_scope", [h for h in hits if h.score >= 0.08][:3],
                          ranked=hits, intent=q.intent, text=text)
        # 评审一轮要多久: no sentence states a duration of that: the best answer, shown as such
        band_best = taught is None and (hits[0].score < self.confident or (
            q.intent.kinds & _SPECIFIC == {"duration"}
            and not self.answers_duration(hits[0].article, q)))
        through = None
        if band_best and q.intent.kinds & _SPECIFIC == {"duration"} and (
                hits[0].score >= self.confident):
            # 称号能用多久: 第二十一条 allows it 在有效期内, 第四条 says how long 有效期 is
            through = self._duration_through(hits[0].article, hits[1:4])
            if through is not None:
                q = replace(q, query={**q.query, through[1]: 1.0}, sims=q.sims)
                band_best = False
        # a runner-up is quoted too when it scores alike and, if the first gives what is
        # asked for (奖金给多少: an amount), gives it too (第二十四条's 追缴奖金 does not)
        specific = replace(q.intent, kinds=q.intent.kinds & _SPECIFIC)
        needs = bool(specific.kinds) and self._gives(hits[0].article, specific, q)
        second = hits[1:2]
        partners = self.together.get(hits[0].article, set())
        if second and second[0].article not in partners:
            # a runner-up the pack pairs with the first, all but tied with the next: it is the
            # second answer (第十一条's step and 第三条's principle, not 第七条（五）'s 申报)
            tied = [h for h in hits[2:4] if h.article in partners
                    and h.score >= PARTNER_TIE * second[0].score]
            if tied:
                second = tied[:1]
                hits = [hits[0], tied[0]] + [h for h in hits[1:] if h is not tied[0]]
        close = [h for h in second if h.score >= CLOSE_RATIO * hits[0].score
                 and not self._apart(h.article, [hits[0].article])
                 and h.article not in self.never_beside.get(hits[0].article, ())
                 and (not needs or self._gives(h.article, specific, q))]
        if through is not None and through[0] not in close:
            close = [through[0]]
            hits = [hits[0], through[0]] + [h for h in hits[1:] if h is not through[0]]
        if not close and (partner := self._partner(hits, q)) is not None:
            # 第三条 and 第十四条 say who decides from two sides: both are quoted
            close = [partner]
            hits = [hits[0], partner] + [h for h in hits[1:] if h is not partner]
        parts = self._parts(text) if not asks else []
        # a kind of award the message names holds for each of its questions (个人奖给多少钱
        # 有奖杯没: the cup is the individual's)
        parts = [p if p.intent.entities else replace(p, intent=replace(
            p.intent, entities=q.intent.entities)) for p in parts]
        for extra in self._parts_elsewhere(parts, [hits[0].article, *(h.article for h in close)]):
            # 组织奖几年有效？奖金多少？: the second question's article (第十六条) is quoted too
            close.append(next((h for h in hits if h.article == extra.article), extra))
            hits = [hits[0], *close] + [h for h in hits[1:] if h not in close]
        kind = "best" if band_best else ("ambiguous" if close else "answer")
        quotes: list[Sentence] = []
        whole = False
        notes: list[str] = []
        for h in hits[: 1 + len(close)]:
            qs, w = self.select(h.article, q)
            if parts and not w:
                qs = self._with_parts(h.article, qs, parts)
            quotes += qs
            whole = whole or w
            notes += self._notes_for(h.article, q, always=True)
        floor = max(2 * REFUSE, RELATED_RATIO * hits[0].score)
        if band_best:
            related = [h for h in hits[1 + len(close):4] if h.score >= REFUSE]
        else:
            related = [h for h in hits[1 + len(close):] if h.score >= floor][:3]
        shown = [h.article for h in hits[: 1 + len(close)]]
        related = [h for h in related if not self._apart(h.article, shown)]
        return Answer(raw, kind, hits[: 1 + len(close)] + related, quotes, whole, ranked=hits,
                      intent=q.intent, notes=notes, text=text, shown=1 + len(close),
                      lesson=None if taught is None else self._question_lesson.get(taught))

    def _ban_first(self, hits: list[Hit], q: _Query) -> list[Hit]:
        """A question naming a case of an article whose ban overrides the first one's
        permission (the pack's ``never_related``: 第二十四条's 今后不得申报 over 第四条/第十七条's
        可再次申报) gets that article first: 骗奖被查出来以后过几年还能再报不 is answered by the
        ban, not by the validity. A case is named when one of its items shares a word of the
        question that few articles use (弄虚作假, 经营性亏损)."""
        if len(hits) < 2:
            return hits
        first = hits[0].article
        for h in hits[1:4]:
            if first in self.overrides.get(h.article, ()) and self._names_case(h.article, first, q):
                return self._moved_first(hits, h)
            if first not in self.never_related.get(h.article, ()):
                continue
            rare = {t for t, w in q.query.items() if w >= 1.0
                    and 0 < self.words.df.get(t, 0) <= 2}
            if any(u.sentence.item is not None and rare & u.words.keys()
                   for u in self._article_units(h.article)):
                return self._moved_first(hits, h)
        return hits

    def _applying_first(self, hits: list[Hit], text: str) -> list[Hit]:
        """我们公司去年亏损了，能申报吗: an applicant who has won nothing is answered by the
        conditions (第七条), not by what revokes a winner's award (第二十四条（三）, whose
        今后不得申报 would read as a ban on the applicant)."""
        if not hits or hits[0].article not in self.winners_only \
                or not self.facts.asks_applying(text) \
                or self.lang.strip_lead(text) != text.strip():
            return hits  # (那多久以后能报 leans on the turn before: the dialogue reads it)
        for h in hits[1:4]:
            if h.article not in self.winners_only and any(
                    "conditions" in u.answers for u in self._article_units(h.article)):
                return self._moved_first(hits, h)
        return hits

    @staticmethod
    def _moved_first(hits: list[Hit], h: Hit) -> list[Hit]:
        """``h`` first, the scores left where they were (the bands are calibrated on them)."""
        scores = [x.score for x in hits]
        order = [h] + [x for x in hits if x is not h]
        return [replace(x, score=sc) for x, sc in zip(order, scores, strict=True)]

    def _names_case(self, number: int, other: int, q: _Query) -> bool:
        """The question reaches a word only ``number`` of the two has, and few articles use
        (再次获得: the pack's ``overrides``, 第十七条's 不再给予物质奖励 over 第十六条's sums)."""
        mine, theirs = self._sentence_words(number), self._sentence_words(other)
        return any(w >= EXPANSION_WEIGHT and 0 < self.words.df.get(t, 0) <= 2
                   and t in mine and t not in theirs for t, w in q.query.items())

    def _step(self, text: str, q: _Query) -> Answer | None:
        """申报流程第一步是啥, 最后一步是什么: the first (or last) article of the chapter that is
        a procedure (第五章 认定程序), with the name of its step, when the question is about
        the procedure (it names it, or a word of that chapter); 申报流程是什么: every step."""
        which = self.lang.step_asked(text) if self.procedure_chapters else None
        if which is None:
            return None
        chapter = min(self.procedure_chapters)
        arts = [a.number for a in self.reg.articles if a.chapter == chapter]
        words = {w for n in arts for u in self._article_units(n) for w in u.words}
        if not (q.intent.kinds & {"process"} or words & q.query.keys()
                or any(w in text for w in ("流程", "程序", "步骤", "环节"))):
            return None
        if self.scope.check(text) is not None:
            return None  # 全国质量奖的申报流程, 省里的推荐完了下一步: another award's, declined below
        if which == "all":
            # 公示程序是怎样的 asks about one step: a word only one step's article has
            own = [self._sentence_words(n) for n in arts]
            title = self.reg.chapter_of(arts[0]).title
            if any(sum(w in o for o in own) == 1 for w in q.words
                   if len(w) >= 2 and w not in title and w not in _STEP_WORDS):
                return None
            # 申报流程是什么: each step, by the sentence that names it, the one after, and any
            # that takes its subject from that one (…；对申报材料的真实性进行审查，签署…)
            quotes = []
            for n in arts:
                units = self._article_units(n)
                keep = {u.sentence.index for u in units[:2]}
                keep |= {u.sentence.index for u in units if u.antecedent in keep}
                quotes += [u.sentence for u in units if u.sentence.index in keep]
            hits = [Hit(n, 1.0) for n in arts]
            return Answer(text, "answer", hits, quotes, ranked=list(hits), intent=q.intent,
                          text=text, followup="steps", shown=len(arts))
        if which == "after":
            named = self._step_named(text, arts)
            if named is None or named == arts[-1]:
                return None
            ranked = self.rank_prepared(q)
            if ranked and ranked[0].question >= SAMPLE_DECIDES:
                return None  # 资料审核之后做什么: a sample question of the pack says where
            n = arts[arts.index(named) + 1]
            quotes = [u.sentence for u in self._article_units(n)]
            return Answer(text, "answer", [Hit(n, 1.0)], quotes, ranked=[Hit(n, 1.0)],
                          intent=q.intent, text=text, followup="next")
        n = arts[0] if which == "first" else arts[-1]
        quotes = [u.sentence for u in self._article_units(n)]
        return Answer(text, "answer", [Hit(n, 1.0)], quotes, ranked=[Hit(n, 1.0)],
                      intent=q.intent, text=text, followup="first" if which == "first"
                      else "last")

    def _step_named(self, text: str, arts: list[int]) -> int | None:
        """The step of a procedure a message names before asking what comes after it: the one
        article of the procedure whose name (资格审查) or own words (推荐, 现场核查) it uses."""
        cue = self.lang.after_step_cue(text)
        before = text[:cue] if cue is not None else text
        words = set(self._words(before))
        own = [self._sentence_words(n) for n in arts]
        scores = []
        for i, n in enumerate(arts):
            unique = {w for w in own[i] if len(w) >= 2 and sum(w in o for o in own) == 1}
            heading = self.reg.article(n).heading or ""
            named = bool(heading) and heading.rstrip("。") in before
            scores.append((named, len(words & unique), n))
        best = max(scores)
        if not best[0] and best[1] == 0:
            return None
        if sum(1 for sc in scores if sc[:2] == best[:2]) > 1:
            return None  # two steps named alike: which one is meant is not said
        return best[2]

    def _inside_part(self, text: str, decline: Decline) -> str | None:
        """The clauses of a message that ask something inside the measures when another of
        its clauses is about a topic or a scheme they do not address; None when the whole
        message is outside (another place's or level's award changes what every clause asks,
        and a clause without a question word of its own is context, not a question)."""
        if decline.kind not in (OTHER_PROGRAMME, TOPIC):
            return None
        parts = [p for p in _PARTS.split(text) if p]
        outside = [i for i, p in enumerate(parts) if self.scope.check(p) is not None]
        if not outside or len(outside) == len(parts):
            return None  # every clause, or only the whole message, is outside
        # the question inside comes first and asks on its own: a question word and something
        # of the award named, no 那/这 pointing elsewhere; a clause after the outside one may lean
        # on it for its subject (想评个省级质量标杆，需要满足哪些条件), so it is not split off
        # (我是获奖单位的会计，奖金到底多少？入账怎么记: who asks, then the question inside)
        inside = parts[:outside[0]]
        asking = [p for p in inside if ASKING.search(p)]
        if outside[0] == 0 or not asking or _LEANS.search(asking[0]) or not self.scope.anchored(
                "，".join(inside)):
            return None
        return "，".join(inside)

    def _parts(self, text: str) -> list[_Query]:
        """The questions of a message asking several (公示几天 公示期间有人提异议咋处理): its
        clauses that carry a question word of their own, prepared; none for one question."""
        parts = [p for p in _PARTS.split(text) if len(p) >= 3]
        if len(parts) < 2:
            return []
        asking = [p for p in parts if self.lang.intent(p, self.kinds).kinds]
        if len(asking) < 2:
            return []
        return [self.prepare(p) for p in asking]

    def _parts_elsewhere(self, parts: list[_Query], shown: list[int]) -> list[Hit]:
        """For a message asking several things (几年有效？奖金多少？), the article that answers one
        of its questions confidently on its own when none of the articles shown gives what
        that question asks for (an amount, a count, a duration…): at most MAX_PART_ARTICLES."""
        out: list[Hit] = []
        for part in parts:
            wanted = replace(part.intent, kinds=part.intent.kinds & _SPECIFIC)
            if not wanted.kinds or any(self._gives(n, wanted, part) for n in shown):
                continue
            ranked = self.rank_prepared(part)
            top = ranked[0].article if ranked else None
            if (top is not None and ranked[0].score >= max(self.confident, CONFIDENT)
                    and top not in shown and not self._apart(top, shown)
                    and not any(top in self.never_beside.get(n, ()) for n in shown)
                    and self._gives(top, wanted, part)):
                out.append(ranked[0])
                shown = [*shown, ranked[0].article]
            if len(out) >= MAX_PART_ARTICLES:
                break
        return out

    def _with_parts(self, number: int, quotes: list[Sentence],
                    parts: list[_Query]) -> list[Sentence]:
        """The sentences chosen for the whole message and, beside them, those each of its
        questions gets on its own from the same article (the duration *and* what happens to
        an objection); a sentence cut two ways is quoted whole."""
        found: dict[int, Sentence] = {s.index: s for s in quotes}
        for part in parts:
            if not any(self._lexical(u, part.query, set(part.bigrams)) > 0
                       for u in self._article_units(number) if not u.heading):
                continue  # this question is about something else
            qs, whole = self.select(number, part)
            if whole:
                continue
            for sen in qs:
                had = found.get(sen.index)
                if had is not None and had.text != sen.text:
                    sen = self.reg.article(number).sentences[sen.index]
                found[sen.index] = sen
        return [found[i] for i in sorted(found)]

    def _verdict(self, raw: str, q: _Query, reading: Reading, hits: list[Hit]) -> Answer:
        """A question that states facts: the clauses they bear on, quoted after the verdict."""
        quotes: list[Sentence] = []
        arts = [reading.article]
        if reading.topic == "eligibility" and self.lang.asks_all_conditions(q.text) and any(
                u.opens_list for u in self._article_units(reading.article)):
            # 干了8年，还要满足啥: the verdict on what was said, then every condition
            quotes = self._whole_list(self._article_units(reading.article), frozenset())
        elif reading.topic == "eligibility":
            for item in reading.items:
                quotes += self._with_lead(reading.article, [
                    u for u in self._article_units(reading.article) if u.sentence.item == item],
                    q.intent)
            quotes = list({s.index: s for s in quotes}.values())
        elif reading.topic in ("revoked", "revoked_use"):
            quotes = [u.sentence for u in self._article_units(reading.article)
                      if u.lead and not u.heading]
        else:
            units = self._article_units(reading.article)
            quotes = [u.sentence for u in units if "duration" in u.answers][:1]
            extra = int(reading.validity["rule_article"])
            rule = [u.sentence for u in self._article_units(extra) if not u.heading]
            if reading.validity.get("asks_reapply") or reading.validity.get("asks_use"):
                # the rule asked about leads (may we apply again, may we still use it), then
                # the validity it rests on
                arts.insert(0, extra)
                quotes = rule + quotes
            else:
                arts.append(extra)
                quotes += rule
        ranked = [Hit(a, 1.0) for a in arts] + [h for h in hits if h.article not in arts]
        related = [h for h in hits if h.article not in arts
                   and not self._apart(h.article, arts)][:2]
        return Answer(raw, "answer", [Hit(a, 1.0) for a in arts] + related, quotes,
                      ranked=ranked, intent=q.intent, text=q.text, reading=reading)

    def _partner(self, hits: list[Hit], q: _Query) -> Hit | None:
        """An article the pack pairs with the first (``together``: the summary of a rule and
        its step, 第三条 and 第十四条) among the next candidates, scoring at least
        TOGETHER_RATIO of the first, with a sentence sharing a word of the question (not the
        award's name)."""
        partners = self.together.get(hits[0].article)
        if not partners:
            return None
        content = {t for t in q.query if t not in self._kind_names
                   and t not in self.scope.award_words}
        for h in hits[1:5]:
            if (h.article in partners and h.score >= TOGETHER_RATIO * hits[0].score
                    and not self._apart(h.article, [hits[0].article])
                    and any(content & u.words.keys() for u in self._article_units(h.article))):
                return h
        return None

    def gives_asked(self, text: str, numbers: Iterable[int]) -> dict[int, bool] | None:
        """For each article, whether it gives the specific kind of answer the question asks
        for (an amount, a duration, a count, who, when…); None when it asks for none."""
        q = self.prepare(normalize(text))
        specific = q.intent.kinds & _SPECIFIC
        if not specific:
            return None
        wanted = replace(q.intent, kinds=specific)
        return {n: self._gives(n, wanted, q) for n in numbers}

    def _gives(self, number: int, intent: Intent, q: _Query) -> bool:
        """Some sentence of the article gives the kind of answer asked for."""
        return any(self._intent_match(u, intent, q.query) for u in self._article_units(number))

    def _notes_for(self, number: int, q: _Query, always: bool = False) -> list[str]:
        """The pack's notes under an article that the question asks for: by its intents
        (``for``: when) or its words (``words``: 文号); ``always``: a note asking for neither."""
        return [text for wants, words, text in self.notes.get(number, [])
                if (always and not wants and not words) or wants & q.intent.kinds
                or any(w in q.text for w in words)]

    def _apart(self, number: int, shown: list[int]) -> bool:
        """An article that must never sit beside one shown: 第二十四条's ban beside 第四条's
        or 第十七条's next application, either way round (the pack's ``never_related``)."""
        return any(number in self.never_related.get(n, ()) or n in self.never_related.get(
            number, ()) for n in shown)

    def _anchored(self, q: _Query) -> bool:
        """The question names the award, a step of it, or reaches one of the measures'
        distinctive terms (directly or through a synonym)."""
        return (self.scope.anchored(q.text) or any(t in self._distinctive for t in q.query)
                # a phrase of four characters or more quoted from the measures (法人或其他组织)
                or any(len(t) >= QUOTED_PHRASE and q.query[t] >= 1.0 and t in self._full_text
                       for t in q.query)
                # through a synonym or a typo's repair (说了算 -> 认定, 申保质量将 -> 申报, 质量奖)
                or self.scope.anchored_by(" ".join(sorted(q.reached))))

    def anchored(self, text: str) -> bool:
        return self._anchored(self.prepare(normalize(text)))

    def _declined(self, raw: str, q: _Query, decline: Decline) -> Answer:
        nearby: list[Sentence] = []
        hits = [Hit(n, 0.0) for n in decline.nearby]
        if decline.quote:
            for n in decline.nearby:
                qs, whole = self.select(n, q)
                nearby += qs or [u.sentence for u in self._article_units(n) if not u.heading]
        return Answer(raw, "out_of_scope", hits, ranked=hits, intent=q.intent,
                      decline=decline, nearby=nearby, text=q.text)

    def rank(self, text: str, prefer: tuple[int, ...] = ()) -> list[Hit]:
        """Articles scored for normalised question text, best first (score in [0, 1])."""
        return self.rank_prepared(self.prepare(text), prefer=prefer)

    def rank_prepared(self, q: _Query, prefer: tuple[int, ...] = (),
                      boost: float = W_INTENT) -> list[Hit]:
        query, oov, words = q.query, q.oov, q.words
        if not query:
            return []
        query = {t: min(w, KIND_NAME_WEIGHT) if t in self._kind_names
                 or t in self._kind_ask_words else w for t, w in query.items()}
        w_scores = self.words.scores(query)
        w_ideal = self.words.ideal(query, oov) or 1.0
        qb = dict.fromkeys(q.bigrams, 1.0)
        for bg in self._name_bigrams(q.text) & qb.keys():
            qb[bg] = KIND_NAME_WEIGHT
        b_scores = self.bigrams.scores(qb)
        b_ideal = self.bigrams.ideal(qb, {}) or 1.0
        best_q: dict[int, float] = defaultdict(float)
        taught, taught_sim = None, 0.0
        lift: dict[int, float] = defaultdict(float)  # the sample similarity that may carry alone
        for qi, sim in enumerate(self._similarities(q)):
            art = self.questions[qi][0]
            if qi >= self._learned_from and sim < LEARNED_QUESTION_FLOOR:
                continue
            if sim > best_q[art]:
                best_q[art] = sim
            if qi < self._learned_from or sim >= LEARNED_SAME_SIMILARITY:
                # Users' words carry context (奖金能不能拿去还银行贷款): a taught question
                # answers alone only for itself and its near-copies.
                lift[art] = max(lift[art], sim)
            if qi >= self._learned_from and sim > taught_sim:
                taught, taught_sim = self._question_vecs[qi], sim
        if taught is not None and taught_sim >= LEARNED_SAME_SIMILARITY:
            # Staff taught this question (or all but a word of it): its words are in scope
            # (铺子, 开张). Only then: 获奖证书能不能拿去银行申请贷款 is not 奖金能不能拿去还银行贷款.
            oov = {w: 0.0 if w in taught else v for w, v in oov.items()}
        # words few articles use: one of them in an article ties the question to it
        rare = {t for t in query if 0 < self.words.df.get(t, 0) <= self._anchor_df}
        coverage = self._coverage(words, oov)
        damp = min(1.0, coverage / FULL_COVERAGE)
        asked = q.intent.entities if len(q.intent.entities) == 1 else frozenset()
        hits = []
        for i, art in enumerate(self.reg.articles):
            wn = min(w_scores[i] / w_ideal, 1.0)
            bn = min(b_scores[i] / b_ideal, 1.0)
            qn = min(best_q.get(art.number, 0.0), 1.0)
            score = W_WORD * wn + W_BIGRAM * bn + W_QUESTION * qn
            score = max(score, 0.9 * min(lift.get(art.number, 0.0), 1.0))
            if qn < ANCHOR_QUESTION and rare.isdisjoint(self._article_words[i]):
                # Only common words (工作, 单位, 申报) tie the question to this article.
                score *= UNANCHORED_DAMPING
            if score > 0 and q.intent.kinds:
                units = self._article_units(art.number)
                matched = max((self._intent_match(u, q.intent, query) for u in units
                               if u.answers & q.intent.kinds
                               and not u.words.keys().isdisjoint(query)), default=0)
                score += W_INTENT * matched
                specific = q.intent.kinds & _MISSED
                if specific and not any(u.answers & specific for u in units):
                    score *= INTENT_MISS
                elif specific == {"duration"} and not self.answers_duration(art.number, q):
                    score *= INTENT_MISS
            if asked and score > 0:
                lead_kinds = self.article_kinds(art.number)
                if lead_kinds and not (lead_kinds & asked):
                    score *= KIND_PENALTY
            if art.number in prefer:
                score += boost
            score *= damp
            hits.append(Hit(art.number, round(score, 4), wn, bn, qn))
        hits.sort(key=lambda h: (-h.score, h.article))
        hits = [h for h in hits if h.score > 0][:5]
        return self._by_sentence(q, hits)

    def _by_sentence(self, q: _Query, hits: list[Hit]) -> list[Hit]:
        """The first articles reordered by how well their best sentence answers: the share of
        what the question could score that one sentence scores (its words, and the intents
        it answers). The scores stay where they were (the bands are calibrated on them)."""
        if len(hits) < 2:
            return hits
        qb = set(q.bigrams)
        ideal = (sum(w * self._sentence_idf(t) for t, w in q.query.items())
                 + 0.5 * sum(self._sentence_idf(b) for b in qb)
                 + S_INTENT * min(len(q.intent.kinds), 2)) or 1.0
        top = hits[0].score
        keyed = []
        for i, h in enumerate(hits):
            key = h.score
            if i < SENTENCE_RERANK and h.score >= 0.5 * top:
                best = max((self.sentence_score(u, q, qb) for u in self._article_units(h.article)
                            if not u.heading), default=0.0)
                key += W_SENTENCE * min(best / ideal, 1.0)
            keyed.append((key, h))
        keyed.sort(key=lambda x: (-x[0], x[1].article))
        scores = [h.score for h in hits]
        return [replace(h, score=sc) for (_, h), sc in zip(keyed, scores, strict=True)]

    def _name_bigrams(self, text: str) -> set[str]:
        """The bigrams inside the names of the award, its kinds and its place in the text."""
        out: set[str] = set()
        for name in self._names:
            if name in text:
                out.update(_bigrams(name))
        return out

    def article_kinds(self, number: int) -> frozenset[str]:
        """The kinds of award an article is about: those its opening sentence names (第七条:
        单位; 第八条: 个人), and any kind a later sentence is about on its own (第十六条's
        second sentence: the individual prize's reward)."""
        found = self._kind_cache.get(number)
        if found is None:
            units = [u for u in self._article_units(number) if not u.heading]
            found = frozenset() if not units or not units[0].kinds else units[0].kinds | {
                k for u in units[1:] if len(u.kinds) == 1 for k in u.kinds}
            self._kind_cache[number] = found
        return found

    @staticmethod
    def _coverage(words: list[str], oov: dict[str, float]) -> float:
        """Share of the question's content the measures' vocabulary explains (by characters;
        an unexplained single character counts half)."""
        total = known = 0.0
        for w in words:
            size = len(w) if len(w) > 1 else 0.5
            total += size
            if oov.get(w, 0.0) == 0.0:
                known += size
        return known / total if total else 0.0

    def _term_idf(self, term: str) -> float:
        index = self.words if term in self.words.df else self.bigrams
        return index.idf(term)

    def _similarities(self, q: _Query) -> list[float]:
        """Cosine of the question (IDF-weighted words and bigrams) with every sample question."""
        if q.sims is not None:
            return q.sims
        qvec = dict(q.query)
        for bg in q.bigrams:
            qvec[bg] = 1.0
        dots = [0.0] * len(self.questions)
        qn = 0.0
        for t, w in qvec.items():
            weight = w * self._term_idf(t)
            qn += weight * weight
            for qi, v in self._question_postings.get(t, ()):
                dots[qi] += weight * v
        qn = math.sqrt(qn)
        q.sims = [dot / qn / norm if dot and norm and qn else 0.0
                  for dot, norm in zip(dots, self._question_norms, strict=True)]
        return q.sims

    def _query_bigrams(self, text: str, words: list[str],
                       dropped: set[str] | frozenset[str] = frozenset()) -> list[str]:
        content = set(words)
        out = []
        for chunk in chunks(text):
            # drop the stopword runs so that 能申 or 报吗 do not match by accident
            kept = "".join(w if w not in dropped and (w in content or w not in self.stopwords)
                           else " " for w in self.seg.cut(chunk))
            out += _bigrams(kept)
        return out

    def _reference(self, raw: str, text: str, number: int, item: int | None) -> Answer:
        try:
            art = self.reg.article(number)
        except KeyError:
            return Answer(raw, "no_such_article", requested=number, text=text)
        rest = re.sub(rf"第?\s*{NUMERAL_CLASS}\s*条|第?[（(]?{NUMERAL_CLASS}[）)]?项", " ", text)
        quotes: list[Sentence] = []
        whole = True
        q = self.prepare(rest)
        if item is not None and any(it.number == item for it in art.items):
            quotes = self._with_lead(number, [u for u in self._article_units(number)
                                              if u.sentence.item == item], q.intent)
            whole = False
        elif q.words and not (q.intent.kinds & {"content"} and len(q.words) <= 2):
            qs, whole = self.select(number, q, require_match=True)
            quotes = qs if not whole else []
        hit = Hit(number, 1.0)
        notes = self._notes_for(number, q)
        return Answer(raw, "reference", [hit], quotes, whole, requested=number,
                      item=item if not whole else None, intent=q.intent, notes=notes,
                      text=text)

    # -- sentences ----------------------------------------------------------------------
    def _sentence_idf(self, term: str) -> float:
        """IDF over every sentence of the regulation: within one article, words that few
        sentences use (年 in 5年以上) tell sentences apart better than article-level IDF."""
        v = self._sidf.get(term)
        if v is not None:
            return v
        if self._sentence_df is None:
            df: Counter[str] = Counter()
            n = 0
            for art in self.reg.articles:
                for u in self._article_units(art.number):
                    df.update(set(u.words) | u.bigrams)
                    n += 1
            self._sentence_df, self._sentence_n = df, n
        n, d = self._sentence_n, self._sentence_df.get(term, 0)
        v = self._sidf[term] = math.log(1 + (n - d + 0.5) / (d + 0.5))
        return v

    def prebuild(self) -> None:
        """Build now what questions would build on first use (every article's sentence units,
        the sentence-level document frequencies): a retriever written to the cache then
        carries them, and a new process does not rebuild them for its first answer."""
        for art in self.reg.articles:
            self._article_units(art.number)
        self._sentence_idf("")

    def _sentence_words(self, number: int) -> set[str]:
        """Every word the sentences of an article use."""
        return {w for u in self._article_units(number) for w in u.words}

    def _article_units(self, number: int) -> list[Unit]:
        units = self._units.get(number)
        if units is None:
            units = self._units[number] = self._build_units(self.reg.article(number))
        return units

    def _build_units(self, art: Article) -> list[Unit]:
        out: list[Unit] = []
        sentences = art.sentences
        has_items = bool(art.items)
        for i, s in enumerate(sentences):
            t = normalize(s.text)
            prev = sentences[i - 1] if i else None
            antecedent = None
            if (prev is not None and prev.item == s.item
                    and not (art.heading and prev.text == art.heading + "。")
                    and self.lang.is_dependent(s.text, prev.text.endswith("；"))):
                antecedent = i - 1
            lead = has_items and s.item is None and not any(
                x.item is not None for x in sentences[:i])
            out.append(Unit(
                s, Counter(self._words(t, index=True)), frozenset(_bigrams(t)),
                self.lang.answers(s.text),
                frozenset(sentence_kinds(t, self.kinds)), antecedent,
                bool(art.heading) and s.text == art.heading + "。", lead,
                lead and (s.text.endswith("：") or "下列" in s.text),
                tuple(frozenset(self._words(normalize(c), index=True)) - _UNITS
                      for c in _CLAUSES.split(s.text)
                      if "duration" in self.lang.answers(c)),
                tuple((c, self.lang.answers(c) & _FACTS) for c in _CLAUSE.split(s.text) if c)))
        return out

    def _intent_match(self, u: Unit, intent: Intent, query: dict[str, float] | None = None) -> int:
        """How many of the question's intents the sentence answers."""
        wanted = set(intent.kinds & u.answers)
        if "duration" in wanted and query is not None and not self._duration_of(u, query):
            wanted.discard("duration")
        counted = intent.count_of
        if "count" in intent.kinds and counted and not self._is_kind_word(counted):
            # 几个部门 counts departments: only a sentence about them answers, and one naming
            # them (…办公室及有关部门) says which they are
            if counted in u.sentence.text:
                wanted.add("count")
            else:
                wanted.discard("count")
        return len(wanted)

    def _duration_of(self, u: Unit, query: dict[str, float]) -> bool:
        """The sentence states a duration of what the question asks about: 评审一轮要多久 is not
        answered by 奖项有效期四年 (a clause sharing no word with the question)."""
        return any(words.intersection(query) for words in u.durations)

    def _duration_through(self, number: int, candidates: list[Hit]) -> tuple[Hit, str] | None:
        """A candidate stating the duration of something the article names (第二十一条's
        有效期 and 第四条's 奖项有效期四年), and that thing's word."""
        # a span of time the article refers to (在有效期内, 超过有效期后)
        text = "".join(u.sentence.text for u in self._article_units(number))
        named = {w for u in self._article_units(number) for w in u.words
                 if len(w) >= 2 and w not in self.stopwords
                 and re.search(re.escape(w) + r"(?:内|后|前|期间|以内|之内)", text)}
        for h in candidates:
            if self._apart(h.article, [number]):
                continue
            for u in self._article_units(h.article):
                for words in u.durations:
                    if shared := sorted(words & named - self._award_names - self._kind_names):
                        return h, shared[0]
        return None

    def answers_duration(self, number: int, q: _Query) -> bool:
        return any(self._duration_of(u, q.query) for u in self._article_units(number))

    def select(self, number: int, q: _Query,
               require_match: bool = False) -> tuple[list[Sentence], bool]:
        """The sentence(s) of an article that answer the question; or ([], True) for all."""
        units = self._article_units(number)
        hint, sentence_hint, bonus = self._item_hint(number, q)
        qb = set(q.bigrams)
        kinds_of = self.lang.asks_kinds_of(q.text)
        # (分几种？是不是只有企业才能评: every kind is asked for, the firm is the story)
        asked = (q.intent.entities if len(q.intent.entities) == 1 and not kinds_of
                 else frozenset())
        if bonus >= LEARNED_HINT_BONUS:
            if not hint and sentence_hint is None:
                return [], True  # staff chose 整条: the whole article
            asked = frozenset()  # the part staff chose, whole, whichever kind of award it names
        content = [u for u in units if not u.heading]
        if bonus < LEARNED_HINT_BONUS and self.lang.asks_besides(q.text) and any(
                u.opens_list for u in units):
            # 除了出事故还有啥情况会被撤: the whole list, the item named among the rest
            return self._whole_list(units, asked), False
        scored: list[tuple[float, Unit]] = []
        hinted: dict[int, float] = {}  # what a sample's hint added to a sentence's score
        for u in content:
            if asked and u.kinds and not (u.kinds & asked):
                continue  # a sentence about the other kind of award never answers
            score = self.sentence_score(u, q, qb, few=len(content) <= 2)
            if u.sentence.item in hint:
                score += bonus
                hinted[u.sentence.index] = hinted.get(u.sentence.index, 0.0) + bonus
            if sentence_hint is not None and u.sentence.index == sentence_hint:
                score += bonus
                hinted[u.sentence.index] = hinted.get(u.sentence.index, 0.0) + bonus
            scored.append((score, u))
        if not scored:
            scored = [(0.0, u) for u in content]
        if not scored:
            return [], True
        best_score, best = max(scored, key=lambda x: (x[0], -x[1].sentence.index))
        if best_score <= 0:
            return [], True
        items: dict[int, float] = {}
        for sc, u in scored:
            if u.sentence.item is not None:
                items[u.sentence.item] = max(items.get(u.sentence.item, 0.0), sc)
        best_item = max(items.values(), default=0.0)
        lead_best = max((sc for sc, u in scored if u.sentence.item is None), default=0.0)
        # 条件有哪些: the whole list, unless an item answers better than the list's lead
        lists_conditions = "conditions" in q.intent.kinds and any(
            u.opens_list and "conditions" in u.answers for u in units)
        ratio = 1.0 if lists_conditions else S_ITEM_VS_LEAD
        if items and best_item > 0 and best_item >= ratio * lead_best:
            # a list article: the matching item(s), with the lead that introduces them
            keep = {i for i, sc in items.items() if sc >= S_ITEM_ALSO * best_item}
            chosen = [u for _, u in scored if u.sentence.item in keep]
            chosen += [u for sc, u in scored if u.sentence.item is None
                       and not u.opens_list and sc >= S_ALSO * best_score]
        elif best.opens_list:
            return self._whole_list(units, asked), False
        else:
            # beside a sentence that gives what is asked for (有效期四年 for 能用几年), another
            # is quoted only if it gives it too
            specific = replace(q.intent, kinds=q.intent.kinds & _SPECIFIC)
            needs = (bool(specific.kinds) and bool(self._intent_match(best, specific, q.query))
                     and not q.intent.kinds & {"consequence", "reason", "basis", "conditions"})
            # (a sample's hint picks the first sentence; it does not raise the bar for others:
            # 公示期过了没人反对 quotes 对公示无异议的… too)
            # (what staff taught is the answer as they chose it: its bonus stays)
            own_best = best_score - (hinted.get(best.sentence.index, 0.0)
                                     if bonus < LEARNED_HINT_BONUS else 0.0)
            chosen = [best] + [u for sc, u in scored if u is not best and u.sentence.item is None
                               and sc >= S_ALSO * own_best
                               and (not needs or self._intent_match(u, specific, q.query))][:2]
            if (not needs and len(scored) == 2 and len(content) == 2
                    and sum(len(u.sentence.text) for _, u in scored) <= SHORT_PAIR_CHARS
                    and bonus < LEARNED_HINT_BONUS):
                # an article of two short sentences (第二十一条: may use it within the
                # validity; may not after): the second says what the first leaves open
                chosen += [u for _, u in scored if u not in chosen]
        if bonus < LEARNED_HINT_BONUS:  # what staff chose is the answer, as they chose it
            chosen += self._answering(scored, chosen, q)
        if not q.intent.entities:  # no kind named: the other kind's like sentence too
            chosen += self._parallels(content, chosen)
        chosen += self._continuations(units, chosen, q)
        if kinds_of:
            chosen += self._definitions(content, chosen)
        quotes = self._with_lead(number, chosen, q.intent)
        return [self._clause_excerpt(self._excerpt(s, asked), q) for s in quotes], False

    def _answering(self, scored: list[tuple[float, Unit]], chosen: list[Unit],
                   q: _Query) -> list[Unit]:
        """The sentence that gives what the question asks for (a body, an amount, a count, a
        duration, a date, a place) when the sentences chosen on their words do not: 谁负责巡访
        quotes 第二十三条's 建立…巡访制度 *and* the sentence naming who does it."""
        specific = q.intent.kinds & _ANSWERED
        if not specific:
            return []
        qb = set(q.bigrams)
        few = len(scored) <= 2  # 为啥要制定 in a two-sentence article: 为落实… answers
        out: list[Unit] = []
        # each fact asked for on its own (一年评几回，每回最多评多少家: how often *and* how many)
        for kind in sorted(specific):
            wanted = replace(q.intent, kinds=frozenset({kind}))
            if any(self._intent_match(u, wanted, q.query) for u in chosen + out):
                continue
            found = [(sc, u) for sc, u in scored if u not in chosen and u not in out
                     and self._intent_match(u, wanted, q.query)
                     and (few or self._lexical(u, q.query, qb) > 0)]
            if found:
                out.append(max(found, key=lambda x: x[0])[1])
        return out

    def _parallels(self, content: list[Unit], chosen: list[Unit]) -> list[Unit]:
        """For a question that names no kind of award, the sentence saying the same of the
        other kind beside one chosen (组织奖主要认定内容… and 个人奖主要认定内容…): both kinds
        answer it. Parallel: the same words once the kinds' names are taken out."""
        names = sorted({k.name for k in self.kinds}, key=len, reverse=True)

        def bare(u: Unit) -> str:
            text = u.sentence.text
            for n in names:
                text = text.replace(n, "")
            return text

        keep = {u.sentence.index for u in chosen}
        out = []
        for c in chosen:
            if len(c.kinds) != 1 or c.sentence.item is not None:
                continue
            head = bare(c)[:PARALLEL_HEAD]
            for u in content:
                if (u.sentence.index not in keep and len(u.kinds) == 1 and u.kinds != c.kinds
                        and u.sentence.item is None and len(head) == PARALLEL_HEAD
                        and bare(u).startswith(head)):
                    keep.add(u.sentence.index)
                    out.append(u)
        return out

    @staticmethod
    def _definitions(content: list[Unit], chosen: list[Unit]) -> list[Unit]:
        """For 分几种: beside a chosen sentence that names terms in quotes (包括“组织奖”“个人奖”),
        the sentences that say what each is (“组织奖”是…；“个人奖”是…)."""
        keep = {u.sentence.index for u in chosen}
        terms = {t for u in chosen for t in _QUOTED.findall(u.sentence.text)}
        if len(terms) < 2:
            return []
        out = []
        for u in content:
            m = _DEFINES.match(u.sentence.text)
            if u.sentence.index not in keep and m and m.group(1) in terms:
                keep.add(u.sentence.index)
                out.append(u)
        return out

    def _continuations(self, units: list[Unit], chosen: list[Unit], q: _Query) -> list[Unit]:
        """The sentences that continue a chosen one (…填报申报表；对申报材料…进行审查，签署审查
        意见后推荐至…) when they too speak to the question: one sentence of the text, cut at a
        semicolon, is quoted whole."""
        qb = set(q.bigrams)
        keep = {u.sentence.index for u in chosen}
        out = []
        for u in units:
            if (u.antecedent in keep and u.sentence.index not in keep
                    and self._lexical(u, q.query, qb) > 0):
                keep.add(u.sentence.index)
                out.append(u)
        return out

    def sentence_score(self, u: Unit, q: _Query, qb: set[str] | None = None,
                       few: bool = False) -> float:
        """How well one sentence answers a prepared question: the IDF of the words and bigrams
        they share, plus the intents it answers and the kind of award it names."""
        qb = set(q.bigrams) if qb is None else qb
        lex = self._lexical(u, q.query, qb)
        score = lex
        if lex > 0 or few:
            score += S_INTENT * min(self._intent_match(u, q.intent, q.query), 2)
        asked = q.intent.entities if len(q.intent.entities) == 1 else frozenset()
        if asked and u.kinds & asked:
            score += S_KIND
        return score

    def lexical(self, u: Unit, q: _Query, qb: set[str] | None = None) -> float:
        """The IDF of the words and bigrams a sentence shares with a prepared question."""
        return self._lexical(u, q.query, set(q.bigrams) if qb is None else qb)

    def _lexical(self, u: Unit, query: dict[str, float], qb: set[str]) -> float:
        lex = sum(w * self._sentence_idf(t) for t, w in query.items() if t in u.words)
        return lex + 0.5 * sum(self._sentence_idf(b) for b in qb & u.bigrams)

    def _whole_list(self, units: list[Unit], asked: frozenset[str]) -> list[Sentence]:
        return [self._excerpt(u.sentence, asked) for u in units if not u.heading]

    def _with_lead(self, number: int, chosen: list[Unit], intent: Intent) -> list[Sentence]:
        """The chosen sentences with what they need: their antecedents and, for an item, the
        lead of its list (第二十四条: the consequence; 第七条: 应具备下列基本条件)."""
        units = self._article_units(number)
        keep = {u.sentence.index for u in chosen}
        if any(u.sentence.item is not None for u in chosen):
            # a list of cases with a consequence (第二十四条): its case is quoted with what
            # follows from it, asked or not (弄虚作假被发现了 -> 撤销… 今后不得申报)
            consequences = any(u.opens_list and "consequence" in u.answers for u in units)
            for u in units:
                if u.opens_list or (u.lead and "consequence" in u.answers
                                    and ("consequence" in intent.kinds or consequences)):
                    keep.add(u.sentence.index)
        changed = True
        while changed:
            changed = False
            for u in units:
                if u.sentence.index in keep and u.antecedent is not None \
                        and u.antecedent not in keep:
                    keep.add(u.antecedent)
                    changed = True
        return [u.sentence for u in units if u.sentence.index in keep]

    def _clause_excerpt(self, s: Sentence, q: _Query) -> Sentence:
        """A sentence stating several facts in separate clauses (每年认定一次，奖项有效期四年，
        期满后可重新申报), cut to the clause that states the fact asked for: 有效期几年 is not
        answered with how often the award is given, nor 几年评一次 with how long it lasts. A
        clause sharing the question's words stays; one leaning on a clause cut away goes too."""
        wanted = q.intent.kinds & _FACTS
        if not wanted:
            return s
        unit = next((u for u in self._article_units(s.article) if u.sentence.index == s.index),
                    None)
        if unit is None or unit.sentence.text != s.text:
            return s  # already cut to one kind of award
        clauses = unit.clauses
        stated = [facts for _, facts in clauses if facts]
        if len(stated) < 2 or not any(f & wanted for f in stated) \
                or all(f & wanted for f in stated):
            return s
        content = {w for w in q.query if w not in self._kind_names
                   and w not in self.scope.award_words}
        kept: list[str] = []
        dropped = after_drop = False
        for text, facts in clauses:
            shares = bool(set(self._words(normalize(text), index=True)) & content)
            keep = bool(facts & wanted) or shares if facts else (shares or not after_drop)
            if (not keep and kept and not after_drop
                    and text.startswith(_CONTINUING)):
                # 不再给予物质奖励，也不占用当年各奖项名额: the same case's other consequence
                keep = True
            if keep:
                kept.append(text)
                after_drop = False
                continue
            if kept and not kept[-1].endswith("……"):
                kept[-1] = kept[-1].rstrip("，") + "……"
            elif not kept:
                kept.append("……")
            dropped = after_drop = True
        if not dropped:
            return s
        out = "".join(kept).replace("…………", "……")
        if out.endswith("……") is False and not out.endswith("。"):
            out += "。"
        return Sentence(s.article, s.index, out, s.item)

    def _excerpt(self, s: Sentence, asked: frozenset[str]) -> Sentence:
        """A sentence naming both kinds of award in separate clauses, cut to the clauses about
        the kind asked (…“个人奖”原则上每次不超过3个，达不到获奖条件的奖项可以空缺。)."""
        if not asked:
            return s
        clauses = [c for c in _CLAUSE.split(s.text) if c]
        if len(clauses) < 2:
            return s
        # only the awards' own names mark a clause (所属单位 in 第八条（四） is not 组织奖)
        marks = [{k.id for k in self.kinds if k.name in normalize(c)} for c in clauses]
        if not any(m and not (m & asked) for m in marks) or not any(m & asked for m in marks):
            return s
        kept: list[str] = []
        dropped = False
        for c, m in zip(clauses, marks, strict=True):
            if m and not (m & asked):
                if not dropped and kept:
                    kept[-1] = kept[-1].rstrip("，") + "……"
                elif not kept:
                    kept.append("……")
                dropped = True
                continue
            kept.append(c)
        return Sentence(s.article, s.index, "".join(kept).replace("…………", "……"), s.item)

    def _item_hint(self, number: int, q: _Query) -> tuple[frozenset[int], int | None, float]:
        """The items (and, for a taught sample, the sentence) of this article's closest sample
        question when that question is close, and how much it weighs in choosing the quote:
        a question staff taught points decisively at the part they chose."""
        best, hint, at = 0.0, frozenset[int](), -1
        for i, ((art, _, item), sim) in enumerate(zip(self.questions, self._similarities(q),
                                                       strict=True)):
            if art == number and sim > best and (
                    i < self._learned_from or sim >= LEARNED_QUESTION_FLOOR):
                best, hint, at = sim, item, i
        if best < ITEM_HINT_SIMILARITY:
            return frozenset(), None, 0.0
        bonus = LEARNED_HINT_BONUS if at >= self._learned_from else S_HINT
        return hint, self._question_sentence.get(at), bonus

    def units(self, number: int) -> list[Unit]:
        """The sentences of an article with what each can answer."""
        return self._article_units(number)

    def title(self, number: int) -> str:
        """A short title for an article: curated, its own heading, or its opening words."""
        if self.titles.get(number):
            return self.titles[number]
        art = self.reg.article(number)
        return art.heading or art.text[:16] + "…"

    # -- lookups for staff --------------------------------------------------------------
    def search(self, keyword: str) -> list[tuple[Article, list[Sentence]]]:
        """Every article and sentence containing a keyword (traditional characters allowed)."""
        kw = normalize(keyword).strip()
        out = []
        if not kw:
            return out
        for art in self.reg.articles:
            found = [s for s in art.sentences if kw in normalize(s.text)]
            if found:
                out.append((art, found))
        return out


# 有一条…记录: a bare single-character numeral before 条 followed by more words is a measure
# word, not an article (第一条, 24条, 二十四条 and 七条说的啥 still are)
_MEASURE_WORD = re.compile(r"(?<![第0-9零〇一二两三四五六七八九十百])([一两几三四五六七八九])条(?=[\u4e00-\u9fff])"
                           r"(?![说讲是呢吗的规里中写内])")


def _article_refs(text: str) -> list[int]:
    return article_refs(_MEASURE_WORD.sub(" ", text))


def _item_set(item: object) -> frozenset[int]:
    """A sample's ``item``: none, one item (3) or several ([1, 3])."""
    if item is None:
        return frozenset()
    if isinstance(item, list | tuple):
        return frozenset(int(i) for i in item)
    return frozenset({int(item)})  # type: ignore[call-overload]


def _norm(vec: dict[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vec.values()))


def _postings(vecs: list[dict[str, float]]) -> dict[str, list[tuple[int, float]]]:
    """term -> [(sample question, its weight in that question)]: only questions sharing a term
    with the query are scored."""
    out: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for qi, vec in enumerate(vecs):
        for t, v in vec.items():
            out[t].append((qi, v))
    return out


def _bigrams(text: str) -> list[str]:
    out = []
    for chunk in chunks(text) if text else ():
        if len(chunk) == 1:
            continue
        out += [chunk[i:i + 2] for i in range(len(chunk) - 1)]
    return out


def _fill(template: str, meta: dict[str, Any]) -> str:
    values = {k: (f"{v.year}年{v.month}月{v.day}日" if isinstance(v, dt.date) else v)
              for k, v in meta.items()}
    try:
        return template.format_map(values)
    except (KeyError, ValueError):
        return template


@cache
def retriever_for(pack_id: str = "cangzhou-2020") -> Retriever:
    from knowledge.cache import cached_retriever

    return cached_retriever(load_pack(pack_id))
