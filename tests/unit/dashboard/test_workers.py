"""The SMS sender's pace comes from the settings, and a bad rate is refused by name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dashboard.settings import Settings
from dashboard.workers import sender_config


def test_the_rate_sets_the_burst_and_the_lease_does_not_grow_with_a_slow_rate(tmp_path):
    fast = sender_config(Settings(var_dir=tmp_path, sms_rate_per_s=200))
    assert (fast.rate_per_s, fast.burst, fast.lease_s) == (200, 200, 120.0)
    # 100 texts at 2/s take 50 s: the sender renews its lease meanwhile (lease_s / 4), so
    # a dead sender's texts wait no longer at a slow rate than at a fast one
    slow = sender_config(Settings(var_dir=tmp_path, sms_rate_per_s=2))
    assert (slow.rate_per_s, slow.burst, slow.lease_s) == (2, 2, 120.0)
    trickle = sender_config(Settings(var_dir=tmp_path, sms_rate_per_s=0.5))
    assert trickle.burst == 1


@pytest.mark.parametrize("rate", [0, -5])
def test_a_rate_that_is_not_positive_is_refused(tmp_path, rate):
    with pytest.raises(ValidationError, match="sms_rate_per_s"):
        Settings(var_dir=tmp_path, sms_rate_per_s=rate)
