"""Chinese labels of the SMS platform's states, sources and folders (one place, zh-CN)."""

from __future__ import annotations

from data.models import DeliveryState, SmsFolder, SmsSource

#: the same words the duty console uses for an alert's deliveries
DELIVERY_STATE_LABELS: dict[DeliveryState, str] = {
    DeliveryState.QUEUED: "待发送",
    DeliveryState.SENDING: "发送中",
    DeliveryState.SENT: "已发送",
    DeliveryState.DELIVERED: "已送达",
    DeliveryState.ACKNOWLEDGED: "已签收",
    DeliveryState.FAILED: "发送失败",
}

SOURCE_LABELS: dict[SmsSource, str] = {
    SmsSource.MANUAL: "手工",
    SmsSource.ALERT: "预警",
}

FOLDER_LABELS: dict[SmsFolder, str] = {
    SmsFolder.SENT: "已发短信",
    SmsFolder.FILED: "备案短信",
    SmsFolder.DELETED: "已删除短信",
}
