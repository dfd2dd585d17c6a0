"""Settings, read once: environment over ``.env`` over defaults. A bad value names itself.

pydantic-settings does the reading and type checks (why hand-write what it does well); the
messages the user sees are in Chinese and never echo the bot token.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from knowledge.errors import QabotError

_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
# A site that may frame the web chat: scheme, host and optional port, nothing else.
_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")


class SettingsError(QabotError):
    """A setting is missing or malformed."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # storage
    data_dir: Path = Field(default=Path("data"), validation_alias="QABOT_DATA_DIR")
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    knowledge_pack: str = Field(default="cangzhou-2020", validation_alias="QABOT_KNOWLEDGE_PACK")

    # Telegram
    telegram_bot_token: SecretStr | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_base_url: str = Field(default="https://api.telegram.org/bot",
                                   validation_alias="TELEGRAM_BASE_URL")
    telegram_proxy: str | None = Field(default=None, validation_alias="TELEGRAM_PROXY")
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list,
                                                      validation_alias="ADMIN_IDS")
    webhook_url: str | None = Field(default=None, validation_alias="WEBHOOK_URL")
    webhook_listen: str = Field(default="127.0.0.1", validation_alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, ge=1, le=65535, validation_alias="WEBHOOK_PORT")
    webhook_secret_token: SecretStr | None = Field(default=None,
                                                   validation_alias="WEBHOOK_SECRET_TOKEN")

    # web chat (qabot serve)
    web_host: str = Field(default="127.0.0.1", validation_alias="WEB_HOST")
    web_port: int = Field(default=8080, ge=0, le=65535, validation_alias="WEB_PORT")
    web_workers: int = Field(default=1, ge=1, le=64, validation_alias="WEB_WORKERS")
    web_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="WEB_ALLOWED_ORIGINS")
    web_session_secret: SecretStr | None = Field(default=None,
                                                 validation_alias="WEB_SESSION_SECRET")
    web_session_hours: int = Field(default=24, ge=1, le=24 * 90,
                                   validation_alias="WEB_SESSION_HOURS")
    web_max_body_bytes: int = Field(default=16_384, ge=1024, le=1 << 20,
                                    validation_alias="WEB_MAX_BODY_BYTES")
    web_rate_per_ip: int = Field(default=300, ge=1, validation_alias="WEB_RATE_PER_IP")
    web_rate_per_session: int = Field(default=60, ge=1, validation_alias="WEB_RATE_PER_SESSION")
    web_forwarded_allow_ips: str = Field(default="127.0.0.1",
                                         validation_alias="WEB_FORWARDED_ALLOW_IPS")

    # reminders and codes
    reminder_time: dt.time = Field(default=dt.time(9, 0), validation_alias="REMINDER_TIME")
    timezone: str = Field(default="Asia/Shanghai", validation_alias="QABOT_TIMEZONE")
    bind_code_ttl_days: int = Field(default=30, ge=1, le=365, validation_alias="BIND_CODE_TTL_DAYS")
    # a reminder or notice claimed by a process that died is sent by another after this time
    delivery_claim_seconds: float = Field(default=300.0, ge=0.5, le=86_400,
                                          validation_alias="DELIVERY_CLAIM_SECONDS")

    # the teaching loop (issue 13): logged questions are deleted after this many days
    question_retention_days: int = Field(default=90, ge=1, le=3650,
                                         validation_alias="QUESTION_RETENTION_DAYS")
    hot_days: int = Field(default=30, ge=1, le=365, validation_alias="HOT_DAYS")
    hot_min_count: int = Field(default=5, ge=3, le=10_000, validation_alias="HOT_MIN_COUNT")

    @field_validator("knowledge_pack", mode="before")
    @classmethod
    def _pack(cls, v: object) -> object:
        # as bot.configured.pack_id reads it, so the registry and the dialogue use one pack
        return (v.strip() or "cangzhou-2020") if isinstance(v, str) else v

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, v: object) -> object:
        if isinstance(v, str):
            return [p.strip() for p in v.replace("，", ",").split(",") if p.strip()]
        return v

    @field_validator("web_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, v: object) -> object:
        if isinstance(v, str):
            v = [p.strip().rstrip("/") for p in v.replace("，", ",").replace(" ", ",").split(",")
                 if p.strip()]
        return v

    @field_validator("web_allowed_origins")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        for origin in v:
            if not _ORIGIN.match(origin):
                raise ValueError(f"“{origin[:60]}”不是网站来源，应形如 https://www.example.gov.cn")
        return v

    @field_validator("telegram_proxy", "webhook_url", "telegram_bot_token",
                     "webhook_secret_token", "web_session_secret", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("telegram_proxy")
    @classmethod
    def _proxy_scheme(cls, v: str | None) -> str | None:
        if v and not v.startswith(("http://", "https://", "socks5://", "socks5h://")):
            raise ValueError("代理地址须以 http://、https:// 或 socks5:// 开头")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知时区 {v}") from None
        return v

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_url(self) -> str:
        """DATABASE_URL, or a SQLite file in the data folder (created on first use)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'qabot.sqlite3').as_posix()}"

    def require_token(self) -> str:
        """The bot token, or a one-line error naming the setting (never the value)."""
        if self.telegram_bot_token is None:
            raise SettingsError("未设置 TELEGRAM_BOT_TOKEN（从 @BotFather 获取，写入 .env）")
        token = self.telegram_bot_token.get_secret_value().strip()
        if not _TOKEN.match(token):
            raise SettingsError("TELEGRAM_BOT_TOKEN 格式不对（应形如 123456:ABC-DEF…）")
        return token


_NAMES = {name: (f.validation_alias or name.upper()) for name, f in Settings.model_fields.items()}


def load_settings(**overrides: object) -> Settings:
    """Read settings; a malformed value raises SettingsError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        err = e.errors()[0]
        loc = str(err["loc"][0]) if err["loc"] else ""
        name = _NAMES.get(loc, loc)
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        raise SettingsError(f"设置 {name} 无效：{msg}") from None
