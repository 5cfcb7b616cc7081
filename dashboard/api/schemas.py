"""Typed request and response models of the HTTP API; the OpenAPI document is made from them.

msgspec, not pydantic: a fix is already a msgspec Struct (``streams.codec.FixIn``),
decoded in C on the hot path, so one library describes every body, and
``msgspec.json.schema_components`` writes JSON Schema 2020-12, the dialect OpenAPI 3.1
uses as is. pydantic would be a second model system beside the codec's.

The request models are also what the endpoints read bodies with
(``request_input.read_model``): a field's declared type chooses its check, so the
document and the check cannot drift apart. Value rules (lengths, ranges, a grid at the
position) are judged where they always were (``data/incidents/intake.py``), with the
same constants the models show. Answers are built as these Structs too
(``msgspec.to_builtins``), so what a route sends is what the document says.

An optional field may be null, which means absent: the routes always took it so
(msgspec's ``X | None = None``), and the document now says it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from dashboard.api.attachments import MAX_PHOTOS
from data.incidents.intake import MAX_ADDRESS, MAX_DESCRIPTION, MAX_NAME, MAX_TITLE, PHONE_RE
from data.models import AlertLevel
from data.record_ids import MAX_RECORD_ID
from streams.codec import FixIn, Heading, Lat, Lon, NonNeg, Percent

#: what intake's phone check accepts
PHONE_PATTERN = PHONE_RE.pattern
#: at least one character Python's ``str.strip`` keeps: texts are stripped before they
#: are checked, and Python strips more than a regex's ``\s`` (\x1c-\x1f, \x85)
NOT_BLANK = (
    "[^\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]"
)
#: how long a client's idempotency key (``report_id``, ``transition_id``) may be
KEY_LENGTH = (8, 64)
TRACKING_PATTERN = r"^GW[0-9]{8}-[0-9]{6,}$"
#: GeoReport splits the reporter's name in two; intake keeps both in MAX_NAME
MAX_NAME_PART = MAX_NAME // 2 - 1

NotBlank = Annotated[str, Meta(pattern=NOT_BLANK)]
Phone = Annotated[str, Meta(pattern=PHONE_PATTERN)]
#: an answer's time: RFC 3339 with its zone, always (never SQLite's naive UTC)
Moment = Annotated[str, Meta(extra_json_schema={"format": "date-time"})]
#: a time a client sends with its zone
ZonedTime = Annotated[dt.datetime, Meta(tz=True)]
Count = Annotated[int, Meta(ge=0)]
Nullable = str | None


# -- types the document spells out itself (``schema_hook``) -------------------------------


class CategoryCode(str):
    """A configured incident category code; the document lists the configured codes."""


class ClientKey(str):
    """A key the client chooses (a UUID): a retried POST returns the first result."""

    #: ``request_input.ModelReader`` checks it with its endpoint's ``key`` rule
    reader_kind = "key"


class PhotoFile(str):
    """A file part of a multipart body."""


class QueryTime(str):
    """An RFC 3339 time in a query, or empty for no bound."""


def schema_hook(categories: Iterable[str] = ()) -> Callable[[type], dict[str, Any]]:
    """The JSON Schema of the types above; ``categories`` are the configured codes."""
    codes = sorted(categories)
    category: dict[str, Any] = {
        "type": "string",
        "description": "A configured incident category code",
    }
    if codes:
        category["enum"] = codes
    known: dict[type, dict[str, Any]] = {
        CategoryCode: category,
        ClientKey: {"type": "string", "minLength": KEY_LENGTH[0], "maxLength": KEY_LENGTH[1]},
        PhotoFile: {"type": "string", "format": "binary"},
        QueryTime: {"anyOf": [{"type": "string", "format": "date-time"}, {"const": ""}]},
    }

    def hook(kind: type) -> dict[str, Any]:
        if kind in known:
            return dict(known[kind])
        raise NotImplementedError(kind)

    return hook


# -- positions (the fix itself is streams.codec.FixIn) ------------------------------------


class Batch(msgspec.Struct):
    """A batch of fixes: each is judged on its own and the good ones are stored."""

    fixes: list[FixIn]


#: what the codec's FixIn cannot say about itself: its ``ts`` is a plain ``datetime`` so
#: that a naive one gets the codec's own message, which leaves msgspec's schema without
#: ``format: date-time``; and the rules judged after decoding (a fix's device and time)
FIX_NOTES: dict[str, dict[str, Any]] = {
    "device_id": {"description": "Optional; must be the token's device"},
    "ts": {
        "anyOf": [{"type": "number"}, {"type": "string", "format": "date-time"}],
        "description": "Unix seconds or RFC 3339 with zone; not more than 5 min ahead "
        "nor 7 days old",
    },
    "speed": {"description": "m/s"},
    "accuracy": {"description": "metres"},
    "battery": {"description": "%"},
}


class RejectedFix(msgspec.Struct):
    index: Count
    reason: str


class BatchResult(msgspec.Struct):
    """What a batch came to: rejected items by index, each with its reason."""

    accepted: Count
    rejected: Count
    errors: list[RejectedFix]


OsmandTime = Annotated[
    float | ZonedTime,
    Meta(description="Unix seconds, Unix milliseconds (above 1e11) or RFC 3339"),
]


class OsmandQuery(msgspec.Struct, kw_only=True):
    """The OsmAnd protocol's query (or form) parameters: one fix."""

    id: Annotated[str, Meta(pattern=NOT_BLANK, description="Device identifier")]
    lat: Annotated[Lat, Meta(description="Latitude")]
    lon: Annotated[Lon, Meta(description="Longitude")]
    timestamp: OsmandTime | UnsetType = UNSET
    speed: Annotated[NonNeg, Meta(description="Knots")] | UnsetType = UNSET
    bearing: Annotated[Heading, Meta(description="Degrees")] | UnsetType = UNSET
    heading: (
        Annotated[Heading, Meta(description="Degrees (when `bearing` is absent)")] | UnsetType
    ) = UNSET
    altitude: Annotated[float, Meta(description="Metres (checked, not stored)")] | UnsetType = UNSET
    accuracy: Annotated[NonNeg, Meta(description="Metres")] | UnsetType = UNSET
    batt: Annotated[Percent, Meta(description="Battery %")] | UnsetType = UNSET


class TraccarCoords(msgspec.Struct, kw_only=True):
    latitude: Lat
    longitude: Lon
    speed: Annotated[float, Meta(description="m/s; negative: unknown")] | None = None
    heading: Annotated[float, Meta(le=360, description="Degrees; negative: unknown")] | None = None
    accuracy: Annotated[float, Meta(description="negative: unknown")] | None = None


class TraccarBattery(msgspec.Struct):
    level: Annotated[float, Meta(description="0 to 1")] | None = None


class TraccarLocation(msgspec.Struct, kw_only=True):
    timestamp: OsmandTime | None = None
    coords: TraccarCoords
    battery: TraccarBattery | None = None


class TraccarFix(msgspec.Struct):
    """The JSON body Traccar Client 9 posts to /osmand."""

    device_id: NotBlank
    location: TraccarLocation


class OsmandResult(msgspec.Struct):
    accepted: Literal[1]


# -- incidents and alerts from terminals ---------------------------------------------------

#: what a terminal may do through feedback
TerminalAction = Literal["start", "handle", "escalate"]


REPLAY = "Client UUID: a retried POST returns the first result"


class EventReport(msgspec.Struct, kw_only=True):
    """An incident a terminal reports.

    Fields are read in this order and the first of the wrong type is named.
    """

    lat: Lat | None = None
    lon: Lon | None = None
    category: CategoryCode
    title: Annotated[str, Meta(max_length=MAX_TITLE, pattern=NOT_BLANK)]
    description: Annotated[str, Meta(max_length=MAX_DESCRIPTION)] | None = None
    address: Annotated[str, Meta(max_length=MAX_ADDRESS)] | None = None
    report_id: Annotated[ClientKey, Meta(description=REPLAY)] | None = None


class EventFeedback(msgspec.Struct, kw_only=True):
    """The assignee's step on an incident dispatched to them."""

    action: Annotated[TerminalAction, Meta(description="Absent or null: handle")] | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    note: str | None = None
    transition_id: ClientKey | None = None


#: a position is both coordinates or neither (what msgspec's types cannot say)
PAIRED_POSITION = {"dependentRequired": {"lat": ["lon"], "lon": ["lat"]}}
Photos = Annotated[list[PhotoFile], Meta(max_length=MAX_PHOTOS)]


class EventReportForm(msgspec.Struct):
    """A report as multipart: the report as JSON in ``data``, and photos."""

    data: EventReport
    photo: Photos = msgspec.field(default_factory=list)


class EventFeedbackForm(msgspec.Struct):
    """Feedback as multipart: the feedback as JSON in ``data``, and photos."""

    data: EventFeedback
    photo: Photos = msgspec.field(default_factory=list)


class Incident(msgspec.Struct):
    """An incident as its reporter and assignee see it."""

    tracking_no: str
    state: str
    state_label: str
    node_id: int
    deadline_at: Moment


class AssignedIncident(Incident):
    title: str


class AssignedAlert(msgspec.Struct):
    alert_id: int
    level: AlertLevel
    title: str
    text: str
    valid_until: Moment
    acknowledged: bool


class AlertAck(msgspec.Struct):
    alert_id: int
    acknowledged: Literal[True]
    first: Annotated[bool, Meta(description="False when acknowledged before")]


class IncidentPath(msgspec.Struct):
    tracking_no: Annotated[
        str, Meta(pattern=TRACKING_PATTERN, description="The incident's tracking number")
    ]


class AlertPath(msgspec.Struct):
    alert_id: Annotated[int, Meta(ge=1, le=MAX_RECORD_ID, description="The alert's id")]


# -- the SMS gateway -----------------------------------------------------------------------


class InboundSms(msgspec.Struct, kw_only=True):
    """A text the gateway received."""

    sender: Phone = msgspec.field(name="from")
    text: Annotated[str, Meta(max_length=MAX_DESCRIPTION, pattern=NOT_BLANK)]


class SmsReply(msgspec.Struct, kw_only=True):
    """What the gateway texts back (and the alert a staff member's reply confirmed)."""

    reply: str
    alert_id: int | UnsetType = UNSET


class SmsReport(msgspec.Struct):
    tracking_no: str
    reply: str


class Receipt(msgspec.Struct):
    message_id: Annotated[
        Annotated[str, Meta(min_length=1)] | int,
        Meta(description="The id Gridwatch sent with the text ($message_id)"),
    ]
    status: Annotated[str, Meta(min_length=1)]


class ReceiptsResult(msgspec.Struct):
    received: Count
    applied: Count


# -- Open311 GeoReport v2 ------------------------------------------------------------------


class Service(msgspec.Struct, kw_only=True):
    service_code: str
    service_name: str
    description: Nullable = None
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: Nullable = None
    group: Nullable = None


GeoReportStatus = Literal["open", "closed"]


class ServiceRequest(msgspec.Struct, kw_only=True):
    """A request as anyone may read it: no reporter, numbers in free text masked."""

    service_request_id: str
    status: GeoReportStatus
    status_notes: Nullable = None
    service_name: Nullable = None
    service_code: str
    description: Nullable = None
    agency_responsible: Nullable = None
    service_notice: Nullable = None
    requested_datetime: Moment
    updated_datetime: Moment | None = None
    expected_datetime: Moment | None = None
    address: Nullable = None
    address_id: Nullable = None
    zipcode: Nullable = None
    lat: float | None = None
    long: float | None = None
    media_url: Nullable = None


class GeoReportRequest(msgspec.Struct, kw_only=True):
    """A citizen's request, as form fields or JSON.

    Texts are read first, in this order, then the position: GeoReport names an
    unknown ``service_code`` (404) before a position that is not a number (400).
    """

    service_code: CategoryCode
    description: Annotated[str, Meta(max_length=MAX_DESCRIPTION)] | None = None
    last_name: Annotated[str, Meta(max_length=MAX_NAME_PART)] | None = None
    first_name: Annotated[str, Meta(max_length=MAX_NAME_PART)] | None = None
    address_string: Annotated[str, Meta(max_length=MAX_ADDRESS)] | None = None
    phone: Phone | None = None
    lat: Lat
    long: Lon


class ServiceRequestFiled(msgspec.Struct, kw_only=True):
    service_request_id: str
    service_notice: str
    account_id: Nullable = None


ZONE = "(China time when no zone); empty: no bound"


class GeoReportQuery(msgspec.Struct, kw_only=True):
    """Filters of the request list; empty means no filter."""

    service_request_id: (
        Annotated[str, Meta(description="Tracking numbers, comma-separated")] | UnsetType
    ) = UNSET
    service_code: (
        Annotated[str, Meta(description="Category codes, comma-separated")] | UnsetType
    ) = UNSET
    status: (
        Annotated[Literal["open", "closed", ""], Meta(description="Open or closed; empty: both")]
        | UnsetType
    ) = UNSET
    start_date: Annotated[QueryTime, Meta(description=f"Filed at or after {ZONE}")] | UnsetType = (
        UNSET
    )
    end_date: Annotated[QueryTime, Meta(description=f"Filed before {ZONE}")] | UnsetType = UNSET


class ServiceRequestPath(msgspec.Struct):
    service_request_id: Annotated[str, Meta(description="The tracking number")]


class GeoReportError(msgspec.Struct):
    code: int
    description: str


GeoReportErrors = Annotated[list[GeoReportError], Meta(min_length=1)]


# -- every route -------------------------------------------------------------------------


class Error(msgspec.Struct, kw_only=True):
    """Every error of the API except GeoReport's: a code and a message in Chinese."""

    error: str
    message: str
    fields: (
        Annotated[
            dict[str, str],
            Meta(description="On 422: each bad field and what is wrong with it"),
        ]
        | UnsetType
    ) = UNSET


class Health(msgspec.Struct):
    status: str


#: what msgspec's types cannot say, per model: merged into its component
SCHEMA_NOTES: dict[type, dict[str, Any]] = {
    FixIn: {"properties": FIX_NOTES},
    EventReport: PAIRED_POSITION,
    EventFeedback: PAIRED_POSITION,
}
