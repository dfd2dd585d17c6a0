"""Telegram: python-telegram-bot callbacks, the Application that wires them, rendering."""
