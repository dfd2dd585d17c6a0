"""Drop the PDF extraction's spaces from the must/must_not phrases of blind splits.

The extracted text spaces out numbers (``公示期为 7 天``); replies quote the sentence without
those spaces (``公示期为7天``), as the official dev sets write their phrases. A writer who copied
a phrase with the spaces asked for something no reply can say, so the phrases are normalised
the same way the pack normalises the text: ``python benchmarks/blind/unspace.py FILE...``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FIELD = re.compile(r"(must(?:_not)?: \[)([^\]]*)(\])")


def unspace(text: str) -> str:
    return FIELD.sub(lambda m: m[1] + ", ".join(p.strip().replace(" ", "")
                                               for p in m[2].split(",")) + m[3], text)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = Path(name)
        old = path.read_text(encoding="utf-8")
        new = unspace(old)
        if new != old:
            path.write_text(new, encoding="utf-8")
            pairs = zip(old.splitlines(), new.splitlines(), strict=True)
            print(f"{name}: {sum(a != b for a, b in pairs)} lines")
