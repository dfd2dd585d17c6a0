"""Regenerate the language tables in ``knowledge/data/lexicon`` (run by hand, not at run time).

    pip install -e ".[tables]" && python -m knowledge.build_tables

- ``dict.txt``: a jieba dictionary of the most frequent words of jieba's own dictionary plus
  every word jieba finds in the shipped packs. jieba's full dictionary (349,046 words) costs
  ~0.8 s and ~90 MB to load; a regulation needs a small fraction of it.
- ``pinyin.tsv``: each character's toneless pinyin readings (pypinyin's data), for homophone
  typos such as 公式期 for 公示期.
- ``t2s.tsv``: traditional to simplified characters (OpenCC's TSCharacters), for 獎金 → 奖金.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TOP_WORDS = 60_000
HERE = Path(__file__).parent / "data" / "lexicon"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _pack_texts() -> list[str]:
    root = Path(__file__).parent / "data" / "packs"
    out = []
    for p in sorted(root.glob("*/*")):
        if p.suffix in {".txt", ".yaml"} and p.name != "source.txt":
            out.append(p.read_text(encoding="utf-8"))
    return out


def build_dict() -> set[str]:
    import jieba

    full = Path(jieba.__file__).parent / "dict.txt"
    rows = [ln.split() for ln in full.read_text(encoding="utf-8").splitlines() if ln.strip()]
    rows = [r for r in rows if len(r) >= 2]
    rows.sort(key=lambda r: -int(r[1]))
    keep = {r[0]: r for r in rows[:TOP_WORDS]}
    by_word = {r[0]: r for r in rows}
    for text in _pack_texts():
        for w in jieba.cut(text, HMM=False):
            if _CJK.search(w) and w in by_word:
                keep.setdefault(w, by_word[w])
    lines = [" ".join(r[:3]) for r in sorted(keep.values(), key=lambda r: r[0])]
    (HERE / "dict.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    chars = {c for w in keep for c in w if _CJK.match(c)}
    for text in _pack_texts():
        chars |= set(_CJK.findall(text))
    return chars


def build_pinyin(chars: set[str]) -> None:
    from pypinyin import Style, pinyin

    lines = []
    for c in sorted(chars):
        readings = pinyin(c, style=Style.NORMAL, heteronym=True, errors="ignore")
        if readings and readings[0]:
            lines.append(c + "\t" + " ".join(dict.fromkeys(readings[0])))
    (HERE / "pinyin.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_t2s() -> None:
    import opencc

    src = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    lines = []
    for ln in src.read_text(encoding="utf-8").splitlines():
        parts = ln.split()
        if len(parts) >= 2 and len(parts[0]) == 1 and parts[0] != parts[1][0]:
            lines.append(f"{parts[0]}\t{parts[1][0]}")
    (HERE / "t2s.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    HERE.mkdir(parents=True, exist_ok=True)
    chars = build_dict()
    build_pinyin(chars)
    build_t2s()
    for name in ("dict.txt", "pinyin.tsv", "t2s.tsv"):
        p = HERE / name
        print(f"{name}: {sum(1 for _ in p.open(encoding='utf-8'))} lines, {p.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
