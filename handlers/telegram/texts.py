"""What the Telegram side says on its own (the dialogue says the rest), kept together."""

from __future__ import annotations

FLOOD = "您发送得太快了，请稍等几秒再发。其他用户不受影响，您的问题稍后仍可发送。"
ERROR = "抱歉，处理您的消息时出了点问题，已记录下来。请稍后重试，或发送 /help 查看用法。"
STAFF_ONLY = "抱歉，这个功能仅限质量奖办公室工作人员使用。"
STAFF_IN_GROUP = "工作人员命令请在与机器人的私聊中使用。"
DOCUMENT_NOT_STAFF = "抱歉，只有质量奖办公室工作人员可以上传获奖名单。如有问题，请直接发送文字。"
DOCUMENT_TOO_BIG = "文件太大（超过 5 MB），请检查后重新上传获奖名单。"
DOCUMENT_NO_IMPORT = "名单导入功能暂不可用（未连接数据库）。"
DOCUMENT_BAD_TYPE = "请上传 CSV（UTF-8 或 GBK）或 .xlsx 格式的获奖名单。"
IMPORT_FAILED = "名单未导入，文件中的任何一行都没有写入：\n{error}"
INLINE_NONE = "没有找到相关条款"
INLINE_HINT = "输入关键词或条号，如「公示」「24」"
# A sticker, photo, voice message, location, contact or a file that is no roster: one hint.
MEDIA_HINT = ("我只读文字消息。请直接输入您的问题，例如 <i>公示期几天</i>；"
              "发送 /selfcheck 自查申报条件，/help 查看全部功能。")
MEDIA_HINT_STAFF = MEDIA_HINT + "\n获奖名单请以文件形式（CSV 或 .xlsx）在私聊中发送。"
# The bot's profile, set at start-up (Telegram shows the description in an empty chat and the
# short one on the bot's profile and in shared links).
DESCRIPTION = ("我是质量奖助手，解答《{title}》（{doc}）的问题：每个回答都引用办法原文，"
               "注明第几条。可以自查申报条件、查询获奖单位是否在有效期内、订阅年度申报通知。"
               "本助手不是官方评审，结论以质量奖办公室的正式答复为准。")
SHORT_DESCRIPTION = "解答《{title}》的问题，引用原文并注明条款；不是官方评审。"
# Added to a group: what it does there, and what happens in a private chat instead.
ADDED_TO_GROUP = ("大家好，我是质量奖助手，解答《{title}》的问题，回答都注明条款。\n"
                  "在本群：@我 或回复我的消息提问，或使用命令 {commands}。\n"
                  "申报条件自查和获奖单位服务（绑定、到期提醒）请在与我的私聊中进行。")
PRIVATE_CHAT = "💬 私聊助手"
