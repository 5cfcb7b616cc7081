"""Split an exact integer total into uneven parts (largest-remainder method).

The zhengzhou scale promises exact totals (17,350 grids, 599,174 residents, ...)
while still looking organic, so every level is apportioned from weights rather
than sampled.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Parts proportional to ``weights``, each at least ``minimum``, summing to ``total``."""
    n = len(weights)
    if n == 0:
        if total:
            raise ValueError(f"cannot split {total} into zero parts")
        return []
    rest = total - n * minimum
    if rest < 0:
        raise ValueError(f"{total} is less than {n} parts of at least {minimum}")
    weight_sum = float(sum(weights))
    if weight_sum <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    quotas = [rest * w / weight_sum for w in weights]
    parts = [int(q) for q in quotas]
    left = rest - sum(parts)
    by_remainder = sorted(range(n), key=lambda i: (parts[i] - quotas[i], i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return [p + minimum for p in parts]


def uneven_weights(rng: random.Random, n: int, spread: float) -> list[float]:
    """``n`` weights uniform in ``1 ± spread`` (all 1.0 when spread is 0)."""
    if spread <= 0:
        return [1.0] * n
    return [rng.uniform(1.0 - spread, 1.0 + spread) for _ in range(n)]
