"""The assessment scheme (考核方案) as data: indicators, weights, levels and cards.

Loaded from data/assessment/scheme.toml (or ``GRIDWATCH_ASSESSMENT_SCHEME``) and
validated as a whole when the app is built: every problem names its entry
(``scheme.toml: indicators.closure_rate.weight: must be > 0``), so a bad edit stops
the start-up with a message one can act on instead of a wrong ranking later.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_PATH = Path(__file__).resolve().parent / "scheme.toml"

#: the raw daily counts of the facts table (the contract; docs/assessment.md)
MEASURES: tuple[str, ...] = (
    "reported",
    "reported_own",
    "accepted",
    "dispatched",
    "handled",
    "handled_on_time",
    "closed",
    "verified",
    "returned",
    "yellow",
    "red",
    "escalated",
    "alert_deliveries",
    "alert_acks",
    "ack_seconds_sum",
    "ack_seconds_p50",
    "duty_seconds",
    "online_seconds",
)

Level = Literal["district", "street", "community", "grid", "staff"]
LEVELS: tuple[Level, ...] = ("district", "street", "community", "grid", "staff")

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
M = TypeVar("M", bound=BaseModel)


class SchemeError(ValueError):
    """The scheme file is missing, not TOML, or has a bad entry (named in the message)."""


class _Common(BaseModel):
    model_config = _STRICT

    label: str = Field(min_length=1, max_length=32)
    weight: float = Field(gt=0, le=1000)
    levels: list[Level] = Field(min_length=1)

    def measures(self) -> tuple[str, ...]:
        """Every measure the formula reads (checked against ``MEASURES``)."""
        return ()


class RatioIndicator(_Common):
    """numerator / denominator, each a sum of measures; points = weight × value."""

    kind: Literal["ratio"]
    numerator: list[str] = Field(min_length=1)
    denominator: list[str] = Field(min_length=1)
    higher_is_better: bool = True

    def measures(self) -> tuple[str, ...]:
        return (*self.numerator, *self.denominator)


class DeductionIndicator(_Common):
    """points = max(0, weight − Σ count × per[measure]): lapses cost points."""

    kind: Literal["deduction"]
    per: dict[str, float] = Field(min_length=1)

    def measures(self) -> tuple[str, ...]:
        return tuple(self.per)


class MedianIndicator(_Common):
    """A count-weighted median of daily medians, judged between two limits (seconds)."""

    kind: Literal["median"]
    measure: str
    count: str
    good_seconds: float = Field(ge=0)
    bad_seconds: float = Field(gt=0)

    def measures(self) -> tuple[str, ...]:
        return (self.measure, self.count)


Indicator = RatioIndicator | DeductionIndicator | MedianIndicator
_KINDS: dict[str, type[Indicator]] = {
    "ratio": RatioIndicator,
    "deduction": DeductionIndicator,
    "median": MedianIndicator,
}


class Card(BaseModel):
    """A red or yellow card for a period: a measure reaching a count, or a ratio below a floor."""

    model_config = _STRICT

    color: Literal["red", "yellow"]
    reason: str = Field(min_length=1, max_length=64)
    levels: list[Level] = Field(min_length=1)
    measure: str | None = None
    at_least: float | None = Field(default=None, gt=0)
    indicator: str | None = None
    below: float | None = Field(default=None, gt=0, le=1)


@dataclass(frozen=True)
class Scheme:
    """The validated file: indicators in file order, then the cards."""

    source: str
    indicators: dict[str, Indicator]
    cards: tuple[Card, ...]

    def for_level(self, level: Level) -> dict[str, Indicator]:
        """The indicators that apply at ``level``, in file order."""
        return {code: ind for code, ind in self.indicators.items() if level in ind.levels}

    def cards_for(self, level: Level) -> tuple[Card, ...]:
        return tuple(card for card in self.cards if level in card.levels)


def load_scheme(path: Path | str | None = None) -> Scheme:
    """Read and validate a scheme file (``path`` overrides the shipped one)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemeError(f"{path.name}: file not found ({path})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SchemeError(f"{path.name}: not valid TOML: {exc}") from None
    return parse_scheme(raw, path.name)


@functools.cache
def default_scheme() -> Scheme:
    """The shipped file, loaded once per process."""
    return load_scheme()


def parse_scheme(raw: dict[str, Any], name: str = DEFAULT_PATH.name) -> Scheme:
    """Validate a parsed document; all problems are reported together, each with its entry."""
    problems: list[str] = []
    extra = sorted(set(raw) - {"indicators", "cards"})
    problems.extend(f"{key}: is not a known key" for key in extra)
    indicators = _indicators(raw.get("indicators"), problems)
    entries = raw.get("indicators")
    kinds = {
        code: entry.get("kind")
        for code, entry in (entries.items() if isinstance(entries, dict) else ())
        if isinstance(entry, dict)
    }
    cards = _cards(raw.get("cards", []), kinds, problems)
    if problems:
        raise SchemeError("\n".join(f"{name}: {problem}" for problem in problems))
    return Scheme(source=name, indicators=indicators, cards=cards)


def _indicators(entries: object, problems: list[str]) -> dict[str, Indicator]:
    if not isinstance(entries, dict) or not entries:
        problems.append("indicators: needs at least one [indicators.<code>] table")
        return {}
    found: dict[str, Indicator] = {}
    for code, entry in entries.items():
        label = f"indicators.{code}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: must be a table")
            continue
        kind = entry.get("kind")
        model = _KINDS.get(kind) if isinstance(kind, str) else None
        if model is None:
            problems.append(f"{label}.kind: must be one of {', '.join(_KINDS)}")
            continue
        indicator = _validate(model, entry, label, problems)
        if indicator is not None and _known_measures(indicator, label, problems):
            found[code] = indicator
    return found


def _known_measures(indicator: Indicator, label: str, problems: list[str]) -> bool:
    unknown = [m for m in indicator.measures() if m not in MEASURES]
    problems.extend(f"{label}: unknown measure '{m}'" for m in unknown)
    if isinstance(indicator, MedianIndicator) and indicator.bad_seconds <= indicator.good_seconds:
        problems.append(f"{label}.bad_seconds: must be > good_seconds")
        return False
    if isinstance(indicator, DeductionIndicator):
        bad = [m for m, points in indicator.per.items() if points <= 0]
        problems.extend(f"{label}.per.{m}: must be > 0" for m in bad)
        return not unknown and not bad
    return not unknown


def _cards(entries: object, kinds: dict[str, object], problems: list[str]) -> tuple[Card, ...]:
    """The cards; ``kinds`` is each indicator's kind as written (a broken indicator is
    reported once, under its own name, not again under every card that uses it)."""
    if not isinstance(entries, list):
        problems.append("cards: must be a list of [[cards]] tables")
        return ()
    found: list[Card] = []
    for number, entry in enumerate(entries, start=1):
        label = f"cards[{number}]"
        card = _validate(Card, entry, label, problems)
        if card is not None and _card_condition(card, kinds, label, problems):
            found.append(card)
    return tuple(found)


def _card_condition(card: Card, kinds: dict[str, object], label: str, problems: list[str]) -> bool:
    pairs = ((card.measure, card.at_least), (card.indicator, card.below))
    partial = any((name is None) != (limit is None) for name, limit in pairs)
    if partial or sum(name is not None for name, _ in pairs) != 1:
        problems.append(f"{label}: needs exactly one of measure + at_least or indicator + below")
        return False
    if card.measure is not None and card.measure not in MEASURES:
        problems.append(f"{label}.measure: unknown measure '{card.measure}'")
        return False
    if card.indicator is not None and kinds.get(card.indicator) != "ratio":
        problems.append(f"{label}.indicator: '{card.indicator}' is not a ratio indicator")
        return False
    return True


def _validate(model: type[M], data: object, label: str, problems: list[str]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_describe(label, err) for err in exc.errors())
        return None


def _describe(label: str, err: Any) -> str:
    """One pydantic error as ``indicators.x.weight: must be > 0``."""
    where = ".".join([label, *(str(part) for part in err["loc"])])
    ctx = err.get("ctx") or {}
    if err["type"] == "missing":
        return f"{where}: is required"
    if err["type"] == "extra_forbidden":
        return f"{where}: is not a known key"
    for key, op in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        if key in ctx:
            return f"{where}: must be {op} {ctx[key]:g}"
    message = str(err["msg"])
    return f"{where}: {message[0].lower()}{message[1:]}"
