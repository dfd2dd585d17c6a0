"""The built retriever kept on disk (knowledge/cache.py): a loaded one answers exactly like a
freshly built one, shares the live pack's objects, and a stale, corrupt, foreign or missing
file never changes an answer."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge import cache
from knowledge.pack import load_pack, load_pack_from
from knowledge.retrieval import Retriever

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["公示期几天", "个人奖奖金多少", "公司成立四年半能报吗", "2021年12月拿的奖现在还能用吗",
             "被撤销后还能再报吗", "河北省政府质量奖奖金多少", "第二十四条", "你好", "评审花的钱谁出",
             "获奖后能印在产品包装上吗", "干了六年质检能报个人奖吗", "今年几号截止"]


def _same(a: Retriever, b: Retriever) -> None:
    for q in QUESTIONS:
        x, y = a.ask(q), b.ask(q)
        assert (x.kind, x.candidates, [s.text for s in x.quotes], x.notes) == \
               (y.kind, y.candidates, [s.text for s in y.quotes], y.notes), q


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("QABOT_CACHE_DIR", str(folder))
    return folder


def test_a_loaded_retriever_answers_like_a_built_one(cache_dir: Path) -> None:
    pack = load_pack()
    first = cache.cached_retriever(pack)  # built, then written
    files = list(cache_dir.glob("retriever-*.pickle"))
    assert len(files) == 1
    loaded = cache.cached_retriever(pack)
    assert loaded is not first
    _same(loaded, Retriever(pack))
    # the live pack's objects, not copies of them
    assert loaded.pack is pack and loaded.reg is pack.regulation
    assert loaded.facts.pack is pack


def test_the_file_is_what_is_loaded(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_pack()
    cache.cached_retriever(pack)

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("built again though the cache holds this build")

    monkeypatch.setattr(Retriever, "__init__", no_build)
    assert cache.cached_retriever(pack).ask("奖金多少").kind == "answer"


def test_a_changed_pack_is_built_afresh(cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pack"
    shutil.copytree(load_pack().path, copy)
    before = cache.key_for(load_pack_from(copy))
    questions = copy / "questions.yaml"
    questions.write_text(questions.read_text(encoding="utf-8") + "\n# 改过\n", encoding="utf-8")
    changed = load_pack_from(copy)
    assert cache.key_for(changed) != before
    cache.cached_retriever(load_pack_from(copy))
    cache.cached_retriever(changed)
    # the older build of the same pack is dropped
    assert len(list(cache_dir.glob("retriever-*.pickle"))) == 1


def test_a_corrupt_file_is_rebuilt(cache_dir: Path) -> None:
    pack = load_pack()
    cache.cached_retriever(pack)
    (path,) = cache_dir.glob("retriever-*.pickle")
    path.write_bytes(b"not a pickle at all")
    _same(cache.cached_retriever(pack), Retriever(pack))
    assert path.read_bytes() != b"not a pickle at all"  # written again


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_can_write_is_not_trusted(cache_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_pack()
    cache.cached_retriever(pack)
    cache_dir.chmod(0o777)
    calls = []
    real = Retriever.__init__

    def counting(self: Retriever, *args: object, **kwargs: object) -> None:
        calls.append(1)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Retriever, "__init__", counting)
    cache.cached_retriever(pack)
    assert calls == [1]


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QABOT_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.cache_dir() is None
    assert cache.cached_retriever(load_pack()).ask("公示期几天").kind == "answer"
    assert not list(tmp_path.rglob("*.pickle"))


def test_an_unwritable_folder_costs_only_speed(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("QABOT_CACHE_DIR", str(blocker / "cache"))  # under a file: cannot exist
    assert cache.cached_retriever(load_pack()).ask("公示期几天").kind == "answer"


def test_processes_starting_together_agree(tmp_path: Path) -> None:
    """Several `qabot ask` processes on one empty cache: each writes atomically, every one
    answers the same, and what is left is one whole file that the next process loads."""
    env = {**os.environ, "QABOT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "bot.cli", "ask", "--json", "-"]
    stdin = "\n".join(QUESTIONS) + "\n"
    procs = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, cwd=tmp_path, text=True)
             for _ in range(4)]
    outs = [p.communicate(stdin, timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    assert len({o for o, _ in outs}) == 1
    files = list((tmp_path / "cache").iterdir())
    assert [f.suffix for f in files] == [".pickle"]
    again = subprocess.run(cmd, input=stdin, capture_output=True, env=env, cwd=tmp_path,
                           text=True, timeout=120)
    assert again.stdout == outs[0][0]


def test_a_pattern_is_written_compiled_and_rebuilt_the_same_or_from_its_source():
    import pickle
    import re

    from knowledge import cache

    pattern = re.compile(r"(?<![0-9])(?P<n>[0-9一二三]+)(?:个|家)(?![说讲])|[^，。？]{0,3}质量[奖将]")
    form = cache._compiled_form(pattern)
    assert form is not None
    again = cache._pattern(*form)
    for text in ("评三家企业", "省质量将", "第3个说", "无"):
        assert [m.span() for m in again.finditer(text)] == [m.span() for m in pattern.finditer(text)]
    assert again.groupindex == pattern.groupindex and again.flags == pattern.flags
    # another regex engine: the source is compiled instead
    fallback = cache._pattern(form[0] + 1, *form[1:])
    assert fallback.pattern == pattern.pattern and fallback.search("评三家").group("n") == "三"
    buf = io.BytesIO()
    cache._Pickler(buf, {}).dump(pattern)
    assert pickle.loads(buf.getvalue()).pattern == pattern.pattern
