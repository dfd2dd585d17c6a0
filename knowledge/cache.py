"""A pack's built retriever kept on disk between processes, so that ``qabot ask`` starts fast.

Building a pack's indexes (segmenting every article, weighing every sample question, compiling
the scope's patterns, loading the segmenter's dictionary) is most of a cold start, and the
result depends only on the pack's files, the lexicon and this package's code. So the built
retriever is pickled under a key made of their contents and every later process loads it.

The pack itself is not in the file: every reference to the pack, its regulation, chapters,
articles and sentences is written as a name and resolved against the live pack on loading, so
the loaded retriever shares them with the rest of the process like a freshly built one.

A missing, stale, corrupt or unreadable file is rebuilt; a folder that cannot be written costs
only the speed. ``QABOT_CACHE_DIR`` chooses the folder (default ``$XDG_CACHE_HOME/qabot`` or
``~/.cache/qabot``); ``QABOT_CACHE_DIR=off`` turns the cache off. The folder is created for the
user alone (0700), since a pickle is only loaded from a place nobody else can write.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import logging
import os
import pickle
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.pack import Pack
    from knowledge.retrieval import Retriever

logger = logging.getLogger(__name__)

FORMAT = 2  # bump when the file's layout changes in a way the code hash would not show
_PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """The folder for cached retrievers, or None when the cache is off."""
    configured = os.environ.get("QABOT_CACHE_DIR", "").strip()
    if configured.lower() in {"off", "0", "none", "false"}:
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "qabot"


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def key_for(pack: Pack) -> str:
    """A digest of everything a built retriever depends on: the pack's files, this package's
    code and data (lexicon, intents) and the Python version."""
    h = hashlib.sha256(f"{FORMAT}|{sys.version}|{pack.id}".encode())
    pack_root = Path(pack.path).resolve()
    packs = _PACKAGE / "data" / "packs"
    for root in (pack_root, _PACKAGE):
        for p in _files(root):
            if root == _PACKAGE and packs in p.parents:
                continue  # other packs do not matter; this one is hashed on its own
            h.update(str(p.relative_to(root)).encode() + b"\0")
            h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def _live_objects(pack: Pack) -> dict[int, str]:
    """The pack's objects a retriever refers to, by id, with the name each is written as."""
    reg = pack.regulation
    named: dict[int, str] = {id(pack): "pack", id(reg): "reg"}
    for c in reg.chapters:
        named[id(c)] = f"chapter:{c.number}"
    for a in reg.articles:
        named[id(a)] = f"article:{a.number}"
        for s in a.sentences:
            named[id(s)] = f"sentence:{a.number}:{s.index}"
    return named


def _resolve(pack: Pack, name: str) -> Any:
    reg = pack.regulation
    kind, _, rest = name.partition(":")
    if kind == "pack":
        return pack
    if kind == "reg":
        return reg
    if kind == "chapter":
        return next(c for c in reg.chapters if c.number == int(rest))
    if kind == "article":
        return reg.article(int(rest))
    if kind == "sentence":
        number, _, index = rest.partition(":")
        return next(s for s in reg.article(int(number)).sentences if s.index == int(index))
    raise pickle.UnpicklingError(f"unknown reference {name!r}")


def _compiled_form(p: re.Pattern[str]) -> tuple[Any, ...] | None:
    """What CPython's ``re`` hands to ``_sre.compile`` for this pattern (its parsed and
    optimised code), checked to rebuild the same pattern; None where that is not possible.

    A pickled pattern is its source, compiled again on loading, and parsing and optimising
    the pack's few hundred patterns was a third of a cold start. The compiled form skips
    that; it is tied to this interpreter's regex engine (``_sre.MAGIC``, and the cache key
    holds the Python version), and anything unexpected falls back to the source."""
    try:
        import _sre
        from re import _compiler, _parser

        parsed = _parser.parse(p.pattern, p.flags)
        code = [int(op) for op in _compiler._code(parsed, p.flags)]  # named opcodes as ints
        groupindex = dict(parsed.state.groupdict)
        indexgroup = [None] * parsed.state.groups
        for k, i in groupindex.items():
            indexgroup[i] = k
        args = (p.pattern, p.flags | parsed.state.flags, code, parsed.state.groups - 1,
                groupindex, tuple(indexgroup))
        again = _sre.compile(*args)
        if (again.pattern, again.flags, again.groups, dict(again.groupindex)) != (
                p.pattern, p.flags, p.groups, dict(p.groupindex)):
            return None
        return (_sre.MAGIC, *args)
    except Exception:  # noqa: BLE001 - another interpreter or a change inside re: the source
        return None


def _pattern(magic: int, pattern: str, flags: int, *args: Any) -> re.Pattern[str]:
    """A pattern rebuilt from its compiled form, or compiled from its source."""
    try:
        import _sre

        if magic == _sre.MAGIC:
            return _sre.compile(pattern, flags, *args)
    except Exception:  # noqa: BLE001 - compile from the source instead
        pass
    return re.compile(pattern, flags)


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, named: dict[int, str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._named = named

    def persistent_id(self, obj: Any) -> str | None:  # noqa: D102
        return self._named.get(id(obj))

    def reducer_override(self, obj: Any) -> Any:  # noqa: D102
        if type(obj) is re.Pattern and isinstance(obj.pattern, str):
            form = _compiled_form(obj)
            if form is not None:
                return _pattern, form
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, pack: Pack) -> None:
        super().__init__(file)
        self._pack = pack

    def persistent_load(self, pid: Any) -> Any:  # noqa: D102
        return _resolve(self._pack, str(pid))


def dumps(retriever: Retriever) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, _live_objects(retriever.pack)).dump(retriever)
    return buf.getvalue()


def loads(data: bytes, pack: Pack) -> Retriever:
    return _Unpickler(io.BytesIO(data), pack).load()


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No garbage collection while a burst of long-lived objects is made (imports, a built or
    unpickled retriever): collections then find nothing to free and cost a start-up about a
    fifth of its time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def cached_retriever(pack: Pack) -> Retriever:
    """The pack's retriever, loaded from the cache when it holds this exact build."""
    with paused_gc():
        return _cached_retriever(pack)


def _cached_retriever(pack: Pack) -> Retriever:
    from knowledge.retrieval import Retriever

    folder = cache_dir()
    if folder is None:
        return Retriever(pack)
    try:
        path = folder / f"retriever-{pack.id}-{key_for(pack)[:32]}.pickle"
    except OSError:
        return Retriever(pack)
    try:
        if not _private(folder):
            logger.info("retriever cache %s is writable by others; not used", folder)
            return Retriever(pack)
        retriever = loads(path.read_bytes(), pack)
        if isinstance(retriever, Retriever):
            return retriever
    except FileNotFoundError:
        pass
    except Exception as e:  # noqa: BLE001 - a bad cache file is rebuilt, never fatal
        logger.info("retriever cache %s unreadable (%s); rebuilding", path, type(e).__name__)
    retriever = Retriever(pack)
    retriever.prebuild()
    _store(folder, path, retriever)
    return retriever


def _private(folder: Path) -> bool:
    """Whether only this user can write the folder (FileNotFoundError when it is missing)."""
    st = folder.stat()
    if not hasattr(os, "getuid"):
        return True
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def _store(folder: Path, path: Path, retriever: Retriever) -> None:
    """Write atomically (another process may be reading or writing the same key); drop the
    pack's older builds."""
    import tempfile  # only when writing: not on every start

    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = dumps(retriever)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in folder.glob(f"retriever-{retriever.pack.id}-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except Exception as e:  # noqa: BLE001 - the cache only saves time
        logger.info("retriever cache not written to %s (%s)", folder, type(e).__name__)
