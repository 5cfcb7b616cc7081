"""The long-lived objects one app instance shares between requests."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard.settings import Settings
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


def make_redis(url: str) -> redis.Redis:
    """A client that fails fast, so a dead Redis becomes a 503, not a hung request."""
    return redis.Redis.from_url(
        url,
        socket_timeout=5.0,
        socket_connect_timeout=2.0,
        health_check_interval=30,
        retry_on_timeout=False,
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
        redis=make_redis(redis_url),
        categories=load_categories(settings.incident_categories),  # a bad file stops here
    )
