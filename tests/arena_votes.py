"""Simulated arena votes with known strengths, shared by the arena's tests."""

from __future__ import annotations

import numpy as np

from evaluation.arena import ranking
from evaluation.arena.votes import A_WINS, B_WINS, Battle

STRENGTHS = {"alpha": 1.2, "bravo": 0.6, "charlie": 0.0, "delta": -0.5, "echo": -1.3}


def simulated(n: int, seed: int, strengths=STRENGTHS) -> list[Battle]:
    """Votes by the Bradley-Terry model itself: a beats b with odds exp(s_a - s_b)."""
    rng = np.random.default_rng(seed)
    names = list(strengths)
    battles = []
    for k in range(n):
        a, b = rng.choice(len(names), 2, replace=False)
        chance = 1 / (1 + np.exp(strengths[names[b]] - strengths[names[a]]))
        winner = A_WINS if rng.random() < chance else B_WINS
        battles.append(Battle(f"p{k}", names[a], names[b], winner, f"v{k % 7}", float(k)))
    return battles


def true_ratings(strengths=STRENGTHS) -> dict[str, float]:
    logs = np.array(list(strengths.values()))
    return dict(zip(strengths, ranking.rating(logs - logs.mean()), strict=True))
