"""Replies become valid Telegram messages: keyboards, HTML, and splits at sentence ends."""

from __future__ import annotations

import re

from fakebotapi import _ApiError, _check_html

from bot.turn import Button, Reply
from handlers.telegram.render import render, split_html


def _visible(html: str) -> str:
    return re.sub(r"<[^>]*>", "", html)


def _valid(html: str) -> bool:
    try:
        _check_html(html)
    except _ApiError:
        return False
    return True


def test_a_short_reply_is_one_html_message_with_its_keyboard():
    [msg] = render(Reply("<b>第十五条</b> 公示期7天。", [[Button("👍", "fb:up")]]))
    assert msg["parse_mode"] == "HTML"
    assert msg["reply_markup"].inline_keyboard[0][0].callback_data == "fb:up"


def test_a_long_reply_splits_at_sentence_ends_and_keeps_every_character():
    text = "<b>第一章</b>\n" + "<blockquote>" + "申报单位应当如实填写材料。" * 600 + "</blockquote>完。"
    pieces = split_html(text)
    assert len(pieces) >= 2
    assert all(len(p) <= 4096 for p in pieces)
    assert all(_valid(p) for p in pieces)
    assert all(_visible(p).endswith("。") for p in pieces)
    assert "".join(_visible(p) for p in pieces).replace("\n", "") == \
        _visible(text).replace("\n", "")


def test_only_the_last_piece_carries_the_buttons():
    out = render(Reply("很长的一句话。" * 1000, [[Button("全文", "art:15")]]))
    assert len(out) > 1
    assert all("reply_markup" not in m for m in out[:-1])
    assert "reply_markup" in out[-1]


def test_a_sentence_longer_than_the_limit_is_cut_between_characters_not_inside_a_tag():
    text = "<i>" + "&amp;字" * 3000 + "</i>"
    pieces = split_html(text, limit=1000)
    assert all(len(p) <= 1000 and _valid(p) for p in pieces)
    assert "".join(_visible(p) for p in pieces) == _visible(text)


def test_a_question_awaiting_typed_input_asks_for_a_reply_in_groups_only():
    reply = Reply("请输入经营年限：", expects_text=True)
    assert "reply_markup" not in render(reply)[0]
    assert render(reply, group=True)[0]["reply_markup"].selective is True
