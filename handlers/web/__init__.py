"""The web channel: the chat page, its JSON API, /healthz and /metrics (``qabot serve``)."""
