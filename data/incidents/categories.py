"""Incident categories and their time limits, loaded from data/incident_categories.toml.

The file is validated as a whole when loaded: every problem is reported with the
entry it belongs to (``[[category]] #4 'fire_safety': time_limit_hours.street must be
> 0``), so a bad edit stops the start-up with a message a duty engineer can act on
instead of failing later on one incident.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from data.models import HandlingLevel

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "incident_categories.toml"

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """The category file is missing, not TOML, or has a bad entry (named in the message)."""


class TimeLimits(BaseModel):
    """Hours allowed at each handling level (calendar time, not working hours)."""

    model_config = _STRICT

    grid: float = Field(gt=0, le=8760)
    community: float = Field(gt=0, le=8760)
    street: float = Field(gt=0, le=8760)
    district: float = Field(gt=0, le=8760)

    def hours(self, level: HandlingLevel) -> float:
        return float(getattr(self, HandlingLevel(level).value))


class Category(BaseModel):
    model_config = _STRICT

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str = Field(min_length=1, max_length=32)
    group: str = Field(default="其他", min_length=1, max_length=32)
    description: str = Field(default="", max_length=500)
    keywords: list[str] = Field(default_factory=list)
    yellow_share: float | None = Field(default=None, gt=0, lt=1)
    auto_escalate: bool
    time_limit_hours: TimeLimits


class DuplicateRules(BaseModel):
    """What counts as a likely duplicate: same category, this close, this recent."""

    model_config = _STRICT

    radius_m: float = Field(default=150, gt=0, le=10_000)
    window_hours: float = Field(default=72, gt=0, le=24 * 90)


class _FileHead(BaseModel):
    model_config = _STRICT

    default_yellow_share: float = Field(default=0.8, gt=0, lt=1)
    duplicates: DuplicateRules = Field(default_factory=DuplicateRules)


@dataclass(frozen=True)
class CategoryConfig:
    """The validated file: categories in file order, plus the shared settings."""

    source: str
    default_yellow_share: float
    duplicates: DuplicateRules
    categories: dict[str, Category]

    def __contains__(self, code: object) -> bool:
        return code in self.categories

    def __getitem__(self, code: str) -> Category:
        return self.categories[code]

    def get(self, code: str) -> Category | None:
        return self.categories.get(code)

    def yellow_share(self, code: str) -> float:
        share = self.categories[code].yellow_share
        return self.default_yellow_share if share is None else share

    def limit_hours(self, code: str, level: HandlingLevel) -> float:
        return self.categories[code].time_limit_hours.hours(level)


def load_categories(path: Path | str | None = None) -> CategoryConfig:
    """Read and validate the category file (``path`` overrides the packaged one)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    name = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found ({path})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    return parse_categories(raw, name)


def parse_categories(raw: dict[str, Any], name: str = DEFAULT_PATH.name) -> CategoryConfig:
    """Validate an already parsed document; all problems are reported together."""
    problems: list[str] = []
    raw = dict(raw) if isinstance(raw, dict) else {}
    entries = raw.pop("category", None)
    head = _validate(_FileHead, raw, "", problems)
    if not isinstance(entries, list) or not entries:
        problems.append("needs at least one [[category]] table")
        entries = []
    categories: dict[str, Category] = {}
    first_seen: dict[str, int] = {}
    names: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        label = _entry_label(number, entry)
        if not isinstance(entry, dict):
            problems.append(f"{label}: must be a table")
            continue
        category = _validate(Category, entry, f"{label}: ", problems)
        if category is None:
            continue
        if category.code in first_seen:
            problems.append(f"{label}: code duplicates #{first_seen[category.code]}")
            continue
        if category.name in names:
            problems.append(f"{label}: name '{category.name}' duplicates #{names[category.name]}")
            continue
        first_seen[category.code] = names[category.name] = number
        categories[category.code] = category
    if problems or head is None:
        raise ConfigError("\n".join(f"{name}: {p}" for p in problems))
    return CategoryConfig(
        source=name,
        default_yellow_share=head.default_yellow_share,
        duplicates=head.duplicates,
        categories=categories,
    )


@functools.cache
def default_categories() -> CategoryConfig:
    """The packaged file, loaded once per process."""
    return load_categories()


def _entry_label(number: int, entry: object) -> str:
    code = entry.get("code") if isinstance(entry, dict) else None
    return f"[[category]] #{number}" + (f" '{code}'" if isinstance(code, str) else "")


def _validate(model: type[M], data: object, prefix: str, problems: list[str]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(prefix + _describe(err) for err in exc.errors())
        return None


def _describe(err: Any) -> str:
    where = _loc(err["loc"])
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "missing":
        return f"{where} is required"
    if kind == "extra_forbidden":
        return f"{where} is not a known key"
    for key, op in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        if key in ctx:
            return f"{where} must be {op} {ctx[key]:g}"
    if kind == "string_pattern_mismatch":
        return f"{where} must match {ctx['pattern']}"
    message = str(err["msg"])
    return f"{where}: {message[0].lower()}{message[1:]}" if where else message


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
