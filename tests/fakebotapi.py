"""A fake Telegram Bot API on 127.0.0.1, served inside the tests.

The real ``Application`` points its base URL at it and talks real HTTP: long-polled
``getUpdates``, ``sendMessage`` with inline keyboards, callback and inline answers, webhooks,
file upload and download, chat actions, the bot's description. Tests play the users
(``user_says``, ``user_edits``, ``user_sends``, ``press``, ``inline``, ``upload``,
``add_to_group``), await what the bot sent (``wait_sent``) and inject faults (``fail``,
``block``).

As Telegram does, a webhook gets each update POSTed until it answers 2xx (retried after
``webhook_retry_delay``, at most ``webhook_connections`` at a time). Several bot processes can
share one fake: a base URL with a first path segment (``…/<instance>/bot``) names the process,
and every call, message and pop-up records it (``instance``), as ``deliveries`` records which
backend a forwarder in front of the webhook said took each update (its ``X-Backend`` header).

Plain asyncio streams with h11 (already installed as an httpx dependency): no web framework,
and it runs in the test's own event loop, so tests await events instead of sleeping.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import h11
import httpx

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
BOT_ID = 123456789
BOT_USERNAME = "qabot_test_bot"

# parameters whose form value is JSON (everything else stays a string)
_JSON_PARAMS = {
    "chat_id", "message_id", "offset", "limit", "timeout", "reply_markup", "results",
    "commands", "allowed_updates", "link_preview_options", "show_alert", "cache_time",
    "is_personal", "drop_pending_updates", "max_connections", "reply_parameters", "scope",
    "disable_notification", "protect_content", "entities",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    instance: str = ""  # the bot process that called (``…/<instance>/bot`` base URL)


@dataclass
class Delivery:
    """One POST of an update to the webhook, as Telegram would make it."""

    update_id: int
    started: float
    wall: float = 0.0  # time.time() at the start, to compare with database timestamps
    ended: float = 0.0
    status: int = 0  # 0: no HTTP answer (refused, reset, timed out)
    backend: str = ""  # the X-Backend header of the answer (a forwarder names its backend)
    backend_status: int = 0  # what that backend answered (X-Backend-Status), else ``status``


@dataclass
class Event:
    """Something in a chat, in the order the fake saw it: a user's update or the bot's call."""

    seq: int
    chat_id: int
    kind: str  # update | send | edit | markup | answer
    instance: str = ""
    ref: int | str = 0  # update id, message id, or callback query id
    text: str = ""
    data: tuple[str, ...] = ()  # the callback data of the message's buttons at that moment


@dataclass
class Fault:
    method: str
    status: int = 0  # 0: answer normally, only after ``delay``
    retry_after: int = 1
    delay: float = 0.0
    times: int = 1
    description: str = ""
    late: float = 0.0  # the call takes effect at once, its answer comes this much later


@dataclass
class Sent:
    """A message the bot sent (or edited) as the chat sees it."""

    chat_id: int
    message_id: int
    text: str
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    edited: bool = False
    parse_mode: str | None = None
    edits: int = 0  # how often the bot edited it (the questionnaire is one message)
    instance: str = ""  # the bot process that sent it

    def button_data(self) -> list[str]:
        return [b.get("callback_data", "") for row in self.buttons for b in row]

    def button_labels(self) -> list[str]:
        return [b.get("text", "") for row in self.buttons for b in row]

    def data(self, label: str) -> str:
        """The callback data of the button whose label contains ``label``."""
        found = [b.get("callback_data", "") for row in self.buttons for b in row
                 if label in b.get("text", "")]
        if not found:
            raise AssertionError(f"no button {label!r} on message: {self.button_labels()}")
        return found[0]

    def prefixes(self) -> list[str]:
        """The feature prefixes of the buttons (``fb`` for ``fb~owner:12:up``)."""
        return [d.split(":", 1)[0].split("~", 1)[0] for d in self.button_data()]


class FakeBotAPI:
    """One fake bot account with its users, chats, updates and the log of every call."""

    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.username = username
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.answers: list[dict[str, Any]] = []  # answerCallbackQuery / answerInlineQuery
        self.commands: dict[str, Any] = {}  # scope json -> commands
        self.files: dict[str, bytes] = {}
        self.blocked: set[int] = set()
        self.admins: dict[int, set[int]] = {}  # group chat id -> its administrators
        self.description = ""  # setMyDescription / setMyShortDescription
        self.short_description = ""
        self.actions: list[tuple[int, str]] = []  # sendChatAction: (chat id, action)
        self.messages: dict[int, dict[str, Any]] = {}  # update id -> the user's message
        self.webhook: dict[str, Any] | None = None
        self.faults: list[Fault] = []
        self.gates: dict[str, asyncio.Event] = {}  # method -> calls wait until it is set
        self._updates: list[dict[str, Any]] = []
        self._confirmed = 0
        self._ids = itertools.count(1)
        self._msg_ids = itertools.count(1000)
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.Task[None]] = set()
        self.port = 0
        self.sent_at: dict[int, float] = {}  # update_id -> when the bot's first reply arrived
        self.update_at: dict[int, float] = {}  # update_id -> when it was queued
        self._last_update_of_chat: dict[int, int] = {}
        self.timeline: list[tuple[int, str, str]] = []  # (chat id, who, what): for transcripts
        self.events: list[Event] = []
        self.listeners: list[Callable[[Event], None]] = []  # called with each new event
        self._query_chats: dict[str, int] = {}  # callback query id -> the chat pressed in
        self.deliveries: dict[int, list[Delivery]] = {}  # update id -> each webhook POST
        self.webhook_retry_delay = 0.2
        self.webhook_connections = 40  # Telegram's default max_connections
        self._deliveries: set[asyncio.Task[None]] = set()
        self._hook_gate: asyncio.Semaphore | None = None
        self._hook_client: httpx.AsyncClient | None = None

    # -- server ----------------------------------------------------------------------
    async def start(self) -> FakeBotAPI:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        for task in list(self._deliveries):
            task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        if self._hook_client is not None:
            await self._hook_client.aclose()
            self._hook_client = None
        if self._server is not None:
            self._server.close()
            for task in list(self._conns):
                task.cancel()
            await asyncio.gather(*self._conns, return_exceptions=True)
            await self._server.wait_closed()

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- users' side -----------------------------------------------------------------
    def user(self, user_id: int, first_name: str = "用户") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name,
                "language_code": "zh-hans"}

    def chat(self, chat_id: int, chat_type: str = "private") -> dict[str, Any]:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": "用户"}
        return {"id": chat_id, "type": chat_type, "title": "质量奖交流群"}

    def user_says(self, user_id: int, text: str, *, chat_id: int | None = None,
                  chat_type: str = "private", reply_to_bot: bool = False,
                  entities: list[dict[str, Any]] | None = None) -> int:
        """Queue a text message from a user (with formatting ``entities``, offsets in
        characters of BMP text); return its update id."""
        message = self._message(user_id, chat_id, chat_type)
        self.timeline.append((message["chat"]["id"], f"用户{user_id}", text))
        self._set_text(message, text, entities)
        if reply_to_bot:
            message["reply_to_message"] = self._bot_message(message["chat"])
        return self.push({"message": message})

    def user_edits(self, update_id: int, text: str) -> int:
        """Queue the user's edit of the message they sent in update ``update_id``: the same
        message id, the new text, an ``edited_message`` update of its own."""
        message = json.loads(json.dumps(self.messages[update_id]))
        message.pop("entities", None)
        self._set_text(message, text, None)
        message["edit_date"] = int(time.time())
        self.timeline.append((message["chat"]["id"], f"用户{message['from']['id']}",
                              f"[修改为] {text}"))
        return self.push({"edited_message": message})

    def user_sends(self, user_id: int, kind: str, *, chat_id: int | None = None,
                   chat_type: str = "private", caption: str = "", reply_to_bot: bool = False,
                   media_group_id: str | None = None) -> int:
        """Queue a message that is not text: ``sticker``, ``photo``, ``voice``, ``video``,
        ``location``, ``contact`` or ``document`` (a PDF), with an optional caption."""
        message = self._message(user_id, chat_id, chat_type)
        file_id = f"{kind}{next(self._ids)}"
        ids = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        message[kind] = {
            "sticker": {**ids, "type": "regular", "width": 512, "height": 512,
                        "is_animated": False, "is_video": False, "emoji": "👍"},
            "photo": [{**ids, "width": 90, "height": 90}],
            "voice": {**ids, "duration": 3, "mime_type": "audio/ogg"},
            "video": {**ids, "width": 640, "height": 360, "duration": 5},
            "location": {"latitude": 38.304, "longitude": 116.839},
            "contact": {"phone_number": "13800000000", "first_name": "王五"},
            "document": {**ids, "file_name": "材料.pdf", "mime_type": "application/pdf",
                         "file_size": 2048},
        }[kind]
        if caption:
            message["caption"] = caption
            mention = f"@{self.username}"
            if mention in caption:
                message["caption_entities"] = [{
                    "type": "mention", "offset": _utf16_len(caption[:caption.index(mention)]),
                    "length": _utf16_len(mention)}]
        if media_group_id:
            message["media_group_id"] = media_group_id
        if reply_to_bot:
            message["reply_to_message"] = self._bot_message(message["chat"])
        self.timeline.append((message["chat"]["id"], f"用户{user_id}", f"[{kind}] {caption}"))
        return self.push({"message": message})

    def add_to_group(self, user_id: int, chat_id: int, *, status: str = "member",
                     old_status: str = "left", chat_type: str = "supergroup") -> int:
        """Queue the ``my_chat_member`` update Telegram sends when ``user_id`` adds the bot to
        a group (or changes its status there: ``old_status`` -> ``status``)."""
        self.timeline.append((chat_id, f"用户{user_id}", f"[机器人 {old_status} -> {status}]"))
        return self.push({"my_chat_member": {
            "chat": self.chat(chat_id, chat_type), "from": self.user(user_id),
            "date": int(time.time()),
            "old_chat_member": self._member(self.me(), old_status),
            "new_chat_member": self._member(self.me(), status)}})

    def _member(self, user: dict[str, Any], status: str) -> dict[str, Any]:
        out: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            out.update({k: True for k in (
                "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                "can_change_info", "can_invite_users", "can_post_stories",
                "can_edit_stories", "can_delete_stories")})
        elif status == "kicked":
            out["until_date"] = 0
        return out

    def _set_text(self, message: dict[str, Any], text: str,
                  entities: list[dict[str, Any]] | None) -> None:
        message["text"] = text
        entities = list(entities or [])
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            entities.append({"type": "bot_command", "offset": 0, "length": length})
        mention = f"@{self.username}"
        if mention in text and not text.startswith("/"):
            entities.append({"type": "mention", "offset": _utf16_len(text[:text.index(mention)]),
                             "length": _utf16_len(mention)})
        if entities:
            message["entities"] = entities

    def _bot_message(self, chat: dict[str, Any]) -> dict[str, Any]:
        return {"message_id": 1, "date": int(time.time()), "chat": chat, "from": self.me(),
                "text": "…"}

    def upload(self, user_id: int, filename: str, content: bytes, *,
               mime_type: str = "text/csv") -> int:
        """Queue a document a user sends; the bot can getFile and download it."""
        file_id = f"doc{len(self.files) + 1}"
        self.files[file_id] = content
        message = self._message(user_id, None, "private")
        self.timeline.append((user_id, f"用户{user_id}", f"[上传文件 {filename}]"))
        message["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                               "file_name": filename, "mime_type": mime_type,
                               "file_size": len(content)}
        return self.push({"message": message})

    def press(self, user_id: int, sent: Sent, data: str, *, stale: bool = False) -> int:
        """Queue a button press on a message the bot sent; ``stale`` presses data the message
        no longer shows (a second tap before the keyboard went, an old client)."""
        if data not in sent.button_data() and not stale:
            raise AssertionError(f"no button {data!r} on message: {sent.button_labels()}")
        label = next((b.get("text", "") for row in sent.buttons for b in row
                      if b.get("callback_data") == data), data)
        self.timeline.append((sent.chat_id, f"用户{user_id}", f"[按钮 {label}]"))
        query_id = f"cb{next(self._ids)}"
        self._query_chats[query_id] = sent.chat_id
        query = {"id": query_id, "from": self.user(user_id),
                 "chat_instance": str(sent.chat_id), "data": data,
                 "message": {"message_id": sent.message_id, "date": int(time.time()),
                             "chat": self.chat(sent.chat_id, "private" if sent.chat_id > 0
                                               else "supergroup"),
                             "from": self.me(), "text": sent.text}}
        if sent.buttons:  # as Telegram does: the message with its keyboard as it is now
            query["message"]["reply_markup"] = {"inline_keyboard": sent.buttons}
        return self.push({"callback_query": query})

    def tap(self, user_id: int, sent: Sent, label: str) -> int:
        """Queue a press on the button whose label contains ``label``."""
        return self.press(user_id, sent, sent.data(label))

    def inline(self, user_id: int, query: str) -> str:
        """Queue an inline query (``@bot query``); return its id, as in the bot's answer."""
        query_id = f"iq{next(self._ids)}"
        self.push({"inline_query": {"id": query_id, "from": self.user(user_id),
                                    "query": query, "offset": ""}})
        return query_id

    def push(self, update: dict[str, Any]) -> int:
        update_id = next(self._ids)
        update["update_id"] = update_id
        self._updates.append(update)
        self.update_at[update_id] = time.perf_counter()
        if "message" in update:
            self.messages[update_id] = update["message"]
        chat = (update.get("message") or update.get("edited_message")
                or update.get("my_chat_member") or {}).get("chat") or {}
        if chat:
            self._last_update_of_chat[chat["id"]] = update_id
        elif "callback_query" in update:
            self._last_update_of_chat[update["callback_query"]["from"]["id"]] = update_id
        user = (update.get("message") or update.get("callback_query")
                or update.get("inline_query") or {}).get("from") or {}
        chat_id = chat.get("id") if chat else user.get("id")
        if chat_id is not None:
            self._event(int(chat_id), "update", "", update_id,
                        (update.get("message") or {}).get("text")
                        or (update.get("callback_query") or {}).get("data") or "")
        self._notify()
        if self.webhook is not None:
            task = asyncio.get_running_loop().create_task(self._post_webhook(update))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        return update_id

    def _event(self, chat_id: int, kind: str, instance: str, ref: int | str,
               text: str = "", buttons: list[list[dict[str, Any]]] | None = None) -> None:
        data = tuple(b.get("callback_data", "") for row in buttons or [] for b in row)
        event = Event(len(self.events), chat_id, kind, instance, ref, text, data)
        self.events.append(event)
        for listener in self.listeners:
            listener(event)

    def _message(self, user_id: int, chat_id: int | None, chat_type: str) -> dict[str, Any]:
        chat_id = user_id if chat_id is None else chat_id
        return {"message_id": next(self._msg_ids), "date": int(time.time()),
                "chat": self.chat(chat_id, chat_type), "from": self.user(user_id)}

    def me(self) -> dict[str, Any]:
        return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "质量奖助手",
                "username": self.username, "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": True}

    # -- what the bot did ------------------------------------------------------------
    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def transcript(self, chat_id: int) -> str:
        """The conversation in one chat as a reader would follow it."""
        return "\n\n".join(f"{who}: {what}" for chat, who, what in self.timeline
                            if chat == chat_id)

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    @property
    def pending(self) -> int:
        """Updates not yet confirmed by the bot's next getUpdates offset."""
        return sum(1 for u in self._updates if u["update_id"] >= self._confirmed)

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every call); return it."""
        async def until() -> Any:
            async with self._changed:
                while not (value := predicate()):
                    await self._changed.wait()
                return value

        try:
            return await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out; last calls: {[c.method for c in self.calls[-8:]]}; "
                f"last sent: {[s.text[:60] for s in self.sent[-4:]]}") from None

    async def wait_sent(self, chat_id: int, count: int = 1, *, after: int = 0,
                        timeout: float = 5.0) -> list[Sent]:
        """Wait for ``count`` messages to ``chat_id`` beyond the first ``after``; return them."""
        def ready() -> list[Sent] | None:
            got = self.to(chat_id)[after:]
            return got if len(got) >= count else None

        return await self.wait_for(ready, timeout)

    async def wait_edited(self, sent: Sent, edits: int | None = None,
                          timeout: float = 5.0) -> Sent:
        """Wait until the bot has edited ``sent`` (beyond ``edits`` edits, default its count
        now): the questionnaire's next step, a used prompt."""
        seen = sent.edits if edits is None else edits
        await self.wait_for(lambda: sent.edits > seen, timeout)
        return sent

    def popups(self) -> list[str]:
        """The pop-up texts of answered button presses, in order."""
        return [a["text"] for a in self.answers
                if a.get("method") == "answerCallbackQuery" and a.get("text")]

    async def wait_method(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        def ready() -> list[Call] | None:
            got = [c for c in self.calls if c.method == method and c.status == 200]
            return got if len(got) >= count else None

        return await self.wait_for(ready, timeout)

    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        try:
            asyncio.get_running_loop().create_task(notify())
        except RuntimeError:
            pass

    # -- faults ----------------------------------------------------------------------
    def fail(self, method: str, status: int = 0, *, times: int = 1, retry_after: int = 1,
             delay: float = 0.0, description: str = "", late: float = 0.0) -> Fault:
        """Make the next ``times`` calls of ``method`` fail (429/500/…) or answer late:
        ``delay`` before the call takes effect, ``late`` after it took effect (a sender
        killed then has been accepted without knowing it). The fault can be changed later."""
        fault = Fault(method, status, retry_after, delay, times, description, late)
        self.faults.append(fault)
        return fault

    def hold(self, method: str) -> asyncio.Event:
        """Hold every call of ``method`` until the returned event is set (a process started
        and waiting at a known point)."""
        gate = self.gates[method] = asyncio.Event()
        return gate

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sends to this chat get 403."""
        self.blocked.add(chat_id)

    def _fault_for(self, method: str) -> Fault | None:
        for f in self.faults:
            if f.method == method and f.times > 0:
                f.times -= 1
                return f
        return None

    # -- HTTP ------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def respond(request: h11.Request,
                          body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            status, payload, ctype = await self._dispatch(request, body)
            return status, [("content-type", ctype)], payload

        await serve_http(reader, writer, respond, self._conns)

    async def _dispatch(self, request: h11.Request, body: bytes) -> tuple[int, bytes, str]:
        path = unquote(urlsplit(request.target.decode()).path)
        instance = ""
        first, _, rest = path[1:].partition("/")
        if first and first != "file" and not first.startswith("bot") and rest:
            instance, path = first, "/" + rest  # …/<instance>/bot<token>/<method>
        prefix = f"/bot{self.token}/"
        file_prefix = f"/file/bot{self.token}/"
        if path.startswith(file_prefix):
            content = self.files.get(path[len(file_prefix):].removeprefix("documents/"))
            if content is None:
                return 404, b"not found", "text/plain"
            return 200, content, "application/octet-stream"
        if not path.startswith(prefix):
            return 404, _err(404, "Not Found"), "application/json"
        method = path[len(prefix):]
        params = _params(request, body)
        call = Call(method, params, time.perf_counter(), instance=instance)
        self.calls.append(call)
        if method in self.gates:
            self._notify()
            await self.gates[method].wait()
        fault = self._fault_for(method)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status:
            call.status = fault.status
            self._notify()
            if fault.status == 429:
                return 429, json.dumps({
                    "ok": False, "error_code": 429,
                    "description": f"Too Many Requests: retry after {fault.retry_after}",
                    "parameters": {"retry_after": fault.retry_after}}).encode(), \
                    "application/json"
            return fault.status, _err(fault.status, fault.description or "Internal Server Error"), \
                "application/json"
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            call.status = 404
            return 404, _err(404, f"Not Found: method {method}"), "application/json"
        try:
            result = await handler(params, instance) if method in _BY_INSTANCE \
                else await handler(params)
        except _ApiError as e:
            call.status = e.code
            self._notify()
            return e.code, _err(e.code, e.description), "application/json"
        self._notify()
        if fault is not None and fault.late:
            await asyncio.sleep(fault.late)
        return 200, json.dumps({"ok": True, "result": result}).encode(), "application/json"

    # -- Bot API methods -------------------------------------------------------------
    async def _api_getMe(self, p: dict[str, Any]) -> Any:
        return self.me()

    async def _api_deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = None
        if p.get("drop_pending_updates"):
            self._confirmed = max(self._confirmed, next(self._ids))
        return True

    async def _api_setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {"url": p["url"], "secret_token": p.get("secret_token")}
        return True

    async def _api_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": self.pending}

    async def _api_getUpdates(self, p: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(p.get("offset") or 0)
        if offset:
            self._confirmed = max(self._confirmed, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(p.get("limit") or 100)
        timeout = float(p.get("timeout") or 0)

        def ready() -> list[dict[str, Any]]:
            return [u for u in self._updates if u["update_id"] >= self._confirmed][:limit]

        deadline = time.monotonic() + timeout
        async with self._changed:
            while not (got := ready()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    break
        return got

    async def _api_sendMessage(self, p: dict[str, Any], instance: str = "") -> Any:
        return self._record(p, edited=False, instance=instance)

    async def _api_editMessageText(self, p: dict[str, Any], instance: str = "") -> Any:
        return self._record(p, edited=True, instance=instance)

    async def _api_editMessageReplyMarkup(self, p: dict[str, Any], instance: str = "") -> Any:
        chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
        for s in self.sent:
            if s.chat_id == chat_id and s.message_id == message_id:
                buttons = (p.get("reply_markup") or {}).get("inline_keyboard", [])
                if buttons == s.buttons:
                    raise _ApiError(400, "Bad Request: message is not modified")
                s.buttons = buttons
                s.edits += 1
                self._event(chat_id, "markup", instance, message_id, s.text, buttons)
                return self._message_json(s)
        raise _ApiError(400, "Bad Request: message to edit not found")

    async def _api_sendDocument(self, p: dict[str, Any]) -> Any:
        chat_id = int(p["chat_id"])
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        doc = p.get("document")
        name, content = doc if isinstance(doc, tuple) else ("file", b"")
        s = Sent(chat_id, next(self._msg_ids), f"[文件 {name}] {p.get('caption', '')}")
        self.sent.append(s)
        file_id = f"sent{s.message_id}"
        self.files[file_id] = content
        out = self._message_json(s)
        out["document"] = {"file_id": file_id, "file_unique_id": file_id, "file_name": name}
        return out

    async def _api_getFile(self, p: dict[str, Any]) -> Any:
        file_id = p["file_id"]
        if file_id not in self.files:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}",
                "file_size": len(self.files[file_id]), "file_path": f"documents/{file_id}"}

    async def _api_answerCallbackQuery(self, p: dict[str, Any], instance: str = "") -> Any:
        self.answers.append({"method": "answerCallbackQuery", "instance": instance, **p})
        chat_id = self._query_chats.get(str(p.get("callback_query_id")))
        if chat_id is not None:
            self._event(chat_id, "answer", instance, str(p.get("callback_query_id")),
                        str(p.get("text") or ""))
        return True

    async def _api_answerInlineQuery(self, p: dict[str, Any]) -> Any:
        self.answers.append({"method": "answerInlineQuery", **p})
        return True

    async def _api_setMyCommands(self, p: dict[str, Any]) -> Any:
        self.commands[json.dumps(p.get("scope") or {"type": "default"}, sort_keys=True)] = \
            p.get("commands")
        return True

    async def _api_deleteMyCommands(self, p: dict[str, Any]) -> Any:
        return True

    async def _api_getChatMember(self, p: dict[str, Any]) -> Any:
        chat_id, user_id = int(p["chat_id"]), int(p["user_id"])
        status = "administrator" if user_id in self.admins.get(chat_id, set()) else "member"
        return self._member(self.user(user_id), status)

    async def _api_sendChatAction(self, p: dict[str, Any]) -> Any:
        chat_id = int(p["chat_id"])
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        self.actions.append((chat_id, str(p.get("action"))))
        return True

    def chat_actions(self, chat_id: int) -> list[str]:
        return [a for c, a in self.actions if c == chat_id]

    async def _api_setMyDescription(self, p: dict[str, Any]) -> Any:
        text = str(p.get("description") or "")
        if len(text) > 512:
            raise _ApiError(400, "Bad Request: description is too long")
        self.description = text
        return True

    async def _api_getMyDescription(self, p: dict[str, Any]) -> Any:
        return {"description": self.description}

    async def _api_setMyShortDescription(self, p: dict[str, Any]) -> Any:
        text = str(p.get("short_description") or "")
        if len(text) > 120:
            raise _ApiError(400, "Bad Request: short description is too long")
        self.short_description = text
        return True

    async def _api_getMyShortDescription(self, p: dict[str, Any]) -> Any:
        return {"short_description": self.short_description}

    def _record(self, p: dict[str, Any], *, edited: bool, instance: str = "") -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        text = str(p.get("text", ""))
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        if p.get("parse_mode") == "HTML":
            _check_html(text)
        buttons = (p.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in (b for row in buttons for b in row):  # as Telegram: a link or data, not empty
            if bool(b.get("url")) == bool(b.get("callback_data")):
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if edited:
            message_id = int(p["message_id"])
            for s in self.sent:
                if s.chat_id == chat_id and s.message_id == message_id:
                    if (s.text, s.buttons) == (text, buttons):
                        raise _ApiError(400, "Bad Request: message is not modified")
                    s.text, s.buttons, s.edited = text, buttons, True
                    s.edits += 1
                    self._event(chat_id, "edit", instance, message_id, text, buttons)
                    rows = ["  " + " ".join("[" + str(b.get("text")) + "]" for b in row)
                            for row in buttons]
                    self.timeline.append((chat_id, "机器人（更新上一条）", "\n".join([text, *rows])))
                    return self._message_json(s)
            raise _ApiError(400, "Bad Request: message to edit not found")
        s = Sent(chat_id, next(self._msg_ids), text, buttons, parse_mode=p.get("parse_mode"),
                 instance=instance)
        self.sent.append(s)
        self._event(chat_id, "send", instance, s.message_id, text, buttons)
        rows = ["  " + " ".join("[" + str(b.get("text")) + "]" for b in row) for row in buttons]
        shown = "\n".join([text, *rows])
        self.timeline.append((chat_id, "机器人", shown))
        update_id = self._last_update_of_chat.get(chat_id)
        if update_id is not None and update_id not in self.sent_at:
            self.sent_at[update_id] = time.perf_counter()
        return self._message_json(s)

    def _message_json(self, s: Sent) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": s.message_id, "date": int(time.time()),
            "chat": self.chat(s.chat_id, "private" if s.chat_id > 0 else "supergroup"),
            "from": self.me(), "text": s.text}
        if s.buttons:
            out["reply_markup"] = {"inline_keyboard": s.buttons}
        return out

    async def _post_webhook(self, update: dict[str, Any]) -> None:
        """POST the update until the webhook answers 2xx, as Telegram does (it keeps an
        update for 24 hours); stops when the webhook is removed or the fake closes."""
        if self._hook_gate is None:
            self._hook_gate = asyncio.Semaphore(self.webhook_connections)
            self._hook_client = httpx.AsyncClient(limits=httpx.Limits(
                max_connections=self.webhook_connections))
        update_id = int(update["update_id"])
        attempts = self.deliveries.setdefault(update_id, [])
        while (hook := self.webhook) is not None:
            headers = {}
            if hook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
            async with self._hook_gate:
                attempt = Delivery(update_id, time.perf_counter(), time.time())
                attempts.append(attempt)
                try:
                    assert self._hook_client is not None
                    answer = await self._hook_client.post(hook["url"], json=update,
                                                          headers=headers, timeout=10)
                except httpx.HTTPError:
                    pass
                else:
                    attempt.status = answer.status_code
                    attempt.backend = answer.headers.get("x-backend", "")
                    attempt.backend_status = int(answer.headers.get("x-backend-status")
                                                 or answer.status_code)
                attempt.ended = time.perf_counter()
            self._notify()
            if 200 <= attempt.status < 300:
                return
            await asyncio.sleep(self.webhook_retry_delay)


class _ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


# methods whose handler is told which bot process called
_BY_INSTANCE = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery"}


def _err(code: int, description: str) -> bytes:
    return json.dumps({"ok": False, "error_code": code, "description": description}).encode()


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre",
                 "a", "blockquote", "tg-spoiler", "span"}


def _check_html(text: str) -> None:
    """Reject what Telegram rejects: unknown or unbalanced tags, a bare '<' or '&'."""
    import re

    stack: list[str] = []
    for m in re.finditer(r"<(/?)([a-zA-Z-]+)[^>]*>|<|&(?!(?:lt|gt|amp|quot|#\d+);)", text):
        if m.group(2) is None:
            raise _ApiError(400, "Bad Request: can't parse entities: unsupported start tag")
        closing, tag = m.group(1), m.group(2).lower()
        if tag not in _ALLOWED_TAGS:
            raise _ApiError(400, f"Bad Request: can't parse entities: unsupported tag {tag}")
        if closing:
            if not stack or stack.pop() != tag:
                raise _ApiError(400, "Bad Request: can't parse entities: unmatched end tag")
        else:
            stack.append(tag)
    if stack:
        raise _ApiError(400, "Bad Request: can't parse entities: unclosed tag")


Respond = Callable[[h11.Request, bytes], Awaitable[tuple[int, list[tuple[str, str]], bytes]]]


async def serve_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     respond: Respond, conns: set[asyncio.Task[None]]) -> None:
    """One keep-alive HTTP/1.1 connection: each request answered by ``respond`` (status,
    headers, body); the task is kept in ``conns`` while it lasts so a server can cancel it."""
    task = asyncio.current_task()
    assert task is not None
    conns.add(task)
    conn = h11.Connection(h11.SERVER)
    try:
        while True:
            request, body = await _read_request(conn, reader)
            if request is None:
                return
            status, headers, payload = await respond(request, body)
            headers = [*headers, ("content-length", str(len(payload)))]
            writer.write(conn.send(h11.Response(status_code=status, headers=headers)))
            writer.write(conn.send(h11.Data(data=payload)))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            if conn.our_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()
    except (ConnectionError, asyncio.CancelledError, h11.RemoteProtocolError):
        pass
    finally:
        conns.discard(task)
        writer.close()


async def _read_request(conn: h11.Connection,
                        reader: asyncio.StreamReader) -> tuple[h11.Request | None, bytes]:
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            conn.receive_data(data)
            if not data and conn.their_state is not h11.DONE:
                return None, b""
            continue
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return request, bytes(body)
        elif isinstance(event, h11.ConnectionClosed):
            return None, b""


def _params(request: h11.Request, body: bytes) -> dict[str, Any]:
    headers = {k.decode().lower(): v.decode() for k, v in request.headers}
    ctype = headers.get("content-type", "")
    raw: dict[str, Any] = {}
    query = urlsplit(request.target.decode()).query
    raw.update(parse_qsl(query))
    if ctype.startswith("application/x-www-form-urlencoded"):
        raw.update(parse_qsl(body.decode(), keep_blank_values=True))
    elif ctype.startswith("application/json"):
        raw.update(json.loads(body or b"{}"))
    elif ctype.startswith("multipart/form-data"):
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + body)
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            raw[name] = (filename, payload) if filename else payload.decode()
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if k in _JSON_PARAMS and isinstance(v, str):
            try:
                v = json.loads(v)
            except ValueError:
                pass
        out[k] = v
    return out
