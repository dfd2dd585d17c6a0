"""The channels: each turns its own events into dialogue turns and renders the replies.

``telegram/`` is python-telegram-bot (callbacks, the Application, rendering, update de-duplication),
``terminal`` is ``qabot chat``. They import ``bot`` (the channel-free core), never each other.
"""
