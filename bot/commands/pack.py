"""``qabot pack …``: the knowledge pack as staff manage it.

- ``status`` / ``supersede --by 沧政字〔2025〕1号 --from 2025-07-01`` (or ``--clear``): record that
  the measures were revised or replaced. It is kept in the database, so every running copy of
  the bot shows the notice (within seconds) without a restart; awards made under this text
  keep its validity rule.
- ``export-learned`` / ``import-learned`` / ``check-learned``: what staff taught, as YAML beside
  the pack for review in version control, and back.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from knowledge.errors import QabotError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pack", help="知识包：本办法是否已被修订；导出 / 导入 / 检查工作人员教的内容",
                       description="记录本办法已被修订或替代（记录后，机器人在每个会话中提示一次，"
                                   "并在 /article、/status 和自查结果中提示）；工作人员通过 /feedback "
                                   "或 qabot feedback 教的内容存在数据库中，可导出为知识包旁的 "
                                   "learned.yaml 供审阅，测试会逐条检查。")
    ps = p.add_subparsers(dest="action", metavar="操作", required=True, parser_class=type(p))
    ps.add_parser("status", help="显示本办法的文号、施行日期和是否已被修订")
    sp = ps.add_parser("supersede", help="记录本办法已被修订或替代（或用 --clear 清除记录）")
    sp.add_argument("--by", metavar="文号", help="修订或替代本办法的文件文号，如 沧政字〔2025〕1号")
    sp.add_argument("--from", dest="since", metavar="日期", help="新办法施行日期，如 2025-07-01")
    sp.add_argument("--clear", action="store_true", help="清除修订记录")
    ex = ps.add_parser("export-learned", help="把数据库中教过的内容写成 YAML（默认写到知识包旁）")
    ex.add_argument("-o", "--output", metavar="文件", help="写到哪里（- 为标准输出）")
    im = ps.add_parser("import-learned", help="把审阅过的 learned.yaml 导入数据库（已有的跳过）")
    im.add_argument("file", nargs="?", metavar="文件", help="默认：知识包旁的 learned.yaml")
    ck = ps.add_parser("check-learned", help="逐条问一遍 learned.yaml 中的问题，核对答案没变")
    ck.add_argument("file", nargs="?", metavar="文件", help="默认：知识包旁的 learned.yaml")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.action in ("status", "supersede"):
        return _standing(args)
    return _learned(args)


# -- whether the measures were revised (issue 10) ----------------------------------------------
def _standing(args: argparse.Namespace) -> int:
    from bot.services import Services
    from bot.settings import load_settings
    from knowledge.claims import load_claims
    from knowledge.validity import parse_date

    if args.action == "supersede":
        if args.clear and (args.by or args.since):
            raise QabotError("--clear 不能与 --by、--from 同时使用")
        if not args.clear and not (args.by and args.since):
            raise QabotError("请同时写明 --by 文号 和 --from 日期，例如："
                             "qabot pack supersede --by 沧政字〔2025〕1号 --from 2025-07-01；"
                             "清除记录用 --clear")
    services = Services.from_settings(load_settings())
    try:
        pack = services.pack
        if args.action == "supersede":
            since = parse_date(args.since) if args.since else None
            sup = services.set_supersession(None if args.clear else args.by, since)
            if sup is None:
                print(f"已清除修订记录：《{pack.title}》（{pack.doc_number}）按现行有效处理。")
                return 0
            print("已记录。机器人将提示：")
        else:
            sup = services.supersession()
            print(f"《{pack.title}》（{pack.doc_number}），施行日期 {pack.date('effective')}。")
            if sup is None:
                print("没有修订记录。如本办法已被修订或替代，请运行："
                      "qabot pack supersede --by 文号 --from 日期")
                return 0
        print(load_claims(pack).text("notice.superseded", date=sup.since.isoformat(), by=sup.by))
    finally:
        services.close()
    return 0


# -- what staff taught (issue 13) -----------------------------------------------------------
def _file(arg: str | None, pack_path: Path) -> Path:
    from knowledge.learned import LEARNED_FILE

    return Path(arg) if arg else pack_path / LEARNED_FILE


def _learned(args: argparse.Namespace) -> int:
    from bot.settings import load_settings
    from knowledge.learned import dump_yaml, load_learned_file
    from knowledge.pack import load_pack

    settings = load_settings()
    if args.action == "check-learned":
        from knowledge.learned import check
        from knowledge.retrieval import Retriever

        pack = load_pack(settings.knowledge_pack)
        path = _file(args.file, pack.path)
        if not path.exists():
            raise QabotError(f"找不到 {path}")
        layer = load_learned_file(path)
        report = check(Retriever(pack, learned=layer), layer, dt.datetime.now(settings.tz).date())
        for f in report.failures:
            print(f"✗ “{f.question}” 应得到 {f.expected}，现在得到 {f.got}")
        print(f"检查 {report.checked} 个问题，{len(report.failures)} 个答案变了。")
        return 1 if report.failures else 0

    from bot import learning
    from bot.services import Services

    services = Services.from_settings(settings)
    try:
        pack = services.pack
        if args.action == "export-learned":
            with services.session() as s:
                layer = learning.load_layer(s, pack.id)
            text = dump_yaml(layer, pack, services.now())
            if args.output == "-":
                print(text, end="")
                return 0
            path = _file(args.output, pack.path)
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as e:
                raise QabotError(f"无法写入 {path}：{e.strerror}") from None
            print(f"已导出 {len(layer.samples)} 个示例问题、{len(layer.synonyms)} 个同义词、"
                  f"{len(layer.out_of_scope)} 个范围外示例到 {path}")
        else:
            path = _file(args.file, pack.path)
            if not path.exists():
                raise QabotError(f"找不到 {path}")
            layer = load_learned_file(path)
            try:
                with services.session() as s:
                    added = learning.import_layer(s, layer, pack, services.now())
            except learning.LearningError as e:
                raise QabotError(str(e)) from None
            print(f"已导入 {added} 项（共 {len(layer)} 项，其余已存在）。")
    finally:
        services.close()
    return 0
