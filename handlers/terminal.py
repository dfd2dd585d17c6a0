"""The terminal face of the dialogue: ``qabot chat``. Buttons become numbered choices."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bot.dialogue import Dialogue
from bot.render import html_to_text
from bot.turn import Button, Reply
from knowledge.numerals import parse_int

BANNER = ("质量奖助手（终端版）。直接输入问题；/help 查看功能；输入 /quit 或按 Ctrl-D 退出。\n"
          "选项输入编号（如 1）或选项文字；需要输入数字或日期时，选项写作 #1。")
QUIT = {"/quit", "/exit", "退出", "exit", "quit"}


class TerminalChat:
    """Read lines, hand them to the dialogue, print the replies with numbered buttons."""

    def __init__(self, dialogue: Dialogue, out: TextIO = sys.stdout, *,
                 chat_id: str = "terminal", is_staff: bool = True) -> None:
        self.d = dialogue
        self.out = out
        self.state: dict[str, object] = {}
        self.choices: list[Button] = []
        self.expects_text = False
        self.chat_id = chat_id
        self.is_staff = is_staff

    def render(self, replies: list[Reply]) -> None:
        self.choices = []
        self.expects_text = False
        for reply in replies:
            print(html_to_text(reply.html), file=self.out)
            # While the dialogue waits for typed input (years, a date), a bare number is that
            # input, so choices are picked as #1, #2 and shown that way.
            mark = "#" if reply.expects_text else ""
            for row in reply.buttons:
                cells = []
                for b in row:
                    if b.url:  # a link, not a choice
                        cells.append(f"{b.label}：{b.url}")
                        continue
                    self.choices.append(b)
                    cells.append(f"[{mark}{len(self.choices)}] {b.label}")
                print("   ".join(cells), file=self.out)
            self.expects_text = self.expects_text or reply.expects_text
            print(file=self.out)

    def handle(self, line: str) -> list[Reply]:
        text = line.strip()
        turn = self.d.turn(self.state, chat_id=self.chat_id, user_id=self.chat_id,
                           is_staff=self.is_staff, channel="terminal")
        button = self._choice(text)
        if button is not None:
            return self.d.on_button(turn, button.data)
        return self.d.on_text(turn, text)

    def _choice(self, text: str) -> Button | None:
        if not self.choices:
            return None
        # one parser for typed numbers: "#²" or "²" is no choice (isdigit() says digit,
        # int() refuses it)
        if text.startswith("#") and parse_int(text[1:]) is not None:
            text = text[1:]
        elif self.expects_text and parse_int(text) is not None:
            return None  # a number typed as the answer (years), not a choice
        i = parse_int(text, max_digits=4)
        if i is not None:
            return self.choices[i - 1] if 1 <= i <= len(self.choices) else None
        for b in self.choices:
            if text and text == b.label.strip():
                return b
        return None

    def loop(self, read: Callable[[str], str] = input) -> int:
        print(BANNER, file=self.out)
        while True:
            try:
                line = read("你：")
            except EOFError:
                print(file=self.out)
                return 0
            except KeyboardInterrupt:
                print("\n再见。", file=self.out)
                return 0
            if line.strip() in QUIT:
                print("再见。", file=self.out)
                return 0
            if not line.strip():
                continue
            self.render(self.handle(line))
