"""Knowledge packs: a regulation's repaired text, its facts and its curated questions, as data.

A pack is a folder under ``knowledge/data/packs``. ``pack.yaml`` names the text and holds the
facts the rules compute with (each tied to its article and item); ``questions.yaml`` holds
sample questions and synonyms per article for retrieval. The Cangzhou measures are the first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from knowledge.errors import QabotError
from knowledge.numerals import to_chinese
from knowledge.regulation import Regulation, parse

DEFAULT_PACK = "cangzhou-2020"

try:  # the C loader is several times faster; PyYAML ships it in its wheels
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


class PackError(QabotError):
    """A knowledge pack is missing or malformed."""


@dataclass(frozen=True)
class Ref:
    article: int
    item: int | None = None

    @property
    def label(self) -> str:
        s = f"第{to_chinese(self.article)}条"
        return s + (f"第（{to_chinese(self.item)}）项" if self.item else "")


@dataclass(frozen=True)
class Fact:
    key: str
    value: Any
    ref: Ref
    text: str
    unit: str = ""


@dataclass
class Pack:
    id: str
    path: Path
    meta: dict[str, Any]
    regulation: Regulation
    facts: dict[str, Fact]
    source_text: str
    text: str

    @property
    def title(self) -> str:
        return str(self.meta["title"])

    @property
    def award_name(self) -> str:
        return str(self.meta.get("award_name", self.title))

    @property
    def doc_number(self) -> str:
        return str(self.meta.get("doc_number", ""))

    def date(self, key: str) -> dt.date | None:
        v = self.meta.get(key)
        return v if isinstance(v, dt.date) else (dt.date.fromisoformat(v) if v else None)

    def fact(self, key: str) -> Fact:
        try:
            return self.facts[key]
        except KeyError:
            raise PackError(f"知识包 {self.id} 缺少事实 {key}") from None

    def value(self, key: str) -> Any:
        return self.fact(key).value

    def load_yaml(self, name: str) -> Any:
        p = self.path / name
        if not p.exists():
            return None
        return yaml.load(p.read_text(encoding="utf-8"), Loader=_Loader)


def packs_root() -> Path:
    return Path(str(resources.files("knowledge") / "data" / "packs"))


def load_pack_from(path: Path) -> Pack:
    meta_file = path / "pack.yaml"
    if not meta_file.exists():
        raise PackError(f"找不到知识包：{path}")
    meta = yaml.load(meta_file.read_text(encoding="utf-8"), Loader=_Loader) or {}
    text = (path / meta.get("text", "measures.txt")).read_text(encoding="utf-8")
    source_name = meta.get("source")
    source = (path / source_name).read_text(encoding="utf-8") if source_name else text
    regulation = parse(text, meta["title"])
    facts: dict[str, Fact] = {}
    for key, f in (meta.get("facts") or {}).items():
        ref = f.get("ref") or {}
        if "article" not in ref:
            raise PackError(f"事实 {key} 没有注明条款")
        facts[key] = Fact(key, f["value"], Ref(int(ref["article"]), ref.get("item")),
                          str(f.get("text", "")), str(f.get("unit", "")))
    return Pack(str(meta.get("id", path.name)), path, meta, regulation, facts, source, text)


@cache
def load_pack(pack_id: str = DEFAULT_PACK) -> Pack:
    """The pack shipped in ``knowledge/data/packs/<pack_id>`` (or a folder path)."""
    p = Path(pack_id)
    if not p.is_absolute() and not (p / "pack.yaml").exists():
        p = packs_root() / pack_id
    return load_pack_from(p)
