"""The service's settings: one `Settings` (environment variables `ZKCLEAR_*`, or arguments)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..oplog import DEFAULT_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZKCLEAR_", extra="forbid")

    environment: Literal["development", "production"] = "development"
    db_url: str = DEFAULT_URL
    preset: Literal["tiny", "demo", "mainnet"] = "tiny"
    max_pending: int = Field(10_000, ge=1, le=10_000_000)  # accepted, not yet batched; beyond: 429
    rate_per_s: float = Field(0.0, ge=0)  # per-account token bucket; 0: no per-account limit
    rate_burst: float = Field(0.0, ge=0)  # bucket size (0: max(1, rate_per_s))
    token_ttl_s: int = Field(300, ge=10, le=86_400)  # owner read tokens
    challenge_ttl_s: int = Field(60, ge=5, le=3_600)
    max_body_bytes: int = Field(16_384, ge=1_024, le=1 << 20)
    queue_retry_after_s: int = Field(2, ge=1, le=3_600)  # Retry-After when the queue is full
