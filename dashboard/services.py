"""The long-lived objects one app instance shares between requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard.settings import Settings
from data.assessment.scheme import Scheme, load_scheme
from data.db import make_engine, make_sessionmaker
from data.incidents.categories import CategoryConfig, load_categories


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis
    #: incident categories and time limits, validated when the app is built
    categories: CategoryConfig
    #: the assessment scheme (indicators and cards), validated when the app is built
    scheme: Scheme


def tls_options(settings: Settings | None) -> dict[str, Any]:
    """redis-py's TLS arguments from the settings (used with ``rediss://`` URLs only)."""
    if settings is None:
        return {}
    files = {
        "ssl_ca_certs": settings.redis_tls_ca_file,
        "ssl_certfile": settings.redis_tls_cert_file,
        "ssl_keyfile": settings.redis_tls_key_file,
    }
    return {name: str(path) for name, path in files.items() if path is not None}


def make_redis(url: str, settings: Settings | None = None) -> redis.Redis:
    """A client that fails fast, so a dead Redis becomes a 503, not a hung request.

    A password travels in the URL (``redis://:password@host:port/0``); a ``rediss://``
    URL speaks TLS, verified against ``GRIDWATCH_REDIS_TLS_CA_FILE`` when it is set.
    """
    options = tls_options(settings) if url.startswith("rediss://") else {}
    return redis.Redis.from_url(
        url,
        socket_timeout=5.0,
        socket_connect_timeout=2.0,
        health_check_interval=30,
        retry_on_timeout=False,
        # one quick retry reconnects a pooled connection that a Redis restart broke;
        # more would only delay the 503 while Redis is really down
        retry=Retry(ExponentialWithJitterBackoff(cap=0.25, base=0.05), 2),
        **options,
    )


def make_services(settings: Settings, redis_url: str) -> Services:
    engine = make_engine(
        settings.resolved_database_url(),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_overflow,
        pool_timeout=settings.database_pool_timeout_s,
    )
    return Services(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        redis=make_redis(redis_url, settings),
        categories=load_categories(settings.incident_categories),  # a bad file stops here
        scheme=load_scheme(settings.assessment_scheme),  # so does a bad scheme
    )
