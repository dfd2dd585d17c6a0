"""The annual call (第十条): subscribe to be told when the year's application notice is out.

Anyone may ``/subscribe`` and ``/unsubscribe``. Staff write ``/notice 文本``, see a preview
and press 确认发送: the notice is stored as a broadcast, and the channel delivers it with
``deliver_pending`` — paced, resumable and once per subscriber from any number of processes
(bot/delivery.py): each (notice, chat) is claimed in ``broadcast_delivery`` before it is sent
and marked sent right after, so a second process, or a restarted one, skips everyone reached or
being reached. A broadcast is finished once every active subscriber has a sent row. A crash
between a send and its record leaves a claim that expires, then the message is sent again:
at most one repeat, never a loss. ``/notice`` alone shows progress.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import delivery
from bot.delivery import CLAIM_SECONDS, Outcome
from bot.delivery import Blocked as Blocked  # what a channel's send raises for a blocked chat
from bot.turn import Button, Reply, Turn, esc

if TYPE_CHECKING:
    from bot.dialogue import Dialogue
from bot.features.feedback import sessions_of

logger = logging.getLogger(__name__)

MAX_NOTICE_CHARS = 3500

TEXTS = {
    "subscribed": "已订阅。办公室发布年度申报通知（第十条）时，我会第一时间告诉您。"
                  "发送 /unsubscribe 可随时取消。",
    "already": "您已经订阅了年度申报通知。发送 /unsubscribe 可取消。",
    "unsubscribed": "已取消订阅，不会再收到年度申报通知。",
    "not_subscribed": "您还没有订阅。发送 /subscribe 订阅年度申报通知。",
    "no_db": "订阅功能暂不可用（未连接数据库）。",
    "no_chat": "订阅需要在 Telegram 中使用。",
    "notice_usage": "用法：/notice 通知全文（将发送给全部 {n} 位订阅者）。",
    "notice_queued": "通知已排队，将发送给 {n} 位订阅者（限速发送，中断后会从断点继续）。"
                     "发送 /notice 查看进度。",
    "notice_too_long": "通知太长（{n} 字），请控制在 {max} 字以内。",
    "progress": "最近一次通知（{created}）：已送达 {done} / {total} 位订阅者{state}。",
    "prefix": "📢 <b>沧州市政府质量奖年度申报通知</b>（第十条）\n\n",
    "preview": "预览如下：订阅者将收到下面这条消息（共 {n} 位订阅者）。确认无误后点“确认发送”。",
    "stale_preview": "这个预览已失效（之后又发起了新的 /notice，或已处理），没有发送任何通知。",
    "notice_cancelled": "已取消，通知没有发送。",
}
L_SEND, L_CANCEL = "📤 确认发送（{n} 位）", "取消"

# The tags a notice keeps from the sender's formatting (Telegram's own entities, as HTML).
_NOTICE_TAG = re.compile(r"</?(?:b|strong|i|em|u|ins|s|strike|del|code|pre|blockquote)>"
                         r"|<a href=\"https?://[^\"<>\s]{1,500}\">|</a>")


def notice_html(html_text: str | None, arg: str) -> str:
    """The notice as staff formatted it: the message's HTML after the command (the channel
    escaped the text and turned formatting into tags), with only simple tags kept and all
    else escaped again; plain escaped text where the channel has no formatting."""
    if not html_text:
        return esc(arg)
    body = html_text.split(None, 1)[1] if len(html_text.split(None, 1)) > 1 else ""
    out, at = [], 0
    for m in _NOTICE_TAG.finditer(body):
        out.append(_escape_rest(body[at:m.start()]))
        out.append(m.group(0))
        at = m.end()
    out.append(_escape_rest(body[at:]))
    html = "".join(out).strip()
    return html if _balanced(html) else esc(arg)


def _escape_rest(text: str) -> str:
    # the channel's entities (&lt; &amp; …) stay; a bare < or & is escaped
    return re.sub(r"&(?!(?:lt|gt|amp|quot|#\d{1,7});)", "&amp;", text).replace("<", "&lt;") \
        .replace(">", "&gt;")


def _balanced(html: str) -> bool:
    stack: list[str] = []
    for m in re.finditer(r"<(/?)([a-z]+)", html):
        if m.group(1):
            if not stack or stack.pop() != m.group(2):
                return False
        else:
            stack.append(m.group(2))
    return not stack


def _models():  # noqa: ANN202 - storage imports stay lazy (the terminal chat needs none)
    from bot.storage import session_scope
    from bot.storage.models import Broadcast, BroadcastDelivery, Subscriber

    return session_scope, Broadcast, BroadcastDelivery, Subscriber


def subscriber_count(factory: sessionmaker) -> int:
    _, _, _, Subscriber = _models()
    with factory() as session:
        return int(session.execute(select(func.count()).select_from(Subscriber)
                                   .where(Subscriber.active)).scalar_one())


def set_subscribed(factory: sessionmaker, chat_id: str, on: bool) -> bool:
    """Subscribe or unsubscribe a chat; False when nothing changed."""
    session_scope, _, _, Subscriber = _models()
    with session_scope(factory) as session:
        row = session.get(Subscriber, chat_id)
        if on:
            if row is not None and row.active:
                return False
            if row is None:
                session.add(Subscriber(chat_id=chat_id))
            else:
                row.active = True
            return True
        if row is None or not row.active:
            return False
        row.active = False
        return True


def queue_notice(factory: sessionmaker, html_text: str) -> int:
    _, Broadcast, _, _ = _models()
    session_scope = _models()[0]
    with session_scope(factory) as session:
        b = Broadcast(text=html_text)
        session.add(b)
        session.flush()
        return int(b.id or 0)


def progress(factory: sessionmaker) -> str | None:
    _, Broadcast, BroadcastDelivery, _ = _models()
    with factory() as session:
        b = session.execute(select(Broadcast).order_by(Broadcast.id.desc()).limit(1)  # type: ignore[union-attr]
                            ).scalar_one_or_none()
        if b is None:
            return None
        done = session.execute(select(func.count()).select_from(BroadcastDelivery)
                               .where(BroadcastDelivery.broadcast_id == b.id,
                                      BroadcastDelivery.sent_at.is_not(None))  # type: ignore[union-attr]
                               ).scalar_one()
    total = max(done, subscriber_count(factory)) if b.finished_at is None else done
    state = "，已完成" if b.finished_at else "，发送中"
    return TEXTS["progress"].format(created=b.created_at.strftime("%Y-%m-%d %H:%M"),
                                    done=done, total=total, state=state)


@dataclass
class DeliveryStats:
    """What one run of one process did."""

    sent: int = 0
    blocked: int = 0
    finished: int = 0  # broadcasts completed in this run
    interrupted: bool = False
    elsewhere: int = 0  # claimed or sent by another process first

Send = Callable[[str, str], Awaitable[None]]


async def deliver_pending(factory: sessionmaker, send: Send, *, per_second: float = 20.0,
                          batch: int = 50, holder: str | None = None,
                          claim_seconds: float = CLAIM_SECONDS,
                          sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
                          ) -> DeliveryStats:
    """Send every unfinished broadcast to each active subscriber not yet reached, claiming
    each (broadcast, chat) first, so processes running this together send each once.

    ``send(chat_id, html)`` raises ``Blocked`` for a chat that blocked the bot (it is then
    unsubscribed), bot.delivery's other exceptions (or anything else) to interrupt the run;
    the next run resumes where this one stopped. A broadcast is marked finished only when no
    active subscriber is left without a sent row; one still held by another process is
    finished by that process, or after its claim expires.
    """
    session_scope, Broadcast, BroadcastDelivery, Subscriber = _models()
    table = BroadcastDelivery.__table__
    holder = holder or delivery.process_holder()
    stats = DeliveryStats()
    pause = 1.0 / per_second if per_second > 0 else 0.0

    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def unfinished() -> list[tuple[int, str]]:
        with factory() as session:
            return [(b.id, b.text) for b in session.execute(
                select(Broadcast).where(Broadcast.finished_at.is_(None))  # type: ignore[union-attr]
                .order_by(Broadcast.id)).scalars()]

    def waiting(broadcast_id: int, taken: bool) -> Select:
        """Active subscribers without a row that is sent (``taken``: or claimed by a live
        holder)."""
        c = table.c
        done = c.sent_at.is_not(None)
        rows = select(c.chat_id).where(c.broadcast_id == broadcast_id,
                                       delivery.taken(table, now()) if taken else done)
        return select(Subscriber.chat_id).where(Subscriber.active,
                                                Subscriber.chat_id.not_in(rows))  # type: ignore[attr-defined]

    def next_chats(broadcast_id: int) -> list[str]:
        with factory() as session:
            return list(session.execute(waiting(broadcast_id, True)
                                        .order_by(Subscriber.chat_id).limit(batch)).scalars())

    def with_session(fn: Callable[..., object], *args: object) -> Awaitable[object]:
        def run() -> object:
            with factory() as session:
                return fn(session, *args)
        return asyncio.to_thread(run)

    def record_blocked(session: Session, broadcast_id: int, chat_id: str) -> None:
        # the chat is done with: its row counts as reached, and it is unsubscribed
        delivery.mark_sent(session, table, {"broadcast_id": broadcast_id, "chat_id": chat_id},
                           holder, now())
        row = session.get(Subscriber, chat_id)
        if row is not None:
            row.active = False
            session.commit()

    def finish(broadcast_id: int) -> bool:
        # one statement, so of processes finishing together one does it
        with session_scope(factory) as session:
            return bool(session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id,
                                        Broadcast.finished_at.is_(None),  # type: ignore[union-attr]
                                        ~exists(waiting(broadcast_id, False)))
                .values(finished_at=now())).rowcount)

    for broadcast_id, text in await asyncio.to_thread(unfinished):
        tried: set[str] = set()
        while chats := [c for c in await asyncio.to_thread(next_chats, broadcast_id)
                        if c not in tried]:
            for chat_id in chats:
                tried.add(chat_id)
                key = {"broadcast_id": broadcast_id, "chat_id": chat_id}
                if not await with_session(delivery.claim, table, key, holder, now(),
                                          claim_seconds):
                    stats.elsewhere += 1
                    continue

                async def keep(key: dict[str, object] = key) -> bool:
                    return bool(await with_session(delivery.extend, table, key, holder, now(),
                                                   claim_seconds))

                try:
                    outcome, error = await delivery.send_held(send, chat_id, text, keep=keep,
                                                              sleep=sleep)
                except Exception as e:  # noqa: BLE001 - the next run resumes
                    outcome, error = None, e
                if outcome is Outcome.SENT:
                    await with_session(delivery.mark_sent, table, key, holder, now())
                    stats.sent += 1
                elif outcome is Outcome.BLOCKED:
                    await with_session(record_blocked, broadcast_id, chat_id)
                    stats.blocked += 1
                elif outcome is Outcome.LOST:
                    stats.elsewhere += 1
                    continue
                else:
                    await with_session(delivery.release, table, key, holder)
                    logger.warning("broadcast %s interrupted at chat %s (%s); will resume",
                                   broadcast_id, chat_id, error,
                                   exc_info=outcome is None)
                    stats.interrupted = True
                    return stats
                if pause:
                    await sleep(pause)
        if await asyncio.to_thread(finish, broadcast_id):
            stats.finished += 1
    return stats


def register(d: Dialogue) -> None:
    @d.command("subscribe", "订阅年度申报通知（第十条）")
    def subscribe(turn: Turn, arg: str) -> list[Reply]:
        factory = sessions_of(turn.dialogue.services)
        if factory is None:
            return [Reply(TEXTS["no_db"])]
        if turn.chat_id is None:
            return [Reply(TEXTS["no_chat"])]
        changed = set_subscribed(factory, turn.chat_id, True)
        return [Reply(TEXTS["subscribed" if changed else "already"])]

    @d.command("unsubscribe", "取消订阅年度申报通知")
    def unsubscribe(turn: Turn, arg: str) -> list[Reply]:
        factory = sessions_of(turn.dialogue.services)
        if factory is None:
            return [Reply(TEXTS["no_db"])]
        if turn.chat_id is None:
            return [Reply(TEXTS["no_chat"])]
        changed = set_subscribed(factory, turn.chat_id, False)
        return [Reply(TEXTS["unsubscribed" if changed else "not_subscribed"])]

    @d.command("notice", "向全部订阅者发送年度申报通知（工作人员）", staff=True)
    def notice(turn: Turn, arg: str) -> list[Reply]:
        factory = sessions_of(turn.dialogue.services)
        if factory is None:
            return [Reply(TEXTS["no_db"])]
        if not arg:
            shown = progress(factory)
            usage = TEXTS["notice_usage"].format(n=subscriber_count(factory))
            return [Reply(f"{shown}\n{usage}" if shown else usage)]
        if len(arg) > MAX_NOTICE_CHARS:
            return [Reply(TEXTS["notice_too_long"].format(n=len(arg), max=MAX_NOTICE_CHARS))]
        body = notice_html(turn.html_text, arg)
        nonce = secrets.token_hex(3)
        turn.state["pending_notice"] = {"nonce": nonce, "html": TEXTS["prefix"] + body}
        n = subscriber_count(factory)
        return [Reply(TEXTS["preview"].format(n=n)),
                Reply(TEXTS["prefix"] + body,
                      [[Button(L_SEND.format(n=n), turn.owned(f"ntc:{nonce}:send")),
                        Button(L_CANCEL, turn.owned(f"ntc:{nonce}:cancel"))]])]

    @d.button("ntc", staff=True)
    def notice_button(turn: Turn, rest: str) -> list[Reply]:
        """Send (queue) the previewed notice, or drop it; a press under an older preview, or a
        second press, changes nothing."""
        nonce, _, action = rest.partition(":")
        pending = turn.state.get("pending_notice")
        if (not isinstance(pending, dict) or pending.get("nonce") != nonce
                or action not in ("send", "cancel")):
            return [Reply(TEXTS["stale_preview"], popup=True)]
        turn.state.pop("pending_notice", None)
        turn.pressed = "remove"
        if action == "cancel":
            return [Reply(TEXTS["notice_cancelled"])]
        factory = sessions_of(turn.dialogue.services)
        if factory is None:
            return [Reply(TEXTS["no_db"])]
        queue_notice(factory, str(pending["html"]))
        return [Reply(TEXTS["notice_queued"].format(n=subscriber_count(factory)))]
