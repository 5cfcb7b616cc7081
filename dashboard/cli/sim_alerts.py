"""Simulated grid staff confirm the alerts texted to them, through the terminal API.

A handset polls GET /api/v1/alerts/assigned and confirms with POST …/ack, as a person
does some time after the text arrives; the duty console's progress bar moves with it.
"""

from __future__ import annotations

import random

import requests

#: chance that a polled terminal confirms an open alert now (people take a while)
CONFIRM_P = 0.7


class AlertPlayer:
    def __init__(self, base_url: str, rng: random.Random, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.rng = rng
        self.timeout_s = timeout_s
        self.http = requests  # called from pool threads: no shared Session
        self.acknowledged = 0

    def confirm(self, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            listed = self.http.get(
                f"{self.base_url}/api/v1/alerts/assigned", headers=headers, timeout=self.timeout_s
            )
            if listed.status_code != 200:
                return
            for alert in listed.json():
                if alert["acknowledged"] or self.rng.random() > CONFIRM_P:
                    continue
                answer = self.http.post(
                    f"{self.base_url}/api/v1/alerts/{alert['alert_id']}/ack",
                    headers=headers,
                    timeout=self.timeout_s,
                )
                if answer.status_code == 200:
                    self.acknowledged += 1
        except (requests.RequestException, ValueError, KeyError):
            return
