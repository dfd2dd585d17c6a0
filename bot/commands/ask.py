"""qabot ask QUESTION | qabot ask --json -"""

from __future__ import annotations

import argparse
import json
import sys

from knowledge.errors import QabotError

MAX_CHARS = 10_000


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="回答一个问题（引用条文）")
    p.add_argument("question", nargs="?", help="问题；写 - 则从标准输入逐行读取")
    p.add_argument("--json", action="store_true", help="每个问题输出一行 JSON")
    p.set_defaults(run=run)


def answer_json(d: object, question: str) -> dict[str, object]:
    from bot.features.qa import answer_reply, retriever
    from bot.render import html_to_text

    ans = retriever(d).ask(question, today=d.today())  # type: ignore[arg-type,attr-defined]
    reply = answer_reply(d, ans)  # type: ignore[arg-type]
    return {"query": question, "articles": ans.candidates, "abstained": ans.abstained,
            "band": ans.band, "kind": ans.kind, "reply": html_to_text(reply.html)}


def run(args: argparse.Namespace) -> int:
    from bot.dialogue import Dialogue

    if args.question is None:
        raise QabotError("请给出问题，例如：qabot ask \"公示期几天\"；或用 qabot ask --json - 从标准输入读取。")
    d = Dialogue(features=["bot.features.qa"])
    # one run is one conversation: the revision notice comes once, before the first answer,
    # as in chat (in JSON, inside the first `reply`; the keys never change)
    notice = Notice(d)
    if args.question == "-":
        status = 0
        for line in sys.stdin:
            q = line.rstrip("\r\n")
            if args.json:
                print(json.dumps(notice.into(answer_json(d, q)), ensure_ascii=False),
                      flush=False)
            elif q.strip():
                print(notice.before(_human(d, q)))
        sys.stdout.flush()
        return status
    q = args.question
    if len(q) > MAX_CHARS:
        raise QabotError(f"问题太长（{len(q)} 字），请控制在 {MAX_CHARS} 字以内。")
    if not q.strip():
        raise QabotError("问题是空的。例如：qabot ask \"公示期几天\"")
    if args.json:
        print(json.dumps(notice.into(answer_json(d, q)), ensure_ascii=False))
        return 0
    print(notice.before(_human(d, q)))
    return 0


class Notice:
    """The notice that the measures were revised, given once per run. The database is read
    only when one is configured (bot.configured), so a run without one imports no sqlalchemy."""

    def __init__(self, d: object) -> None:
        self.d = d
        self.given = False

    def _text(self, answer: str) -> str:
        if self.given:
            return ""
        self.given = True
        from bot import configured
        from knowledge.claims import load_claims

        pack = self.d.pack  # type: ignore[attr-defined]
        # an answer that states 第二十四条's ban is given no date beside it
        return configured.revision_notice(pack, dated=not load_claims(pack).states_ban(answer))

    def before(self, text: str) -> str:
        notice = self._text(text)
        return f"ℹ️ {notice}\n\n{text}" if notice else text

    def into(self, answer: dict[str, object]) -> dict[str, object]:
        notice = self._text(str(answer["reply"]))
        if notice:
            answer["reply"] = f"ℹ️ {notice}\n\n{answer['reply']}"
        return answer


def _human(d: object, q: str) -> str:
    from bot.features.qa import answer_reply, retriever
    from bot.render import html_to_text

    ans = retriever(d).ask(q, today=d.today())  # type: ignore[arg-type,attr-defined]
    return html_to_text(answer_reply(d, ans).html)  # type: ignore[arg-type]
