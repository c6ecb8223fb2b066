"""The local Redis server (127.0.0.1:6379) for the throttling tests, or GATEWAY_RATE_LIMIT_URL."""

from __future__ import annotations

import os

import pytest
import redis

DEFAULT_URL = "redis://127.0.0.1:6379/15"  # a database of its own, away from anything else


def redis_url() -> str:
    """The Redis URL to test against; skipped when none answers, except under CI=true."""
    url = os.environ.get("GATEWAY_RATE_LIMIT_URL") or DEFAULT_URL
    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {url} does not answer (required under CI=true)")
        pytest.skip(f"Redis at {url} does not answer")
    return url
