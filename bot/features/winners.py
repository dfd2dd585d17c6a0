"""Winners: /status /bind /unbind /forget, the public /verify, the /usage check (第二十一条),
and staff's /code, /expiring, /winners and /revoke. Storage comes from ``turn.dialogue.services``; without it the
commands that need the database say so politely (/usage still works, it is a pure rule).
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from bot.turn import BadNumber, Button, Reply, Turn, esc, number_arg
from knowledge.claims import load_claims
from knowledge.errors import QabotError
from knowledge.numerals import parse_year
from knowledge.usage import Award, check_usage_awards, correct_wording, reply_html

if TYPE_CHECKING:
    from bot.dialogue import Dialogue
    from bot.services import Services

logger = logging.getLogger(__name__)

STATE_NAMES = {"valid": "有效", "expiring": "即将到期", "expired": "已期满", "revoked": "已撤销"}

# What states law (validity, the honour, revocation) is in the pack's claims.yaml; these are
# the rest: usage, prompts and confirmations.
TEXTS = {
    "no_db": "这项功能需要获奖名录数据库，当前未连接数据库。请联系质量奖办公室。",
    "bind_usage": "用法：/bind 绑定码（绑定码由质量奖办公室提供，形如 ABCD-EFGH-JKLM）。",
    "not_bound": "本聊天还没有绑定获奖单位。请向质量奖办公室索取绑定码，然后发送 /bind 绑定码。",
    "unbound": "已解除绑定，不再发送有效期提醒。",
    "forget_ask": "将删除与本聊天有关的全部记录（绑定、提醒记录、订阅、会话状态），且无法恢复。确定吗？",
    "forgotten": "已删除与本聊天有关的全部记录（共 {n} 条）。",
    "cancelled": "已取消。",
    "stale_confirm": "这个确认已失效（之后又发起了新的操作，或已处理），没有做任何改动。",
    "stale_revoke": "这个确认已失效：之后又发起了新的 /revoke，或已处理。没有撤销任何奖项；"
                    "请在最新的确认消息上操作。",
    "group_admin_only": "在群里只有群管理员或质量奖办公室工作人员可以解除绑定或删除记录。",
    "verify_usage": "用法：/verify 单位或个人名称，例如 /verify 沧州某某有限公司。",
    "usage_ask": "请把要检查的宣传文字发给我（例如网站简介、宣传册文字），我按第二十一条检查。",
    "code_usage": "用法：/code 获奖单位名称 [年度]",
    "expiring_none": "{days} 天内没有到期的奖项。",
    "winners_none": "名录是空的。把获奖名单（CSV 或 .xlsx）作为文件发给我即可导入。",
    "revoke_usage": "用法：/revoke 获奖单位名称 [年度] 撤销原因\n"
                    "例如：/revoke 沧州某某有限公司 2021 发生重大质量事故（第二十四条第（一）项）",
}


def _services(turn: Turn) -> Services | None:
    return turn.dialogue.services


def _chat(turn: Turn) -> str:
    return str(turn.chat_id) if turn.chat_id is not None else "terminal"


def _no_db() -> list[Reply]:
    return [Reply(TEXTS["no_db"])]


def _may_change_group(turn: Turn) -> bool:
    """A group's binding and records are changed only by staff or the group's admins."""
    return not turn.is_group or turn.is_staff or turn.is_chat_admin


def _status_line(svc: Services, w: Any, turn: Turn, barred: bool = False,
                 later: Any = None) -> str:
    """One bound award: validity (with the counting basis), the honour, applying again.

    A revoked award, or any award of a winner barred by 第二十四条, is shown no date to apply
    again and no next step. While a ``later`` award of the same winner is valid, the older one
    gives no date of its own: the winner applies again when the later one has run out."""
    from bot import registry

    claims = load_claims(svc.pack)
    v = registry.validity_of(w, turn.today, svc.pack)
    kind = registry.KIND_LABEL[w.kind]
    lines = [f"<b>{esc(w.name)}</b>（{w.award_year}年度{kind}）"]
    if v.state == "revoked":
        lines.append(claims.text("status.revoked_state"))
        lines.append(claims.text("status.revoked"))
    else:
        left = f"，还有 {v.days_left} 天" if v.days_left >= 0 else ""
        lines.append(claims.text("status.validity", until=v.valid_until.isoformat(),
                                 state=STATE_NAMES[v.state], left=left))
        if v.may_use_honor:
            lines.append(claims.text("status.use", wording=esc(correct_wording(svc.pack,
                                                                              w.award_year))))
            if not barred and v.reapply_from and later is None:
                lines.append(claims.text("status.reapply_from",
                                         again=v.reapply_from.isoformat()))
        elif not barred and later is None:
            lines.append(claims.text("status.expired"))
        else:
            lines.append(claims.text("status.expired_no_reapply"))
        if later is not None and not barred:
            lv = registry.validity_of(later, turn.today, svc.pack)
            lines.append(claims.text("status.later_award_valid", year=later.award_year,
                                     until=lv.valid_until.isoformat(),
                                     again=lv.reapply_from.isoformat()))
    if w.repeat_award:
        lines.append(claims.text("status.repeat"))
    sup = svc.supersession() if hasattr(svc, "supersession") else None
    if sup is not None and w.award_date >= sup.since:
        lines.append(claims.text("status.later_text"))
    return "\n".join(lines)


def register(d: Dialogue) -> None:
    _register_staff_registry(d)
    @d.command("status", "查看绑定的获奖单位和有效期")
    def status(turn: Turn, arg: str) -> list[Reply]:
        svc = _services(turn)
        if svc is None:
            return _no_db()
        winners = svc.bound_winners(_chat(turn))
        if not winners:
            return [Reply(TEXTS["not_bound"])]
        barred = svc.barred_keys([w.name_key for w in winners])
        later = svc.later_valid(winners, turn.today)
        # one message per award: a revoked award's ban never shares a message with a date
        return [Reply(_status_line(svc, w, turn, w.name_key in barred and w.status != "revoked",
                                   later.get(int(w.id or 0))))
                for w in winners]

    @d.command("bind", "用绑定码绑定获奖单位，接收有效期提醒")
    def bind(turn: Turn, arg: str) -> list[Reply]:
        svc = _services(turn)
        if svc is None:
            return _no_db()
        if not arg:
            return [Reply(TEXTS["bind_usage"])]
        from bot import registry

        try:
            w = svc.bind(_chat(turn), arg)
        except QabotError as e:
            return [Reply(esc(e))]
        v = registry.validity_of(w, turn.today, svc.pack)
        names = {"name": esc(w.name), "year": w.award_year, "kind": registry.KIND_LABEL[w.kind]}
        claims = load_claims(svc.pack)
        if v.state == "expired":  # no reminder will come: do not promise one, send none
            svc.mark_expiry_told(w.id, _chat(turn))
            return [Reply(claims.text("bind.bound_expired", **names,
                                      until=v.valid_until.isoformat()))]
        return [Reply(claims.text("bind.bound", **names))]

    @d.command("unbind", "解除绑定，不再接收提醒")
    def unbind(turn: Turn, arg: str) -> list[Reply]:
        svc = _services(turn)
        if svc is None:
            return _no_db()
        if not _may_change_group(turn):
            return [Reply(TEXTS["group_admin_only"])]
        return [Reply(TEXTS["unbound"] if svc.unbind(_chat(turn)) else TEXTS["not_bound"])]

    @d.command("forget", "删除与本聊天有关的全部记录")
    def forget(turn: Turn, arg: str) -> list[Reply]:
        if _services(turn) is None:
            return _no_db()
        if not _may_change_group(turn):
            return [Reply(TEXTS["group_admin_only"])]
        nonce = secrets.token_hex(3)
        turn.state["pending_forget"] = nonce
        return [Reply(TEXTS["forget_ask"],
                      [[Button("确定删除", turn.owned(f"wforget:{nonce}:yes")),
                        Button("取消", turn.owned(f"wforget:{nonce}:no"))]])]

    @d.button("wforget")
    def forget_button(turn: Turn, rest: str) -> list[Reply]:
        svc = _services(turn)
        if svc is None:
            return _no_db()
        nonce, _, answer = rest.partition(":")
        if turn.state.get("pending_forget") != nonce or answer not in ("yes", "no"):
            return [Reply(TEXTS["stale_confirm"], popup=True)]
        turn.pressed = "remove"
        turn.state.pop("pending_forget", None)
        if answer != "yes":
            return [Reply(TEXTS["cancelled"])]
        if not _may_change_group(turn):
            return [Reply(TEXTS["group_admin_only"])]
        n = svc.forget(_chat(turn))
        turn.state.clear()
        return [Reply(TEXTS["forgotten"].format(n=n))]

    @d.command("verify", "查询某单位或个人是否为有效期内的获奖者")
    def verify(turn: Turn, arg: str) -> list[Reply]:
        svc = _services(turn)
        if svc is None:
            return _no_db()
        if not arg:
            return [Reply(TEXTS["verify_usage"])]
        from bot import registry

        claims = load_claims(svc.pack)
        matches = svc.verify(arg[:100], turn.today)
        if not matches:
            return [Reply(claims.text("verify.none", q=esc(arg[:40])))]
        lines = []
        for m in matches:
            w, v = m.winner, m.validity
            current = v.state in ("valid", "expiring")
            key = "verify.current" if current else (
                "verify.revoked" if v.state == "revoked" else "verify.expired")
            verdict = claims.text(key, until=v.valid_until.isoformat())
            lines.append(f"{'✅' if current else '❌'} <b>{esc(w.name)}</b>："
                         f"{w.award_year}年度{registry.KIND_LABEL[w.kind]}，{verdict}。")
        if matches[0].score < 100:
            lines.insert(0, f"没有与“{esc(arg[:40])}”完全相同的名称，最接近的是：")
        return [Reply("\n".join(lines))]

    @d.command("usage", "检查宣传文字中荣誉称号的用法（第二十一条）")
    def usage(turn: Turn, arg: str) -> list[Reply]:
        if not arg:
            turn.state["flow"] = "usage"
            return [Reply(TEXTS["usage_ask"], expects_text=True)]
        return _check(turn, arg)

    @d.flow("usage")
    def usage_flow(turn: Turn, text: str) -> list[Reply] | None:
        turn.state.pop("flow", None)
        return _check(turn, text)

    @d.command("code", "生成一次性绑定码（工作人员）", staff=True)
    def code(turn: Turn, arg: str) -> list[Reply]:
        svc = _services(turn)
        if svc is None:
            return _no_db()
        name, year = _name_year(arg)
        if not name:
            return [Reply(TEXTS["code_usage"])]
        try:
            raw, w = svc.issue_code(name, year)
        except QabotError as e:
            return [Reply(esc(e))]
        link = turn.deep_link(f"bind_{raw}") if turn.deep_link else None
        return [Reply(f"{esc(w.name)}（{w.award_year}年度）的绑定码：<code>{raw}</code>\n"
                      f"一次有效，{svc.settings.bind_code_ttl_days} 天内使用。"
                      f"请获奖联系人发送：<code>/bind {raw}</code>"
                      + (f"\n或打开链接：{esc(link)}" if link else ""))]

    @d.command("expiring", "列出即将到期的奖项（工作人员）", staff=True)
    def expiring(turn: Turn, arg: str) -> list[Reply]:
        svc = _services(turn)
        if svc is None:
            return _no_db()
        # one parser for typed numbers (² is a digit to isdigit() that int() refuses); five
        # digits keep the date arithmetic valid
        try:
            days = number_arg(arg, 180, lo=0, hi=99_999, what="天数", example="/expiring 90")
        except BadNumber as e:
            return [Reply(esc(e))]
        from bot import registry

        with svc.session() as s:
            rows = registry.expiring(s, turn.today, days)
        if not rows:
            return [Reply(TEXTS["expiring_none"].format(days=days))]
        lines = [f"{w.valid_until}  {esc(w.name)}（{w.award_year}年度）" for w in rows[:50]]
        more = f"\n……共 {len(rows)} 条，完整名单用 qabot winners expiring。" if len(rows) > 50 else ""
        return [Reply(f"<b>{days} 天内到期：</b>\n" + "\n".join(lines) + more)]


def _register_staff_registry(d: Dialogue) -> None:
    @d.command("winners", "获奖名录，可加名称筛选（工作人员）", staff=True)
    def winners(turn: Turn, arg: str) -> list[Reply]:
        svc = _services(turn)
        if svc is None:
            return _no_db()
        from bot import registry

        with svc.session() as s:
            rows = registry.list_winners(s)
            key = registry.name_key(arg) if arg.strip() else ""
            rows = [w for w in rows if key in w.name_key]
            lines = []
            for w in rows[:50]:
                v = registry.validity_of(w, turn.today, svc.pack)
                state = (f"已撤销（{w.revoked_on}）" if v.state == "revoked"
                         else f"至 {v.valid_until} {STATE_NAMES[v.state]}")
                lines.append(f"{w.award_year} {registry.KIND_LABEL[w.kind]} {esc(w.name)}"
                             f"  {state}")
            warnings = registry.quota_warnings(s, svc.pack)
        if not rows:
            return [Reply(TEXTS["winners_none"] if not arg.strip()
                          else f"名录中没有包含“{esc(arg.strip()[:40])}”的名称。")]
        more = f"\n……共 {len(rows)} 条，完整名录用 qabot winners list。" if len(rows) > 50 else ""
        warn = "".join(f"\n⚠️ {esc(x)}" for x in warnings)
        return [Reply(f"<b>获奖名录（{len(rows)} 条）</b>\n" + "\n".join(lines) + more + warn)]

    @d.command("revoke", "撤销奖项（第二十四条，工作人员）", staff=True)
    def revoke(turn: Turn, arg: str) -> list[Reply]:
        svc = _services(turn)
        if svc is None:
            return _no_db()
        parts = arg.split()
        if len(parts) < 2:
            return [Reply(TEXTS["revoke_usage"])]
        name, year, reason_parts = parts[0], None, parts[1:]
        typed_year = parse_year(reason_parts[0]) if len(reason_parts) > 1 else None
        if typed_year is not None:
            year, reason_parts = typed_year, reason_parts[1:]
        reason = " ".join(reason_parts)[:200]
        from bot import registry

        try:
            with svc.session() as s:
                w = registry.find_winner(s, name, year)
                if w.status == registry.REVOKED:
                    return [Reply(f"“{esc(w.name)}”（{w.award_year}年度）已于 {w.revoked_on} 撤销。")]
                registry.check_revocation_date(w, turn.today, svc.pack)  # 在有效期内
                info = {"id": w.id, "name": w.name, "year": w.award_year,
                        "kind": registry.KIND_LABEL[w.kind]}
        except QabotError as e:
            return [Reply(esc(e))]
        # The prompt names the award and the buttons carry its id and this prompt's nonce: a
        # press under an earlier /revoke prompt never revokes the award of a later one.
        nonce = secrets.token_hex(3)
        turn.state["pending_revoke"] = {"nonce": nonce, "winner": info["id"],
                                        "reason": reason}
        text = load_claims(svc.pack).text(
            "revoke.ask", name=f"<b>{esc(info['name'])}</b>", year=info["year"],
            kind=info["kind"], reason=esc(reason))
        data = f"wrevoke:{info['id']}:{nonce}"
        return [Reply(text, [[Button("确认撤销", turn.owned(f"{data}:yes")),
                              Button("取消", turn.owned(f"{data}:no"))]])]

    @d.button("wrevoke", staff=True)
    def revoke_button(turn: Turn, rest: str) -> list[Reply]:
        winner, _, rest = rest.partition(":")
        nonce, _, answer = rest.partition(":")
        pending = turn.state.get("pending_revoke")
        if (not isinstance(pending, dict) or pending.get("nonce") != nonce
                or str(pending.get("winner")) != winner or answer not in ("yes", "no")):
            return [Reply(TEXTS["stale_revoke"], popup=True)]
        turn.state.pop("pending_revoke", None)
        turn.pressed = "remove"
        if answer != "yes":
            return [Reply(TEXTS["cancelled"])]
        svc = _services(turn)
        if svc is None:
            return _no_db()
        try:
            w = svc.revoke_by_id(int(pending["winner"]), str(pending["reason"]), on=turn.today)
        except QabotError as e:
            return [Reply(esc(e))]
        logger.info("award revoked by staff user %s: %s (%s)", turn.user_id, w.name,
                       w.award_year)
        return [Reply(revoked_text(svc.pack, w, f"<b>{esc(w.name)}</b>",
                                   esc(w.revoked_reason or "")))]


def revoked_text(pack: Any, w: Any, name: str, reason: str) -> str:
    """What staff are told after a revocation: 第二十四条's duties, without 追缴奖金 for a repeat
    award that brought no prize money (第十七条)."""
    claims = load_claims(pack)
    duties = "revoke.duties_repeat" if w.repeat_award else "revoke.duties"
    return "".join([claims.text("revoke.done", name=name, year=w.award_year, reason=reason),
                    claims.text(duties)])


def _name_year(arg: str) -> tuple[str, int | None]:
    name, _, last = arg.strip().rpartition(" ")
    year = parse_year(last) if name else None
    if year is not None:
        return name.strip(), year
    return arg.strip(), None


def _check(turn: Turn, text: str) -> list[Reply]:
    """Check promotional text against the awards bound to this chat: the year written in the
    text picks the award (its 年度 from the registry); an expired or revoked one is flagged."""
    svc = _services(turn)
    awards: list[Award] = []
    if svc is not None:
        awards = [Award(w.award_year, w.award_date, w.status == "revoked")
                  for w in svc.bound_winners(_chat(turn))]
    result = check_usage_awards(text, turn.pack, awards, turn.today)
    head = "✅ " if result.ok else "⚠️ "
    return [Reply(head + reply_html(result))]
