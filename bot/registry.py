"""The winner registry the office keeps: roster import/export, revocation, expiry, quota
warnings (第四条), one-time bind codes and the public check (第十五条/第二十条).

Functions take a session and what they need (the pack, ``today``, ``now``) and never read the
clock. Those that change rows commit: each is one unit of work, all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from bot.storage.models import (
    ACTIVE,
    INDIVIDUAL,
    ORGANIZATION,
    REVOKED,
    BindAttempt,
    BindCode,
    Binding,
    BotState,
    BroadcastDelivery,
    PackStatus,
    ReminderSent,
    Subscriber,
    Winner,
)
from knowledge.claims import load_claims
from knowledge.errors import QabotError
from knowledge.numerals import parse_year
from knowledge.pack import Pack
from knowledge.validity import DateError, Validity, assess_for, check_year, parse_date, period

logger = logging.getLogger(__name__)

KIND_LABEL = {ORGANIZATION: "组织奖", INDIVIDUAL: "个人奖"}
_KINDS = {"组织奖": ORGANIZATION, "组织": ORGANIZATION, "organization": ORGANIZATION,
          "个人奖": INDIVIDUAL, "个人": INDIVIDUAL, "individual": INDIVIDUAL}
_YES = {"是", "y", "yes", "true", "1", "√", "✓", "再次获奖"}
_NO = {"", "否", "n", "no", "false", "0"}

# The roster's columns: the first name is the documented header, the rest are accepted too.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "获奖单位", "获奖者", "单位名称", "姓名", "name"),
    "kind": ("奖项", "奖项类别", "类别", "kind"),
    "year": ("年度", "获奖年度", "year"),
    "award_date": ("认定日期", "获奖日期", "award_date"),
    "doc_number": ("文号", "决定文号", "doc_number"),
    "notes": ("备注", "联系方式", "notes"),
    "repeat_award": ("再次获奖", "repeat_award"),
}
REQUIRED = ("name", "kind", "award_date")
EXPORT_HEADER = ["名称", "奖项", "年度", "认定日期", "文号", "备注", "再次获奖", "有效期至",
                 "状态", "撤销日期", "撤销原因"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by hand
CODE_LENGTH = 12  # 32**12 = 2**60 possibilities: a plain sha256 is enough to store it
MAX_BIND_FAILURES = 5
BIND_LOCK = dt.timedelta(hours=1)
MAX_WITHIN_DAYS = 100_000  # /expiring N: the dialogue accepts up to five digits


class RegistryError(QabotError):
    """A registry operation that cannot be done as asked."""


class RosterError(RegistryError):
    """A roster file that cannot be imported; nothing from it was written."""


class BindError(RegistryError):
    """A bind code that does not work."""


class BindLocked(BindError):
    """Too many wrong codes from one chat."""


# -- names -----------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """The name as compared: NFKC (full-width brackets and digits folded), no spaces, casefold."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


# -- reading a roster ------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    kind: str
    award_year: int
    award_date: dt.date
    doc_number: str | None = None
    notes: str | None = None
    repeat_award: bool = False

    @property
    def identity(self) -> tuple[str, str, int]:
        return name_key(self.name), self.kind, self.award_year


def read_roster(data: bytes, filename: str = "") -> list[RosterRow]:
    """Parse a roster (CSV in UTF-8, UTF-8 with BOM or GBK, or .xlsx) and check every row.

    Raises RosterError naming the line of the first bad row; nothing is returned half-read.
    """
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        lines = _xlsx_rows(data)
    elif filename.lower().endswith(".xls"):
        raise RosterError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV")
    else:
        lines = _csv_rows(data)
    lines = [(n, cells) for n, cells in lines if any(_cell(c) for c in cells)]
    if not lines:
        raise RosterError("文件是空的：第一行应为表头（" + ",".join(EXPORT_HEADER[:7]) + "）")
    header_line, header = lines[0]
    columns = _columns(header, header_line)
    rows: list[RosterRow] = []
    seen: dict[tuple[str, str, int], RosterRow] = {}
    for n, cells in lines[1:]:
        row = _row(n, cells, columns)
        first = seen.get(row.identity)
        if first is not None:
            if first != RosterRow(first.line, **{k: getattr(row, k) for k in _FIELDS}):
                raise RosterError(f"第{n}行：与第{first.line}行是同一奖项（名称、奖项、年度相同）"
                                  "但内容不同")
            continue
        seen[row.identity] = row
        rows.append(row)
    return rows


_FIELDS = ("name", "kind", "award_year", "award_date", "doc_number", "notes", "repeat_award")


def _csv_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 reads GBK and everything it encodes
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly any bytes
        raise RosterError("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV")
    if "\x00" in text:
        raise RosterError("文件不是 CSV 文本（含有二进制内容），请另存为 CSV 或 .xlsx")
    reader = csv.reader(io.StringIO(text, newline=""))
    out = []
    try:
        for cells in reader:
            out.append((reader.line_num, cells))
    except csv.Error as e:
        raise RosterError(f"第{reader.line_num}行：CSV 格式错误（{e}）") from None
    return out


def _xlsx_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # A zip whose XML is broken raises a SyntaxError subclass (ElementTree's or lxml's
    # ParseError), while opening or, read-only, while reading the rows.
    broken = (BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError,
              IndexError, SyntaxError)
    try:
        # data_only: a formula cell gives the value Excel computed, never the formula
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except broken:
        raise RosterError("无法打开 .xlsx 文件：文件已损坏或不是 Excel 工作簿") from None
    try:
        ws = wb.worksheets[0]
        return [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    except broken:
        raise RosterError("无法读取 .xlsx 文件：工作表已损坏，请在 Excel 中另存后重试") from None
    finally:
        wb.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.startswith("'") and text[1:2] in _FORMULA_START:
        text = text[1:]  # the escape our own export adds
    return text


def _columns(header: Sequence[Any], line: int) -> dict[str, int]:
    index: dict[str, int] = {}
    names = {alias.casefold(): key for key, aliases in COLUMNS.items() for alias in aliases}
    for i, raw in enumerate(header):
        key = names.get(_cell(raw).replace(" ", "").casefold())
        if key and key not in index:
            index[key] = i
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in index]
    if missing:
        raise RosterError(f"第{line}行（表头）缺少列：{'、'.join(missing)}。表头应为："
                          "名称,奖项,年度,认定日期,文号,备注,再次获奖")
    return index


def _row(n: int, cells: Sequence[Any], columns: dict[str, int]) -> RosterRow:
    def get(key: str) -> Any:
        i = columns.get(key)
        return cells[i] if i is not None and i < len(cells) else None

    name = _cell(get("name"))
    if not name:
        raise RosterError(f"第{n}行：名称为空")
    if name[0] in _FORMULA_START:
        raise RosterError(f"第{n}行：名称“{name[:20]}”以 {name[0]} 开头，像是公式，请核对")
    if len(name) > 200:
        raise RosterError(f"第{n}行：名称过长")
    kind_text = _cell(get("kind"))
    kind = _KINDS.get(kind_text.casefold())
    if kind is None:
        raise RosterError(f"第{n}行：奖项“{kind_text[:20]}”应为 组织奖 或 个人奖")
    raw_date = get("award_date")
    try:
        if isinstance(raw_date, dt.datetime):
            award_date = check_year(raw_date.date())
        elif isinstance(raw_date, dt.date):
            award_date = check_year(raw_date)
        else:
            award_date = parse_date(_cell(raw_date))
    except DateError as e:
        raise RosterError(f"第{n}行：认定{e}") from None
    year_text = _cell(get("year")).removesuffix("年度").removesuffix("年")
    if year_text:
        parsed = parse_year(year_text)
        if parsed is None:
            raise RosterError(f"第{n}行：年度“{year_text[:20]}”应为四位数字，如 2021")
        award_year = parsed
        if not award_year <= award_date.year <= award_year + 1:
            raise RosterError(f"第{n}行：年度 {award_year} 与认定日期 {award_date} 不相符")
    else:
        award_year = award_date.year
    repeat_text = _cell(get("repeat_award")).casefold()
    if repeat_text not in _YES and repeat_text not in _NO:
        raise RosterError(f"第{n}行：再次获奖“{repeat_text[:20]}”应为 是 或 否（或留空）")
    return RosterRow(n, name, kind, award_year, award_date, _cell(get("doc_number")) or None,
                     _cell(get("notes")) or None, repeat_text in _YES)


# -- writing ---------------------------------------------------------------------------------


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"导入完成：新增 {self.added} 条，更新 {self.updated} 条，未变 {self.unchanged} 条。"
        return "\n".join([text, *self.warnings])


def import_roster(session: Session, rows: Iterable[RosterRow], pack: Pack,
                  now: dt.datetime) -> ImportReport:
    """Add or update the rows in one transaction; importing the same rows again changes nothing.

    Warns (the import still goes through) when a year exceeds the 第四条 quota, when a winner
    was awarded again while an earlier award was still valid (第十七条: 有效期满后可再次申报),
    when such a repeat award is not marked 再次获奖, and when an earlier award was revoked
    (第二十四条)."""
    p = period(pack)
    report = ImportReport()
    rows = list(rows)
    keys = {r.identity[0] for r in rows}
    existing: dict[tuple[str, str, int], Winner] = {}
    for chunk in _chunks(sorted(keys), 500):
        for w in session.exec(select(Winner).where(col(Winner.name_key).in_(chunk))):
            existing[(w.name_key, w.kind, w.award_year)] = w
    try:
        for r in rows:
            values = {"name": r.name, "award_date": r.award_date, "doc_number": r.doc_number,
                      "notes": r.notes, "repeat_award": r.repeat_award,
                      "valid_until": p.valid_until(r.award_date)}
            w = existing.get(r.identity)
            if w is None:
                session.add(Winner(name_key=r.identity[0], kind=r.kind, award_year=r.award_year,
                                   created_at=now, updated_at=now, **values))
                report.added += 1
            elif any(getattr(w, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(w, k, v)
                w.updated_at = now
                session.add(w)
                report.updated += 1
            else:
                report.unchanged += 1
        session.flush()
        report.warnings = quota_warnings(session, pack) + history_warnings(session, pack, keys)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report


def import_bytes(session: Session, data: bytes, filename: str, pack: Pack,
                 now: dt.datetime) -> ImportReport:
    """Read and import a roster file's bytes (a CLI path or a document sent in chat)."""
    return import_roster(session, read_roster(data, filename), pack, now)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def quota_warnings(session: Session, pack: Pack, years: Iterable[int] | None = None) -> list[str]:
    """第四条: more than 7 organisation or 3 individual awards in a year, repeat awards aside."""
    limits = {ORGANIZATION: pack.fact("quota_organization"),
              INDIVIDUAL: pack.fact("quota_individual")}
    q = (select(Winner.award_year, Winner.kind, func.count())
         .where(col(Winner.repeat_award).is_(False))  # 第十七条: 不占用当年各奖项名额
         .group_by(Winner.award_year, Winner.kind).order_by(Winner.award_year, Winner.kind))
    if years is not None:
        q = q.where(col(Winner.award_year).in_(list(years)))
    claims = load_claims(pack)
    out = []
    for year, kind, count in session.exec(q):
        fact = limits[kind]
        if count > int(fact.value):
            out.append(claims.text("registry.quota", year=year, kind=KIND_LABEL[kind],
                                   count=count, limit=fact.value))
    return out


def history_warnings(session: Session, pack: Pack,
                     name_keys: Iterable[str] | None = None) -> list[str]:
    """Awards to one winner that the measures rule out or that need a look (see import)."""
    claims = load_claims(pack)
    q = select(Winner).order_by(Winner.name_key, Winner.kind, Winner.award_date)
    if name_keys is not None:
        keys = sorted(set(name_keys))
        if not keys:
            return []
        found: list[Winner] = []
        for chunk in _chunks(keys, 500):
            found += session.exec(q.where(col(Winner.name_key).in_(chunk)))
    else:
        found = list(session.exec(q))
    by_winner: dict[tuple[str, str], list[Winner]] = {}
    for w in found:
        by_winner.setdefault((w.name_key, w.kind), []).append(w)
    out: list[str] = []
    for awards in by_winner.values():
        for earlier, later in zip(awards, awards[1:], strict=False):
            names = {"name": later.name, "year": later.award_year,
                     "prev_year": earlier.award_year}
            if earlier.status == REVOKED:
                out.append(claims.text("registry.after_revocation", **names))
            elif later.award_date <= earlier.valid_until:
                out.append(claims.text("registry.repeat_while_valid", **names,
                                       award_date=later.award_date.isoformat(),
                                       prev_until=earlier.valid_until.isoformat()))
            if not later.repeat_award:
                out.append(claims.text("registry.repeat_unmarked", **names))
    return out


def list_winners(session: Session, *, include_revoked: bool = True,
                 valid_on: dt.date | None = None) -> list[Winner]:
    """The roster; ``include_revoked=False`` drops revoked awards; ``valid_on`` keeps only the
    awards valid on that day (unrevoked and not yet expired: "currently valid")."""
    q = select(Winner).order_by(col(Winner.award_year).desc(), Winner.kind, Winner.name_key)
    if not include_revoked or valid_on is not None:
        q = q.where(Winner.status == ACTIVE)
    if valid_on is not None:
        q = q.where(col(Winner.valid_until) >= valid_on)
        q = q.where(col(Winner.award_date) <= valid_on)
    return list(session.exec(q))


def validity_of(w: Winner, today: dt.date, pack: Pack) -> Validity:
    return assess_for(pack, w.award_date, today, revoked=w.status == REVOKED)


def latest_valid(session: Session, winners: Iterable[Winner],
                 today: dt.date) -> dict[tuple[str, str], Winner]:
    """Per winner (name key and kind), its award valid today whose validity ends last."""
    keys = {(w.name_key, w.kind) for w in winners}
    if not keys:
        return {}
    rows = session.exec(select(Winner).where(Winner.status != REVOKED)
                        .where(col(Winner.valid_until) >= today)
                        .where(col(Winner.name_key).in_(sorted({k for k, _ in keys}))))
    out: dict[tuple[str, str], Winner] = {}
    for w in rows:
        key = (w.name_key, w.kind)
        if key in keys and (key not in out or w.valid_until > out[key].valid_until):
            out[key] = w
    return out


def barred_keys(session: Session, name_keys: Iterable[str]) -> set[str]:
    """The winners (by name key) with a revoked award: 第二十四条, 今后不得申报."""
    keys = sorted(set(name_keys))
    if not keys:
        return set()
    return set(session.exec(select(Winner.name_key).where(Winner.status == REVOKED)
                            .where(col(Winner.name_key).in_(keys)).distinct()))


def export_csv(winners: Iterable[Winner]) -> str:
    """The roster as CSV for Excel (the caller writes it with a BOM); formulas are defused."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(EXPORT_HEADER)
    for w in winners:
        out.writerow([_safe(v) for v in (
            w.name, KIND_LABEL[w.kind], w.award_year, w.award_date.isoformat(),
            w.doc_number or "", w.notes or "", "是" if w.repeat_award else "否",
            w.valid_until.isoformat(), "已撤销" if w.status == REVOKED else "有效",
            w.revoked_on.isoformat() if w.revoked_on else "", w.revoked_reason or "")])
    return buf.getvalue()


def _safe(value: object) -> str:
    # A cell starting with = + - @ is a formula to Excel (CSV injection); a leading ' makes it text.
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def find_winner(session: Session, name: str, year: int | None = None) -> Winner:
    """The award to ``name`` (in ``year`` if given); an error if none or several."""
    q = select(Winner).where(Winner.name_key == name_key(name))
    if year is not None:
        q = q.where(Winner.award_year == year)
    found = list(session.exec(q.order_by(col(Winner.award_year).desc())))
    if not found:
        when = f"（{year}年度）" if year else ""
        raise RegistryError(f"名录中没有“{name.strip()[:40]}”{when}")
    if len(found) > 1:
        years = "、".join(str(w.award_year) for w in found)
        raise RegistryError(f"“{name.strip()[:40]}”有多条获奖记录（{years}年度），请用 --year 指定")
    return found[0]


def revoke(session: Session, name: str, reason: str, on: dt.date, now: dt.datetime,
           year: int | None = None, pack: Pack | None = None) -> Winner:
    """第二十四条: revoke an award; no more reminders, no re-application.

    Only what happens 在有效期内 is revoked: a date before the award or after its validity
    ended is refused."""
    return revoke_winner(session, find_winner(session, name, year), reason, on, now, pack)


def revoke_winner(session: Session, w: Winner, reason: str, on: dt.date, now: dt.datetime,
                  pack: Pack | None = None) -> Winner:
    """第二十四条 for one award row (what a confirmation button names: its id)."""
    if not reason.strip():
        raise RegistryError("请说明撤销原因（第二十四条所列情形）")
    if w.status == REVOKED:
        raise RegistryError(f"“{w.name}”（{w.award_year}年度）已于 {w.revoked_on} 撤销")
    check_revocation_date(w, on, pack)
    w.status, w.revoked_on, w.revoked_reason, w.updated_at = REVOKED, on, reason.strip(), now
    session.add(w)
    session.commit()
    return w


def check_revocation_date(w: Winner, on: dt.date, pack: Pack | None = None) -> None:
    """Refuse a revocation dated before the award or after its validity (第二十四条 在有效期内)."""
    from bot import configured

    pack = pack or configured.pack()
    claims = load_claims(pack)
    until = period(pack).valid_until(w.award_date)
    if on < w.award_date:
        raise RegistryError(claims.text("revoke.before_award", date=on.isoformat(),
                                        award_date=w.award_date.isoformat()))
    if on > until:
        raise RegistryError(claims.text("revoke.after_validity", date=on.isoformat(),
                                        until=until.isoformat()))


def expiring(session: Session, today: dt.date, within: int) -> list[Winner]:
    """Unrevoked awards whose last valid day falls in the next ``within`` days."""
    if within < 0:
        raise RegistryError("天数不能为负")
    if within > MAX_WITHIN_DAYS:  # a larger window overflows the date arithmetic
        raise RegistryError(f"天数不能超过 {MAX_WITHIN_DAYS}")
    q = (select(Winner).where(Winner.status == ACTIVE)
         .where(col(Winner.valid_until) >= today)
         .where(col(Winner.valid_until) <= today + dt.timedelta(days=within))
         .order_by(Winner.valid_until, Winner.name_key))
    return list(session.exec(q))


# -- binding chats ---------------------------------------------------------------------------


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("ascii", "ignore")).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", code).upper() if c.isalnum())


def issue_code(session: Session, name: str, now: dt.datetime, ttl_days: int,
               year: int | None = None) -> tuple[str, Winner]:
    """A fresh one-time code for the winner; earlier unused codes for it stop working."""
    w = find_winner(session, name, year)
    if w.status == REVOKED:
        raise RegistryError(f"“{w.name}”的奖项已撤销，不能绑定")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    session.exec(delete(BindCode).where(col(BindCode.winner_id) == w.id)
                 .where(col(BindCode.used_at).is_(None)))
    session.add(BindCode(winner_id=w.id, code_hash=_hash(raw), created_at=now,
                         expires_at=now + dt.timedelta(days=ttl_days)))
    session.commit()
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4)), w


def bind_locked_until(session: Session, chat_id: str, now: dt.datetime) -> dt.datetime | None:
    """When binding opens again for a chat that sent five wrong codes within an hour."""
    times = sorted(session.exec(select(BindAttempt.attempted_at)
                                .where(BindAttempt.chat_id == chat_id)
                                .where(col(BindAttempt.attempted_at) > now - 2 * BIND_LOCK)))
    for i in range(len(times) - MAX_BIND_FAILURES, -1, -1):
        window = times[i:i + MAX_BIND_FAILURES]
        if window[-1] - window[0] <= BIND_LOCK and now < window[-1] + BIND_LOCK:
            return window[-1] + BIND_LOCK
    return None


def bind(session: Session, chat_id: str, code: str, now: dt.datetime) -> Winner:
    """Bind ``chat_id`` to the winner the code was issued for; the code is then used up."""
    locked = bind_locked_until(session, chat_id, now)
    if locked is not None:
        raise BindLocked("错误次数过多，绑定已暂停一小时，请稍后再试。")
    bc = session.exec(select(BindCode).where(BindCode.code_hash == _hash(code))).first()
    problem = None
    if bc is None:
        problem = "绑定码不正确，请核对后重新发送（区分不了的字母可向办公室确认）。"
    elif bc.used_at is not None:
        problem = "这个绑定码已经用过了，请向质量奖办公室申请新的绑定码。"
    elif now >= bc.expires_at:
        problem = "这个绑定码已过期，请向质量奖办公室申请新的绑定码。"
    if problem is not None:
        session.add(BindAttempt(chat_id=chat_id, attempted_at=now))
        session.commit()
        raise BindError(problem)
    assert bc is not None
    w = session.get(Winner, bc.winner_id)
    if w is None or w.status == REVOKED:
        raise BindError("该奖项已撤销，不能绑定。")
    bc.used_at = now
    session.add(bc)
    b = session.exec(select(Binding).where(Binding.winner_id == w.id)
                     .where(Binding.chat_id == chat_id)).first()
    if b is None:
        session.add(Binding(winner_id=w.id, chat_id=chat_id, created_at=now))
    else:
        b.active, b.deactivated_at = True, None
        session.add(b)
    session.exec(delete(BindAttempt).where(col(BindAttempt.chat_id) == chat_id))
    session.commit()
    return w


def mark_expiry_told(session: Session, winner_id: int, chat_id: str, now: dt.datetime) -> None:
    """A chat bound after the award expired was told so in the bind reply: record the day-after
    notice as sent, so no reminder follows a reply that promised none."""
    if session.get(ReminderSent, (winner_id, chat_id, "expired")) is None:
        session.add(ReminderSent(winner_id=winner_id, chat_id=chat_id, milestone="expired",
                                 sent_at=now))
        session.commit()


def bound_winners(session: Session, chat_id: str) -> list[Winner]:
    q = (select(Winner).join(Binding, col(Binding.winner_id) == col(Winner.id))
         .where(Binding.chat_id == chat_id).where(col(Binding.active).is_(True))
         .order_by(col(Winner.award_year).desc()))
    return list(session.exec(q))


def unbind(session: Session, chat_id: str) -> int:
    """Stop reminders to a chat; returns how many bindings ended."""
    n = session.exec(delete(Binding).where(col(Binding.chat_id) == chat_id)).rowcount
    session.commit()
    return int(n or 0)


def forget(session: Session, chat_id: str) -> int:
    """Delete every row about a chat: bindings, attempts, reminders, subscription, state."""
    n = 0
    for model in (Binding, BindAttempt, ReminderSent, Subscriber, BroadcastDelivery):
        n += session.exec(delete(model).where(model.chat_id == chat_id)).rowcount or 0
    prefix = chat_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":"
    n += session.exec(delete(BotState)  # every conversation in the chat (bot.state)
                      .where(col(BotState.namespace) == "conv")
                      .where(col(BotState.key).like(f"{prefix}%", escape="\\"))).rowcount or 0
    session.commit()
    return int(n)


def deactivate_chat(session: Session, chat_id: str, now: dt.datetime) -> None:
    """The user blocked the bot: keep the bindings but send nothing more to the chat."""
    for b in session.exec(select(Binding).where(Binding.chat_id == chat_id)
                          .where(col(Binding.active).is_(True))):
        b.active, b.deactivated_at = False, now
        session.add(b)
    session.commit()


# -- the public check ------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    winner: Winner
    validity: Validity
    score: float


def verify(session: Session, query: str, today: dt.date, pack: Pack,
           limit: int = 3, cutoff: float = 80) -> list[Match]:
    """Awards whose name matches ``query`` (exactly, else fuzzily), best first."""
    from rapidfuzz import fuzz, process

    key = name_key(query)
    if not key:
        return []
    exact = list(session.exec(select(Winner).where(Winner.name_key == key)))
    if exact:
        found = [(w, 100.0) for w in exact]
    else:
        names = {k: None for k in session.exec(select(Winner.name_key).distinct())}
        best = process.extract(key, list(names), scorer=fuzz.WRatio, limit=limit,
                               score_cutoff=cutoff)
        found = []
        for k, score, _ in best:
            found += [(w, float(score)) for w in session.exec(
                select(Winner).where(Winner.name_key == k))]
    found.sort(key=lambda ws: (-ws[1], -ws[0].award_year))
    return [Match(w, validity_of(w, today, pack), s) for w, s in found[:limit]]


# -- the pack's status: a recorded revision, the counting rule of stored dates ---------------


@dataclass(frozen=True)
class Supersession:
    """Staff recorded that the measures were revised or replaced (``qabot pack supersede``)."""

    by: str  # 文号
    since: dt.date


def supersession(session: Session, pack: Pack) -> Supersession | None:
    row = session.get(PackStatus, pack.id)
    if row is None or not row.superseded_by or row.superseded_from is None:
        return None
    return Supersession(row.superseded_by, row.superseded_from)


def set_supersession(session: Session, pack: Pack, by: str | None, since: dt.date | None,
                     now: dt.datetime) -> Supersession | None:
    """Record (or, with ``by`` None, clear) a revision of the pack's measures."""
    if by is not None:
        by = by.strip()
        if not by or len(by) > 100:
            raise RegistryError("请写明修订或替代本办法的文件文号（100 字以内），如 沧政字〔2025〕1号")
        if since is None:
            raise RegistryError("请用 --from 写明新办法施行的日期，如 2025-07-01")
        effective = pack.date("effective")
        if effective and since <= effective:
            raise RegistryError(f"修订日期 {since} 不晚于本办法施行日期 {effective}，请检查")
    row = session.get(PackStatus, pack.id) or PackStatus(pack_id=pack.id)
    row.superseded_by, row.superseded_from, row.updated_at = by, since if by else None, now
    session.add(row)
    session.commit()
    return supersession(session, pack)


def sync_valid_until(session: Session, pack: Pack, now: dt.datetime) -> int:
    """Recompute stored expiry dates when the pack's counting rule or period changed (one value
    in pack.yaml); returns how many rows changed. Cheap when nothing changed."""
    p = period(pack)
    counting = f"{p.counting}:{p.years}"
    row = session.get(PackStatus, pack.id)
    if row is not None and row.counting == counting:
        return 0
    changed = 0
    for w in session.exec(select(Winner)):
        until = p.valid_until(w.award_date)
        if w.valid_until != until:
            w.valid_until = until
            session.add(w)
            changed += 1
    row = row or PackStatus(pack_id=pack.id)
    row.counting, row.updated_at = counting, now
    session.add(row)
    session.commit()
    if changed:
        logger.info("recomputed %d expiry dates for the counting rule %s", changed, counting)
    return changed
