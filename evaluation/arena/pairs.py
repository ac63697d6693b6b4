"""Which two models to show next, so that the ranking converges fast: the pair whose order
is least certain, among the models with the fewest battles; never a model against itself,
never a pair a voter has already seen on that photo."""

from __future__ import annotations

import itertools
import random
from collections.abc import Collection, Mapping

from evaluation.arena.ranking import win_probability


def next_pair(
    models: Collection[str],
    seen: Collection[frozenset[str]],
    ratings: Mapping[str, float],
    battles: Mapping[str, int],
    rng: random.Random,
) -> tuple[str, str] | None:
    """Two of ``models`` (with results on the photo) in a random order, or None when every
    pair was ``seen`` by this voter on this photo.

    A pair's priority is how close to even its outcome is (1 for unknown or equal ratings,
    0 for a sure one) plus, for each model, 1 / sqrt(1 + its battles); ties are drawn at
    random, so equal pairs share the votes.
    """
    candidates = [
        pair for pair in itertools.combinations(sorted(set(models)), 2)
        if frozenset(pair) not in seen
    ]  # fmt: skip
    if not candidates:
        return None

    def priority(pair: tuple[str, str]) -> tuple[float, float]:
        first, second = pair
        chance = win_probability(ratings.get(first, 0.0), ratings.get(second, 0.0))
        even = 1.0 - abs(2.0 * chance - 1.0)
        fresh = sum((1 + battles.get(model, 0)) ** -0.5 for model in pair)
        return even + fresh, rng.random()

    chosen = list(max(candidates, key=priority))
    rng.shuffle(chosen)
    return chosen[0], chosen[1]
