"""``qabot feedback list|assign|synonym|out-of-scope|ignore|undo|learned|purge``: the staff's
triage of what the bot could not answer, from a terminal (the same as /feedback in Telegram)."""

from __future__ import annotations

import argparse
import json
import re
from typing import TYPE_CHECKING, Any

from bot.argtypes import whole
from knowledge.errors import QabotError
from knowledge.learned import REASONS

if TYPE_CHECKING:
    from bot.dialogue import Dialogue
    from bot.features.teach import Taught
    from bot.services import Services

_REF = re.compile(r"^\s*第?\s*([0-9一二三四五六七八九十两〇零]+)\s*条?\s*"
                  r"(?:[.:：]\s*([0-9一二三四五六七八九十]+)|第?\s*[（(]?\s*([0-9一二三四五六七八九十]+)"
                  r"\s*[）)]?\s*项?)?\s*$")


ID = whole("编号", 1, digits_only=True)  # #12 in the list


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feedback", help="处理未答出、没把握和被点👎的问题，教会机器人（工作人员）",
                       description="机器人答不出的问题（不记录提问人）：列出、归到条款、设同义词、"
                                   "标为不在办法范围内、忽略；教过的内容可撤销。")
    fs = p.add_subparsers(dest="action", metavar="操作", required=True, parser_class=type(p))
    ls = fs.add_parser("list", help="列出待处理的问题（相近的问法为一组，附机器人的候选条款）")
    ls.add_argument("--days", type=whole("天数", 1), metavar="天", help="最近多少天（默认：保存期限）")
    ls.add_argument("--json", action="store_true", help="每组输出一行 JSON")
    a = fs.add_parser("assign", help="归到第N条（第X项）：成为该条的示例问题",
                      description="例如：qabot feedback assign 12 7 --item 1，或 assign 12 第七条第一项")
    a.add_argument("id", type=ID, metavar="编号", help="问题编号（list 中的 #编号）")
    a.add_argument("article", metavar="条款", help="7、第七条、7.1、第七条第（一）项")
    a.add_argument("--item", type=whole("项号", 1, 99), metavar="项", help="第几项")
    a.add_argument("--quote", metavar="原文", help="回答这个问题的那一句中的几个字（机器人会引用这一句）")
    sy = fs.add_parser("synonym", help="同义词：用户的说法等同于办法中的词",
                       description="例如：qabot feedback synonym 开张 经营 --question 12")
    sy.add_argument("word", metavar="用户说法")
    sy.add_argument("canonical", metavar="办法用词")
    sy.add_argument("--question", type=ID, metavar="编号", help="同时把这组问题标为已处理")
    o = fs.add_parser("out-of-scope", help="不在办法范围内：机器人会说明原因并拒答相近的问题",
                      description="原因：" + "；".join(f"{c} {r.label}" for c, r in REASONS.items()))
    o.add_argument("id", type=ID, metavar="编号")
    o.add_argument("--reason", required=True, choices=list(REASONS), metavar="原因",
                   help="、".join(f"{c}（{r.label}）" for c, r in REASONS.items()))
    ig = fs.add_parser("ignore", help="忽略这组问题")
    ig.add_argument("id", type=ID, metavar="编号")
    un = fs.add_parser("undo", help="撤销一项教学（learned 中的编号）")
    un.add_argument("lesson", type=ID, metavar="教学编号")
    le = fs.add_parser("learned", help="列出已教给机器人的内容")
    le.add_argument("--all", action="store_true", help="包括已撤销的")
    fs.add_parser("purge", help="立即删除超过保存期限（QUESTION_RETENTION_DAYS）的记录")
    p.set_defaults(run=run)


def parse_ref(text: str, item: int | None = None) -> tuple[int, int | None]:
    """``7``, ``第七条``, ``7.1``, ``第七条第（一）项`` -> (article, item)."""
    from knowledge.numerals import to_int

    m = _REF.match(text)
    if not m:
        raise QabotError(f"“{text[:20]}”不是条款编号，例如 7、第七条、7.1 或 第七条第一项。")
    article = to_int(m.group(1))
    found = m.group(2) or m.group(3)
    found_item = to_int(found) if found else None
    if article is None or (found and found_item is None):
        raise QabotError(f"“{text[:20]}”不是条款编号。")
    if item is not None and found_item is not None and item != found_item:
        raise QabotError("项写了两次且不一致。")
    return article, item if item is not None else found_item


def open_dialogue(services: Services) -> Dialogue:
    from bot.dialogue import Dialogue

    return Dialogue(services.pack, services=services,
                    features=["bot.features.qa", "bot.features.feedback", "bot.features.teach"])


def print_taught(t: Taught) -> None:
    print(f"已学会（第{t.lesson_id}号）：{t.what}")
    for q, text in t.previews:
        print(f"现在问“{q}”会得到：")
        print("  │ " + "\n  │ ".join(text.strip().splitlines()))
    for q, got in t.still:
        print(f"注意：现在问“{q}”得到的仍是：{got}。可用 qabot feedback undo {t.lesson_id} 撤销。")
    if t.overruled:
        from bot.features.teach import TEXTS

        why, where = t.overruled
        print(TEXTS["overruled"].format(why=why, article=where))
    print(f"撤销：qabot feedback undo {t.lesson_id}")


def run(args: argparse.Namespace) -> int:
    from bot.learning import LearningError
    from bot.services import Services
    from bot.settings import load_settings

    services = Services.from_settings(load_settings())
    try:
        return _run(args, services)
    except LearningError as e:
        raise QabotError(str(e)) from None
    finally:
        services.close()


def _run(args: argparse.Namespace, services: Services) -> int:
    from bot import learning
    from bot.features import teach

    d = open_dialogue(services)
    keep = services.settings.question_retention_days
    now = services.now()
    if args.action == "list":
        days = keep if args.days is None else args.days
        if not 1 <= days <= keep:
            raise QabotError(f"--days 应在 1 到 {keep}（保存期限）之间。")
        groups = teach.open_groups(d, days)
        r = teach.fresh(d)
        for g in groups:
            g.candidates = g.candidates or learning.candidates(r, g.text, g.cited)
        if args.json:
            for g in groups:
                print(json.dumps(_group_json(g), ensure_ascii=False))
            return 0
        if not groups:
            print(f"最近 {days} 天没有待处理的问题。")
            return 0
        print(f"待处理：{len(groups)} 组（{sum(g.count for g in groups)} 条），最近 {days} 天，匿名。")
        for g in groups:
            kinds = " ".join(f"{learning.KIND_LABEL.get(k, k)}×{n}" for k, n in g.kinds.items())
            print(f"\n#{g.id}  {kinds}  {g.text}")
            for w in g.wordings[1:4]:
                print(f"      相近：{w}")
            print("      候选：" + " · ".join(f"第{a}条 {r.title(a)}" for a in g.candidates))
        print("\n处理：qabot feedback assign 编号 条款 | synonym 用户说法 办法用词 | "
              "out-of-scope 编号 --reason 原因 | ignore 编号")
        return 0
    if args.action == "assign":
        article, item = parse_ref(args.article, args.item)
        sentence = learning.sentence_with(services.pack, article, args.quote) if args.quote \
            else None
        print_taught(teach.apply(d, lambda s, t: learning.assign(
            s, args.id, article, item, services.pack, t, keep, sentence)))
    elif args.action == "synonym":
        r = teach.fresh(d)
        print_taught(teach.apply(d, lambda s, t: learning.add_synonym(
            s, args.word, args.canonical, services.pack, r, t, args.question, keep)))
    elif args.action == "out-of-scope":
        print_taught(teach.apply(d, lambda s, t: learning.mark_out_of_scope(
            s, args.id, args.reason, services.pack, t, keep)))
    elif args.action == "ignore":
        with services.session() as s:
            n = learning.ignore(s, args.id, now, keep)
        print(f"已忽略第{args.id}号这一组（{n} 条）。")
    elif args.action == "undo":
        with services.session() as s:
            lesson = learning.undo(s, args.lesson, now)
            print(f"已撤销第{args.lesson}号教学：{learning.describe(lesson, services.pack)}")
    elif args.action == "learned":
        with services.session() as s:
            rows = learning.lessons(s, services.pack.id, include_undone=args.all)
            if not rows:
                print("还没有教过机器人。")
            for lesson in rows:
                undone = f"  （已于 {lesson.undone_at:%Y-%m-%d} 撤销）" if lesson.undone_at else ""
                print(f"第{lesson.id}号  {lesson.created_at:%Y-%m-%d}  "
                      f"{learning.describe(lesson, services.pack)}{undone}")
    elif args.action == "purge":
        with services.session() as s:
            n = learning.purge(s, now, keep)
        print(f"已删除 {n} 条超过 {keep} 天的记录。")
    return 0


def _group_json(g: Any) -> dict[str, Any]:
    return {"id": g.id, "text": g.text, "count": g.count, "kinds": dict(g.kinds),
            "wordings": g.wordings, "candidates": g.candidates, "members": g.members}
