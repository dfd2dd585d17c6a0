"""Button presses: the dialogue's turn first, then the pop-up, the keyboard and the replies.

A press is answered (``answerCallbackQuery``) once the turn has run, so a press by someone
else, or on a used or superseded prompt, gets its pop-up and changes nothing; a one-shot
keyboard is removed; the questionnaire's next step is edited into the pressed message.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from handlers.telegram.common import (
    answer_press,
    dialogue_of,
    in_group,
    is_group_admin,
    run_turn,
)

# Buttons whose press changes a group's records: the presser must administer the group.
GROUP_ADMIN_BUTTONS = ("wforget",)
# A press that queues a notice starts the broadcast job at once (bot.features.subscribe).
BROADCAST_BUTTONS = ("ntc",)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run the press through the dialogue, then show what it means."""
    query = update.callback_query
    if query is None:
        return
    data = query.data or ""
    prefix = data.split(":", 1)[0].split("~", 1)[0]
    group = in_group(update)
    admin = group and prefix in GROUP_ADMIN_BUTTONS and await is_group_admin(update, context)
    replies, turn = await run_turn(update, context,
                                   lambda t: dialogue_of(context).on_button(t, data),
                                   is_chat_admin=admin)
    await answer_press(context, query, replies, turn, group=group)
    if prefix in BROADCAST_BUTTONS and context.job_queue is not None:
        from handlers.telegram.broadcast import kick

        kick(context)
