"""The leaderboard's numbers: Bradley-Terry strengths by maximum likelihood with bootstrap
intervals, Elo beside them, battles, win rates and the win-rate matrix.

A tie and a "both bad" count half a win each way. The bootstrap resamples votes: drawing
N votes with replacement is drawing N times from the distinct (pair, outcome) cells with
their shares, so every round is one multinomial draw over at most 3 cells per pair, and all
rounds are fitted together, as one array, by the same minorise-maximise iteration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evaluation.arena.votes import A_WINS, B_WINS, Battle

SCALE, BASE, INITIAL = 400.0, 10.0, 1000.0  # the arenas' rating scale
ELO_K = 4.0
PRIOR = 1.0  # virtual tie per pair that met, so a model that never lost stays finite
ROUNDS = 1000
TOLERANCE, MAX_STEPS = 1e-7, 5000


@dataclass(frozen=True)
class Outcomes:
    """Votes as arrays over ``models``: per vote the two indices and a's score (1, 0.5, 0)."""

    models: list[str]
    a: np.ndarray
    b: np.ndarray
    score: np.ndarray

    @classmethod
    def of(cls, battles: Sequence[Battle]) -> Outcomes:
        """From votes in the order cast: anything with model_a, model_b and winner (a
        Battle, a row of VoteStore.outcomes)."""
        models = sorted({m for battle in battles for m in (battle.model_a, battle.model_b)})
        index = {model: i for i, model in enumerate(models)}
        a = np.array([index[battle.model_a] for battle in battles], dtype=np.int64)
        b = np.array([index[battle.model_b] for battle in battles], dtype=np.int64)
        score = np.array([_score(battle.winner) for battle in battles], dtype=np.float64)
        return cls(models, a, b, score)

    def cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Distinct (i < j, score of i) cells and their vote counts."""
        low, high = np.minimum(self.a, self.b), np.maximum(self.a, self.b)
        low_score = np.where(self.a == low, self.score, 1.0 - self.score)
        keys = (low * len(self.models) + high) * 3 + np.rint(low_score * 2).astype(np.int64)
        unique, counts = np.unique(keys, return_counts=True)
        pair, outcome = np.divmod(unique, 3)
        i, j = np.divmod(pair, len(self.models))
        return i, j, outcome / 2.0, counts


def _score(winner: str) -> float:
    return 1.0 if winner == A_WINS else 0.0 if winner == B_WINS else 0.5


def _tables(i, j, score, counts, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Wins W[..., x, y] of x over y and games N[..., x, y], for counts of shape (..., K)."""
    shape = counts.shape[:-1] + (m, m)
    wins, games = np.zeros(shape), np.zeros(shape)
    np.add.at(wins, (..., i, j), counts * score)
    np.add.at(wins, (..., j, i), counts * (1.0 - score))
    np.add.at(games, (..., i, j), counts)
    np.add.at(games, (..., j, i), counts)
    return wins, games


def fit_strengths(wins: np.ndarray, games: np.ndarray) -> np.ndarray:
    """Bradley-Terry log-strengths (mean 0) for W and N of shape (..., M, M), by Hunter's
    minorise-maximise steps; every leading index is fitted at once."""
    met = games > 0
    wins = wins + PRIOR * met / 2
    games = games + PRIOR * met
    won = wins.sum(-1)
    played = games.sum(-1) > 0  # a model no vote of a bootstrap round drew stays at 1
    strength = np.ones(wins.shape[:-1])
    for _ in range(MAX_STEPS):
        pair_sums = strength[..., :, None] + strength[..., None, :]
        updated = won / np.maximum((games / pair_sums).sum(-1), 1e-300)
        updated = np.where(played, updated, 1.0)
        updated /= np.exp(np.log(updated).mean(-1, keepdims=True))
        change = np.abs(updated - strength).max()
        strength = updated
        if change < TOLERANCE:
            break
    return np.log(strength)


def rating(log_strength: np.ndarray) -> np.ndarray:
    """On the arenas' scale: 400 points per factor of 10 in the odds, 1000 on average."""
    return INITIAL + SCALE * log_strength / np.log(BASE)


def point_ratings(battles: Sequence[Battle]) -> dict[str, float]:
    """Each model's Bradley-Terry rating, without intervals."""
    outcomes = Outcomes.of(battles)
    if not outcomes.models:
        return {}
    i, j, score, counts = outcomes.cells()
    tables = _tables(i, j, score, counts.astype(float), len(outcomes.models))
    return dict(zip(outcomes.models, rating(fit_strengths(*tables)).tolist(), strict=True))


def bradley_terry(outcomes: Outcomes, rounds: int = ROUNDS, seed: int = 0):
    """(ratings, bootstrap ratings of shape (rounds, M)) on the arenas' scale."""
    i, j, score, counts = outcomes.cells()
    m = len(outcomes.models)
    point = rating(fit_strengths(*_tables(i, j, score, counts.astype(float), m)))
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(counts.sum(), counts / counts.sum(), size=rounds)
    boot = rating(fit_strengths(*_tables(i, j, score, draws.astype(float), m)))
    return point, boot


def elo(outcomes: Outcomes, k: float = ELO_K) -> np.ndarray:
    """Online Elo over the votes in the order cast, as the arenas first ranked."""
    ratings = np.full(len(outcomes.models), INITIAL)
    for a, b, score in zip(outcomes.a, outcomes.b, outcomes.score, strict=True):
        expected = 1.0 / (1.0 + BASE ** ((ratings[b] - ratings[a]) / SCALE))
        ratings[a] += k * (score - expected)
        ratings[b] -= k * (score - expected)
    return ratings


@dataclass(frozen=True)
class Row:
    model: str
    rating: float
    low: float  # 95% bootstrap interval
    high: float
    elo: float
    battles: int
    win_rate: float
    votes_to_target: int  # more battles for an interval of the target width, estimated

    @property
    def settled(self) -> bool:
        """Enough battles for its interval to mean something (MIN_BATTLES)."""
        return self.battles >= MIN_BATTLES


@dataclass(frozen=True)
class Leaderboard:
    rows: list[Row]  # best first
    win_rates: np.ndarray  # [x, y]: x's share of points against y (nan where they never met)
    models: list[str]  # the matrix's order: the rows'


TARGET_WIDTH = 100.0  # rating points: a 95% interval of +-50
# Fewer battles than this and a bootstrap interval means little (one vote resampled is
# always the same vote); GenAI-Arena asks for 50 per model.
MIN_BATTLES = 50


def leaderboard(
    battles: Sequence[Battle], rounds: int = ROUNDS, target_width: float = TARGET_WIDTH
) -> Leaderboard:
    outcomes = Outcomes.of(battles)
    if not outcomes.models:
        return Leaderboard([], np.zeros((0, 0)), [])
    point, boot = bradley_terry(outcomes, rounds)
    low, high = np.percentile(boot, [2.5, 97.5], axis=0)
    elos = elo(outcomes)
    i, j, score, counts = outcomes.cells()
    wins, games = _tables(i, j, score, counts.astype(float), len(outcomes.models))
    played = games.sum(-1)
    width = high - low
    # An interval narrows as one over the root of the battles.
    more = np.ceil(played * ((width / target_width) ** 2 - 1)).clip(0)
    more = np.maximum(more, MIN_BATTLES - played)
    order = np.argsort(-point)
    rows = [
        Row(outcomes.models[x], float(point[x]), float(low[x]), float(high[x]),
            float(elos[x]), int(played[x]), float(wins[x].sum() / played[x]), int(more[x]))
        for x in order
    ]  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.where(games > 0, wins / games, np.nan)[np.ix_(order, order)]
    return Leaderboard(rows, matrix, [outcomes.models[x] for x in order])


def kendall_tau(first: Sequence[float], second: Sequence[float]) -> float:
    """Kendall's tau-b between two scorings of the same items (1: same order)."""
    x, y = np.asarray(first, float), np.asarray(second, float)
    upper = np.triu_indices(len(x), 1)
    dx = np.sign(x[:, None] - x[None, :])[upper]
    dy = np.sign(y[:, None] - y[None, :])[upper]
    denominator = np.sqrt((dx != 0).sum() * (dy != 0).sum())
    return float((dx * dy).sum() / denominator) if denominator else float("nan")


def win_probability(rating_a: float, rating_b: float) -> float:
    return 1.0 / (1.0 + BASE ** ((rating_b - rating_a) / SCALE))


def agreement(ratings: dict[str, float], errors: dict[str, float]) -> tuple[float, int]:
    """Kendall's tau between the votes' order (higher rating better) and a ground-truth
    error's order (lower better, e.g. SAD) over the models both have, and how many."""
    common = sorted(set(ratings) & set(errors))
    if len(common) < 2:
        return float("nan"), len(common)
    tau = kendall_tau([ratings[m] for m in common], [-errors[m] for m in common])
    return tau, len(common)
