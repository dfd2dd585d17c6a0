"""Find the article(s) of a regulation that answer a colloquial Chinese question.

Retrieval, never generation. Three BM25 indexes over the pack are fused: jieba words and
character bigrams over each article (its text, chapter, curated terms and sample questions),
and the curated sample questions on their own (query-to-question matching). The query is
normalised (traditional characters, full-width digits), expanded with curated synonyms and
with homophones of the pack's own terms (公式期 -> 公示期), and article numbers are read
directly (第二十四条, 第24条, 24条). Scores are normalised by what the query could score at
best, with words the measures never use counted against it, so that a question outside the
measures scores low and the bot abstains instead of quoting a random article.
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache

from knowledge.learned import Learned
from knowledge.lexicon import Segmenter, chunks, is_cjk, normalize, pinyin_keys
from knowledge.numerals import CN_NUMERAL, NUMERAL_CLASS, article_refs, to_int
from knowledge.pack import Pack, load_pack
from knowledge.regulation import Article, Sentence

K1, B = 1.2, 0.5
# Fusion weights and thresholds, measured on benchmarks/ question sets (see README).
W_WORD, W_BIGRAM, W_QUESTION = 0.45, 0.25, 0.30
ANSWER_THRESHOLD = 0.28  # below: abstain, offering suggestions
SUGGEST_THRESHOLD = 0.12  # below: say plainly the measures do not cover it
CLOSE_RATIO = 0.85  # a second article this close to the first is offered too
# A question is tied to an article by a word that few articles use (at most ANCHOR_DF of
# them) or by a close sample question; otherwise its score is damped.
ANCHOR_DF, ANCHOR_QUESTION, UNANCHORED_DAMPING = 0.25, 0.5, 0.6
# A question whose content the measures' words explain less than this is damped in proportion
# (孩子上学怎么报名 shares only 报名 with the measures).
FULL_COVERAGE = 0.6
RELATED_RATIO = 0.4
ITEM_HINT_SIMILARITY = 0.35  # a sample question this close points the quote at its item  # further articles this close are listed as related
ITEM_HINT_BONUS = 2.0
# A question this close to one staff taught gets the item or sentence they chose, whatever the
# word overlap says (the taught question itself must keep getting their answer).
LEARNED_HINT_SIMILARITY, LEARNED_HINT_BONUS = 0.5, 1000.0
LEARNED_SAME_SIMILARITY = 0.8  # a question this close to a taught one is that question
EXPANSION_WEIGHT = 0.8
MAX_QUERY_CHARS = 200  # only the first part of a very long message is read
# A question this close to an out-of-scope example staff taught (and closer to it than to any
# sample question) is declined with the example's reason (benchmarks/teach_bench.py).
SCOPE_SIMILARITY = 0.6
SCOPE_SURE = 0.85  # for an example in the measures' own words: only near-identical questions

_NUM_UNIT = re.compile(rf"^[0-9.{CN_NUMERAL}几多]+(年|天|日|个|万|万元|元|条|次|项|名|家|位)?$")
# 几年 / 多少天 / 多少钱 / 几个: the question asks for an amount in that unit
_AMOUNT_QUESTION = re.compile(r"(?:几|多少|多久|多长|多大)\s*(年|天|个|万元|元|名)?")
_ITEM_REF = re.compile(rf"第?[（(]?({NUMERAL_CLASS})[）)]?项")


@dataclass(frozen=True)
class Hit:
    article: int
    score: float
    word: float = 0.0
    bigram: float = 0.0
    question: float = 0.0


@dataclass
class Answer:
    """What the retriever found for one question."""

    query: str
    kind: str  # answer | ambiguous | reference | suggest | out_of_scope | empty | no_such_article
    hits: list[Hit] = field(default_factory=list)  # best first
    quotes: list[Sentence] = field(default_factory=list)  # sentences that answer, in order
    whole_article: bool = False  # quote the whole article rather than sentences
    requested: int | None = None  # the article number asked for (kind reference/no_such_article)
    item: int | None = None  # an item asked for: 第七条第一项

    ranked: list[Hit] = field(default_factory=list)  # every candidate scored, best first
    scope_reason: str | None = None  # declined after a learned out-of-scope example

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
        return self.kind in {"suggest", "out_of_scope", "empty", "no_such_article"}


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


class Retriever:
    """Answers questions about one knowledge pack."""

    def __init__(self, pack: Pack, learned: Learned | None = None) -> None:
        self.pack = pack
        self.reg = pack.regulation
        aids = pack.load_yaml("questions.yaml") or {}
        self.stopwords: set[str] = set(aids.get("stopwords") or [])
        # colloquial -> canonical words of the measures
        self.synonyms: dict[str, list[str]] = defaultdict(list)
        for canon, variants in (aids.get("synonyms") or {}).items():
            for v in variants or []:
                self.synonyms[normalize(str(v))].append(normalize(str(canon)))
        per_article = aids.get("articles") or {}
        self.terms: dict[int, list[str]] = {}
        self.titles: dict[int, str] = {}
        self.questions: list[tuple[int, str, int | None]] = []
        for num, entry in per_article.items():
            entry = entry or {}
            self.titles[int(num)] = str(entry.get("title") or "")
            self.terms[int(num)] = [normalize(str(t)) for t in entry.get("terms") or []]
            for q in entry.get("questions") or []:
                if isinstance(q, dict):
                    self.questions.append((int(num), normalize(str(q["q"])), q.get("item")))
                else:
                    self.questions.append((int(num), normalize(str(q)), None))
        extra = {t for ts in self.terms.values() for t in ts}
        # Colloquial variants are matched as substrings; only the measures' own words are
        # taught to the segmenter, so that 参加评选 still yields 参加 and 评选.
        extra |= {c for cs in self.synonyms.values() for c in cs}
        self.seg = Segmenter({w for w in extra if all(is_cjk(c) for c in w)})

        self._article_words: list[Counter[str]] = []
        self._article_bigrams: list[Counter[str]] = []
        for art in self.reg.articles:
            text = "\n".join([
                self.reg.chapter_of(art.number).title, art.heading, art.text,
                " ".join(self.terms.get(art.number, [])),
                " ".join(q for a, q, _ in self.questions if a == art.number),
            ])
            words = self._words(normalize(text))
            self._article_words.append(Counter(words))
            self._article_bigrams.append(Counter(_bigrams(normalize(text))))
        self.words = _BM25(self._article_words)
        self._anchor_df = max(1, int(ANCHOR_DF * len(self._article_words)))
        self.bigrams = _BM25(self._article_bigrams)
        # Sample questions as IDF-weighted vectors of words and bigrams, for cosine matching.
        self._question_vecs = [self._weigh(self._terms(q)) for _, q, _ in self.questions]
        self._question_norms = [_norm(v) for v in self._question_vecs]
        self.vocabulary: set[str] = set(self.words.df)
        self._homophones: dict[str, set[str]] = defaultdict(set)
        for w in self.vocabulary | extra:
            if 2 <= len(w) <= 5 and all(is_cjk(c) for c in w):
                for key in pinyin_keys(w):
                    self._homophones[key].add(w)
        self._sentence_cache: dict[int, list[tuple[Sentence, Counter[str], set[str]]]] = {}
        self._sentence_df: Counter[str] | None = None
        self._sentence_n = 0
        self._pack_only = (self.questions, self._question_vecs, self._question_norms,
                           self.synonyms)
        self.learned = Learned()
        self._scope: list[tuple[str, dict[str, float], float, frozenset[str]]] = []
        self._learned_from = len(self.questions)  # questions from here on were taught
        # A taught question's tokens, shared by every layer built from this retriever: a new
        # layer only tokenises what is new in it.
        self._learned_tokens: dict[str, tuple[set[str], frozenset[str]]] = {}
        self._question_sentence: dict[int, int] = {}  # learned question -> sentence it points at
        if learned:
            self._apply(learned)

    # -- the learned layer ----------------------------------------------------------------
    def with_learned(self, learned: Learned) -> Retriever:
        """This pack's retriever with staff's learned layer in place of the current one.

        The one door for what staff teach (``knowledge/learned.py``): extra sample questions
        (each pointing at an article, an item or one sentence), extra synonyms, and
        out-of-scope examples with a reason. Learned samples count in question-to-question
        matching only: they are users' words, and in the article indexes their incidental words
        (银行, 营业执照, 专利) pulled unrelated questions to the article and lowered the existing
        question sets (benchmarks/teach_bench.py). The pack's indexes are shared, so swapping a
        layer costs milliseconds.
        """
        new = copy.copy(self)
        new._apply(learned)
        return new

    def _apply(self, learned: Learned) -> None:
        questions, vecs, norms, synonyms = self._pack_only
        self.questions, self._question_vecs = list(questions), list(vecs)
        self._question_norms = list(norms)
        self._question_sentence = {}
        articles = {a.number for a in self.reg.articles}
        for sample in learned.samples:
            if sample.article not in articles:
                continue
            q = normalize(sample.question)
            if sample.sentence is not None:
                self._question_sentence[len(self.questions)] = sample.sentence
            self.questions.append((sample.article, q, sample.item))
            self._question_vecs.append(self._weigh(self._tokens(q)[0]))
            self._question_norms.append(_norm(self._question_vecs[-1]))
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
                self._scope.append((o.reason, vec, _norm(vec), anchors))
        self.learned = learned

    def _terms(self, text: str) -> set[str]:
        """A question's words and bigrams (weighed by :meth:`_weigh` for cosine matching)."""
        words = self._words(text)
        return set(words) | set(self._query_bigrams(text, words))

    def _tokens(self, text: str) -> tuple[set[str], frozenset[str]]:
        """A taught question's terms, and its words the measures never use (its anchors)."""
        found = self._learned_tokens.get(text)
        if found is None:
            _, oov = self._expand(text, self._words(text))
            anchors = frozenset(w for w, weight in oov.items() if weight and len(w) >= 2)
            found = self._learned_tokens[text] = (self._terms(text), anchors)
        return found

    def _weigh(self, terms: set[str]) -> dict[str, float]:
        return {t: self._term_idf(t) for t in terms}

    def _declined(self, text: str, hits: list[Hit]) -> str | None:
        """The reason of the learned out-of-scope example this question is closest to, when it
        is close and no sample question is closer."""
        words = self._words(text)
        qvec, _ = self._expand(text, words)
        for bg in self._query_bigrams(text, words):
            qvec[bg] = 1.0
        best, reason = 0.0, None
        for code, vec, norm, anchors in self._scope:
            sim = self._cosine(qvec, vec, norm)
            # What makes the example out of scope is usually a word the measures never use
            # (石家庄, 所得税): without it, 公示几天啊 is not 全国质量奖公示几天啊.
            if anchors and not any(a in text for a in anchors):
                continue
            if not anchors and sim < SCOPE_SURE:
                continue
            if sim > best:
                best, reason = sim, code
        in_scope = max((h.question for h in hits), default=0.0)
        return reason if best >= SCOPE_SIMILARITY and best >= in_scope else None

    # -- text to terms ------------------------------------------------------------------
    def _words(self, text: str) -> list[str]:
        out = []
        for w in self.seg.cut(text):
            if w in self.stopwords:
                continue
            if _NUM_UNIT.match(w):
                unit = _NUM_UNIT.match(w).group(1)  # type: ignore[union-attr]
                if unit:
                    out.append(unit)
                continue
            out.append(w)
        return out

    def _expand(self, text: str, words: list[str]) -> tuple[dict[str, float], dict[str, float]]:
        """Query words with weights, and how much each unknown word counts against it (0 once
        a synonym or homophone explains it)."""
        query: dict[str, float] = {}
        oov: dict[str, float] = {}
        for w in words:
            query[w] = max(query.get(w, 0.0), 1.0)
            if w not in self.vocabulary:
                oov[w] = 1.0 if len(w) > 1 else 0.5
        covered: set[str] = set()
        # Synonyms: a colloquial word or phrase maps onto the measures' own words.
        # When the variant explains a word the measures never use (挪用 -> 挪作他用), the
        # measures' word takes its place at full weight; otherwise it is a weaker extra.
        for variant, canons in self.synonyms.items():
            if variant in text:
                covered.add(variant)
                weight = 1.0 if any(w in variant or variant in w for w in oov) else EXPANSION_WEIGHT
                for c in canons:
                    for cw in self._words(c):
                        query[cw] = max(query.get(cw, 0.0), weight)
        # Homophones: one to three adjacent words of the question that together sound like
        # one of the pack's terms (公式期 -> 公示期). Windows follow word boundaries, so that
        # 什么时候 never yields 么时 -> 模式.
        for chunk in chunks(text):
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
                    if j == i and self.seg.is_word(window):
                        continue  # a real word on its own (意义) is not a typo for 异议
                    for key in pinyin_keys(window, limit=4):
                        for term in self._homophones.get(key, ()):
                            if term != window:
                                covered.add(window)
                                for tw in self._words(term):
                                    query[tw] = max(query.get(tw, 0.0), EXPANSION_WEIGHT)
        # A word covered by a synonym or homophone no longer counts against the query.
        for w in list(oov):
            if any(w in c or c in w for c in covered):
                oov[w] = 0.0
        return query, oov

    # -- answering ----------------------------------------------------------------------
    def ask(self, query: str) -> Answer:
        raw = (query or "").strip()
        text = normalize(raw[:MAX_QUERY_CHARS])
        if not chunks(text):
            return Answer(raw, "empty")
        refs = article_refs(text)
        item = None
        if m := _ITEM_REF.search(text):
            item = to_int(m.group(1))
        if refs:
            return self._reference(raw, text, refs[0], item)
        if text.isdigit() and 0 < len(text) <= 3:  # a bare number: an article (inline `@bot 24`)
            return self._reference(raw, text, int(text), None)
        hits = self.rank(text)
        if self._scope and (reason := self._declined(text, hits)):
            return Answer(raw, "out_of_scope", ranked=hits, scope_reason=reason)
        if not hits or hits[0].score < SUGGEST_THRESHOLD:
            return Answer(raw, "out_of_scope", [h for h in hits if h.score >= 0.08][:3],
                          ranked=hits)
        if hits[0].score < ANSWER_THRESHOLD:
            return Answer(raw, "suggest", hits[:3], ranked=hits)
        close = [h for h in hits[1:2] if h.score >= CLOSE_RATIO * hits[0].score]
        kind = "ambiguous" if close else "answer"
        quotes: list[Sentence] = []
        whole = False
        for h in hits[: 1 + len(close)]:
            q, w = self._best_sentences(h.article, text)
            quotes += q
            whole = whole or w
        floor = max(2 * SUGGEST_THRESHOLD, RELATED_RATIO * hits[0].score)
        related = [h for h in hits[1 + len(close):] if h.score >= floor][:3]
        return Answer(raw, kind, hits[: 1 + len(close)] + related, quotes, whole, ranked=hits)

    def rank(self, text: str) -> list[Hit]:
        """Articles scored for normalised question text, best first (score in [0, 1])."""
        words = self._words(text)
        query, oov = self._expand(text, words)
        if not query:
            return []
        w_scores = self.words.scores(query)
        w_ideal = self.words.ideal(query, oov) or 1.0
        qb = dict.fromkeys(self._query_bigrams(text, words), 1.0)
        b_scores = self.bigrams.scores(qb)
        b_ideal = self.bigrams.ideal(qb, {}) or 1.0
        best_q: dict[int, float] = defaultdict(float)
        qvec = dict(query)
        for bg in qb:
            qvec[bg] = 1.0
        taught, taught_sim = None, 0.0
        lift: dict[int, float] = defaultdict(float)  # the sample similarity that may carry alone
        for i, ((art, _, _), vec, norm) in enumerate(zip(
                self.questions, self._question_vecs, self._question_norms, strict=True)):
            sim = self._cosine(qvec, vec, norm)
            if sim > best_q[art]:
                best_q[art] = sim
            if i < self._learned_from or sim >= LEARNED_SAME_SIMILARITY:
                # Users' words carry context (奖金能不能拿去还银行贷款): a taught question
                # answers alone only for itself and its near-copies.
                lift[art] = max(lift[art], sim)
            if i >= self._learned_from and sim > taught_sim:
                taught, taught_sim = vec, sim
        if taught is not None and taught_sim >= LEARNED_SAME_SIMILARITY:
            # Staff taught this question (or all but a word of it): its words are in scope
            # (铺子, 开张). Only then: 获奖证书能不能拿去银行申请贷款 is not 奖金能不能拿去还银行贷款.
            oov = {w: 0.0 if w in taught else v for w, v in oov.items()}
        coverage = self._coverage(words, oov)
        damp = min(1.0, coverage / FULL_COVERAGE)
        hits = []
        for i, art in enumerate(self.reg.articles):
            wn = min(w_scores[i] / w_ideal, 1.0)
            bn = min(b_scores[i] / b_ideal, 1.0)
            qn = min(best_q.get(art.number, 0.0), 1.0)
            score = W_WORD * wn + W_BIGRAM * bn + W_QUESTION * qn
            score = max(score, 0.9 * min(lift.get(art.number, 0.0), 1.0))
            if qn < ANCHOR_QUESTION and not any(
                    t in self._article_words[i] and self.words.df[t] <= self._anchor_df
                    for t in query):
                # Only common words (工作, 单位, 申报) tie the question to this article.
                score *= UNANCHORED_DAMPING
            score *= damp
            hits.append(Hit(art.number, round(score, 4), wn, bn, qn))
        hits.sort(key=lambda h: (-h.score, h.article))
        return [h for h in hits if h.score > 0][:5]

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

    def _cosine(self, query: dict[str, float], vec: dict[str, float], norm: float) -> float:
        dot = 0.0
        qn = 0.0
        for t, w in query.items():
            idf = vec.get(t)
            weight = w * (idf if idf is not None else self._term_idf(t))
            qn += weight * weight
            if idf is not None:
                dot += weight * idf
        return dot / math.sqrt(qn) / norm if dot and norm else 0.0

    def _query_bigrams(self, text: str, words: list[str]) -> list[str]:
        content = set(words)
        out = []
        for chunk in chunks(text):
            # drop the stopword runs so that 能申 or 报吗 do not match by accident
            kept = "".join(w if w in content or w not in self.stopwords else " "
                           for w in self.seg.cut(chunk))
            out += _bigrams(kept)
        return out

    def _reference(self, raw: str, text: str, number: int, item: int | None) -> Answer:
        try:
            art = self.reg.article(number)
        except KeyError:
            return Answer(raw, "no_such_article", requested=number)
        rest = re.sub(rf"第?\s*{NUMERAL_CLASS}\s*条|第?[（(]?{NUMERAL_CLASS}[）)]?项", " ", text)
        quotes: list[Sentence] = []
        whole = True
        if item is not None and any(it.number == item for it in art.items):
            quotes = [s for s in art.sentences if s.item == item]
            whole = False
        elif self._words(rest):
            q, whole = self._best_sentences(number, rest, require_match=True)
            quotes = q if not whole else []
        hit = Hit(number, 1.0)
        return Answer(raw, "reference", [hit], quotes, whole, requested=number,
                      item=item if not whole else None)

    def _sentence_idf(self, term: str) -> float:
        """IDF over every sentence of the regulation: within one article, words that few
        sentences use (年 in 5年以上) tell sentences apart better than article-level IDF."""
        if self._sentence_df is None:
            df: Counter[str] = Counter()
            for art in self.reg.articles:
                for _, sw, sb in self._sentences(art.number):
                    df.update(set(sw) | sb)
            self._sentence_df = df
            self._sentence_n = sum(len(self._sentences(a.number)) for a in self.reg.articles)
        n = self._sentence_n
        return math.log(1 + (n - self._sentence_df.get(term, 0) + 0.5)
                        / (self._sentence_df.get(term, 0) + 0.5))

    def _sentences(self, number: int) -> list[tuple[Sentence, Counter[str], set[str]]]:
        if number not in self._sentence_cache:
            rows = []
            for s in self.reg.article(number).sentences:
                t = normalize(s.text)
                rows.append((s, Counter(self._words(t)), set(_bigrams(t))))
            self._sentence_cache[number] = rows
        return self._sentence_cache[number]

    def _best_sentences(self, number: int, text: str,
                        require_match: bool = False) -> tuple[list[Sentence], bool]:
        """The sentence(s) of an article that answer the question; or (…, True) for all."""
        words = self._words(text)
        query, _ = self._expand(text, words)
        qb = set(self._query_bigrams(text, words))
        hint, sentence_hint, bonus = self._item_hint(number, {**query, **dict.fromkeys(qb, 1.0)})
        art = self.reg.article(number)
        asks_amount = _AMOUNT_QUESTION.search(text)
        unit = (asks_amount.group(1) or "(?:年|天|个|元)") if asks_amount else None
        scored = []
        for s, sw, sb in self._sentences(number):
            if art.heading and s.text == art.heading + "。":
                continue  # 申报推荐。 names the step; it answers nothing on its own
            score = sum(w * self._sentence_idf(t) for t, w in query.items() if t in sw)
            score += 0.5 * sum(self._sentence_idf(b) for b in qb & sb)
            if unit and re.search(rf"[0-9{CN_NUMERAL}]+\s*(?:万)?{unit}", s.text):
                score += 2.0  # 几年 / 多少天 / 多少钱: the sentence that states the number
            if hint is not None and s.item == hint:
                score += bonus
            if sentence_hint is not None and s.index == sentence_hint:
                score += bonus
            scored.append((score, s))
        if not scored:
            return [], True
        best_score, best = max(scored, key=lambda x: (x[0], -x[1].index))
        if best_score <= 0:
            return [], True
        if best.text.endswith("：") and art.items:
            return [], True  # the list's lead-in: the whole list answers
        out = [best]
        # A sentence that continues an item (第七条（二）) comes along with it.
        for sc, s in scored:
            if s is not best and s.item is not None and s.item == best.item:
                out.append(s)
            elif s is not best and sc >= 0.8 * best_score and len(out) < 2 and s.item is None:
                out.append(s)
        out.sort(key=lambda s: s.index)
        return out, False

    def _item_hint(self, number: int,
                   qvec: dict[str, float]) -> tuple[int | None, int | None, float]:
        """The item (and, for a taught sample, the sentence) of this article's closest sample
        question when that question is close, and how much it weighs in choosing the quote:
        a question staff taught points decisively at the part they chose."""
        best, hint, at = 0.0, None, -1
        for i, ((art, _, item), vec, norm) in enumerate(zip(
                self.questions, self._question_vecs, self._question_norms, strict=True)):
            if art != number:
                continue
            sim = self._cosine(qvec, vec, norm)
            if sim > best:
                best, hint, at = sim, item, i
        if best < ITEM_HINT_SIMILARITY:
            return None, None, 0.0
        decisive = at >= self._learned_from and best >= LEARNED_HINT_SIMILARITY
        bonus = LEARNED_HINT_BONUS if decisive else ITEM_HINT_BONUS
        return hint, self._question_sentence.get(at), bonus

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


def _norm(vec: dict[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vec.values()))


def _bigrams(text: str) -> list[str]:
    out = []
    for chunk in chunks(text) if text else ():
        if len(chunk) == 1:
            continue
        out += [chunk[i:i + 2] for i in range(len(chunk) - 1)]
    return out


@cache
def retriever_for(pack_id: str = "cangzhou-2020") -> Retriever:
    return Retriever(load_pack(pack_id))

