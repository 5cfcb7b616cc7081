"""Chinese labels of the SMS platform's sources and folders (one place, zh-CN).

A delivery's state is named by ``data.models.DELIVERY_STATE_LABELS``, shared with alerts.
"""

from __future__ import annotations

from data.models import SmsFolder, SmsSource

SOURCE_LABELS: dict[SmsSource, str] = {
    SmsSource.MANUAL: "手工",
    SmsSource.ALERT: "预警",
}

FOLDER_LABELS: dict[SmsFolder, str] = {
    SmsFolder.SENT: "已发短信",
    SmsFolder.FILED: "备案短信",
    SmsFolder.DELETED: "已删除短信",
}
