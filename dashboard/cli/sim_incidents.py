"""Simulated grid staff file incidents and hand back the ones dispatched to them.

Everything goes through the terminal API (POST /api/v1/events, GET …/assigned,
POST …/feedback), like a real handset; the duty desk's side stays with people.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import requests

#: what grid staff typically find on patrol: (category code, title)
FINDINGS: tuple[tuple[str, str], ...] = (
    ("city_sanitation", "垃圾桶满溢未清运"),
    ("city_sanitation", "小区门口占道经营"),
    ("fire_safety", "楼道堆放杂物堵塞消防通道"),
    ("fire_safety", "电动车在楼道内充电"),
    ("public_facilities", "路灯不亮"),
    ("public_facilities", "井盖缺失存在隐患"),
    ("work_safety", "工地围挡破损"),
    ("petition_dispute", "邻里噪音纠纷"),
    ("special_population", "独居高龄老人多日未见"),
    ("civil_relief", "困难家庭申请临时救助"),
    ("market_shops", "沿街商铺违规外摆"),
    ("environment", "餐馆油烟扰民"),
)
HANDLED_NOTES = ("已到场处置完毕", "已协调相关单位处理", "已整改到位，拍照留存", "已劝导并登记")


class IncidentPlayer:
    def __init__(self, base_url: str, rng: random.Random, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.rng = rng
        self.timeout_s = timeout_s
        # plain calls, not a shared Session: the simulator's pool threads call these
        # concurrently, and reports are rare enough not to need keep-alive
        self.http = requests
        self.reported = 0
        self.advanced = 0

    def _auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def report(self, token: str, lat: float, lon: float) -> None:
        category, title = self.rng.choice(FINDINGS)
        body: dict[str, Any] = {
            "report_id": str(uuid.uuid4()),
            "category": category,
            "title": title,
            "description": f"巡查发现：{title}",
            "lat": lat,
            "lon": lon,
        }
        try:
            response = self.http.post(
                f"{self.base_url}/api/v1/events",
                json=body,
                headers=self._auth(token),
                timeout=self.timeout_s,
            )
        except requests.RequestException:
            return
        if response.status_code == 201:
            self.reported += 1

    def advance(self, token: str) -> None:
        """One step on each incident dispatched to this terminal: start, then hand back."""
        try:
            assigned = self.http.get(
                f"{self.base_url}/api/v1/events/assigned",
                headers=self._auth(token),
                timeout=self.timeout_s,
            )
            if assigned.status_code != 200:
                return
            for incident in assigned.json():
                action = "start" if incident["state"] == "dispatched" else "handle"
                body = {"action": action, "transition_id": str(uuid.uuid4())}
                if action == "handle":
                    body["note"] = self.rng.choice(HANDLED_NOTES)
                answer = self.http.post(
                    f"{self.base_url}/api/v1/events/{incident['tracking_no']}/feedback",
                    json=body,
                    headers=self._auth(token),
                    timeout=self.timeout_s,
                )
                if answer.status_code == 200:
                    self.advanced += 1
        except (requests.RequestException, ValueError, KeyError):
            return
