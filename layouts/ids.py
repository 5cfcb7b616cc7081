"""Every Dash component id, in one place, so layouts, callbacks and tests agree."""

URL = "url"
PAGE = "page"
LOGOUT = "logout"

# /wall
WALL_MAP = "wall-map"
WALL_TILES = "wall-tiles"
WALL_BOUNDARIES = "wall-boundaries"
WALL_STAFF = "wall-staff"
WALL_SOCKET = "wall-socket"
WALL_FOCUS = "wall-focus"
WALL_SNAPSHOT = "wall-snapshot"
WALL_TITLE = "wall-title"
WALL_CLOCK = "wall-clock"
WALL_CLOCK_TICK = "wall-clock-tick"
WALL_PICK_DISTRICT = "wall-pick-district"
WALL_PICK_STREET = "wall-pick-street"
WALL_PICK_COMMUNITY = "wall-pick-community"
WALL_PICK_GRID = "wall-pick-grid"
KPI_ONLINE = "kpi-online"
KPI_TOTAL = "kpi-total"
KPI_FIXES_PER_MIN = "kpi-fixes-per-min"
KPI_UPDATED = "kpi-updated"
WALL_STATE_BAR = "wall-state-bar"
WALL_STATE_COUNTS = "wall-state-counts"
WALL_CHILDREN = "wall-children"
WALL_CONNECTION = "wall-connection"
WALL_REFRESH = "wall-refresh"

# shared navigation of the non-wall pages
NAV = "nav"

# /residents
RES_NODE = "res-node"
RES_SEARCH = "res-search"
RES_EXPORT = "res-export"
RES_SUMMARY = "res-summary"
RES_TABLE = "res-table"
RES_PAGE = "res-page"
RES_PREV = "res-prev"
RES_NEXT = "res-next"
RES_PAGER = "res-pager"
RES_HOUSEHOLD = "res-household"
#: pattern-matching id types (the dict key "rid" is a resident id, "hid" a household id;
#: household buttons carry both, since every member row has one)
RES_REVEAL = "res-reveal"
RES_IDNO = "res-idno"
RES_PHONE = "res-phone"
RES_HOUSEHOLD_OPEN = "res-household-open"
RES_HOUSEHOLD_CLOSE = "res-household-close"

# /admin/users
USR_TABLE = "usr-table"
USR_USERNAME = "usr-username"
USR_DISPLAY_NAME = "usr-display-name"
USR_ROLE = "usr-role"
USR_NODE = "usr-node"
USR_PASSWORD = "usr-password"
USR_CREATE = "usr-create"
USR_MESSAGE = "usr-message"
#: pattern-matching id types (the dict key "uid" is a user id)
USR_TOGGLE = "usr-toggle"
USR_RESET = "usr-reset"

# /admin/devices
DEV_TABLE = "dev-table"
DEV_IDENTIFIER = "dev-identifier"
DEV_STAFF = "dev-staff"
DEV_ADD = "dev-add"
DEV_MESSAGE = "dev-message"
#: pattern-matching id types (the dict key "did" is a device id)
DEV_ROTATE = "dev-rotate"
DEV_REVOKE = "dev-revoke"

# /admin/audit
AUD_ACTOR = "aud-actor"
AUD_ACTION = "aud-action"
AUD_SINCE = "aud-since"
AUD_UNTIL = "aud-until"
AUD_SEARCH = "aud-search"
AUD_TABLE = "aud-table"
AUD_SUMMARY = "aud-summary"
AUD_EXPORT = "aud-export"
