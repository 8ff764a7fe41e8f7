"""Seeded random draws shared by the simulation, the layouts and the problem files."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any


def pick(rng: random.Random, weights: dict) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))
