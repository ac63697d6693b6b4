"""The leaderboard's statistics on simulated votes with known strengths, the pairing rule,
and votes through files in and out."""

from __future__ import annotations

import random

import numpy as np
import pytest

from evaluation.arena import ranking
from evaluation.arena.interchange import ImportProblem, export, import_battles
from evaluation.arena.pairs import next_pair
from evaluation.arena.store import VoteStore
from evaluation.arena.votes import A_WINS, B_WINS, BOTH_BAD, TIE, Battle
from tests.arena_votes import STRENGTHS, simulated, true_ratings


def test_the_fit_recovers_the_order_of_known_strengths():
    board = ranking.leaderboard(simulated(3000, seed=1), rounds=200)
    assert [row.model for row in board.rows] == list(STRENGTHS)
    truth = true_ratings()
    for row in board.rows:
        assert abs(row.rating - truth[row.model]) < 40, row
        assert row.low < row.rating < row.high
    points = ranking.point_ratings(simulated(3000, seed=1))
    assert points == pytest.approx({row.model: row.rating for row in board.rows})


def test_the_intervals_cover_the_truth_about_95_percent_of_the_time():
    truth = true_ratings()
    covered = []
    for seed in range(60):
        board = ranking.leaderboard(simulated(1500, seed=100 + seed), rounds=400)
        covered += [row.low <= truth[row.model] <= row.high for row in board.rows]
    share = np.mean(covered)  # 300 intervals: 0.95 +- 0.025 for one standard error
    assert 0.90 <= share <= 0.99, share


def test_the_batched_bootstrap_fits_each_round_as_alone():
    """All rounds fitted as one array give each round's own fit."""
    outcomes = ranking.Outcomes.of(simulated(400, seed=3))
    i, j, score, counts = outcomes.cells()
    rng = np.random.default_rng(0)
    draws = rng.multinomial(counts.sum(), counts / counts.sum(), size=5).astype(float)
    together = ranking.fit_strengths(*ranking._tables(i, j, score, draws, 5))
    for row, draw in enumerate(draws):
        alone = ranking.fit_strengths(*ranking._tables(i, j, score, draw, 5))
        np.testing.assert_allclose(together[row], alone, atol=1e-5)


def test_the_fit_is_the_maximum_of_the_likelihood():
    from scipy.optimize import minimize

    outcomes = ranking.Outcomes.of(simulated(500, seed=4))
    i, j, score, counts = outcomes.cells()
    wins, games = ranking._tables(i, j, score, counts.astype(float), 5)
    fitted = ranking.fit_strengths(wins, games)
    with_prior = wins + ranking.PRIOR * (games > 0) / 2  # one virtual tie per pair that met

    def negative_log_likelihood(s):
        diff = s[:, None] - s[None, :]
        return -(with_prior * -np.logaddexp(0, -diff)).sum() + 1e-3 * s.sum() ** 2

    best = minimize(negative_log_likelihood, np.zeros(5), method="BFGS").x
    np.testing.assert_allclose(fitted, best - best.mean(), atol=1e-4)


def test_ties_and_both_bad_count_half_a_win_each_way():
    def battle(k, winner):
        return Battle(f"p{k}", "alpha", "bravo", winner, "v", float(k))

    level = ranking.leaderboard([battle(0, TIE), battle(1, BOTH_BAD)], rounds=20)
    assert {row.win_rate for row in level.rows} == {0.5}
    assert abs(level.rows[0].rating - level.rows[1].rating) < 1e-6
    # A tie and a win: 1.5 of 2 points to alpha, as a win and a half.
    board = ranking.leaderboard([battle(0, TIE), battle(1, A_WINS)], rounds=20)
    assert board.rows[0].model == "alpha" and board.rows[0].win_rate == 0.75
    assert board.win_rates[0, 1] == 0.75 and board.win_rates[1, 0] == 0.25
    assert np.isnan(board.win_rates[0, 0])


def test_elo_moves_towards_the_winner():
    outcomes = ranking.Outcomes.of([Battle("p", "alpha", "bravo", B_WINS, "v", 0.0)])
    alpha, bravo = ranking.elo(outcomes)
    assert bravo == pytest.approx(1002.0) and alpha == pytest.approx(998.0)  # K = 4


def test_the_leaderboard_counts_battles_and_the_votes_still_needed():
    board = ranking.leaderboard(simulated(200, seed=5), rounds=200, target_width=10.0)
    assert sum(row.battles for row in board.rows) == 400  # two models per vote
    assert all(row.votes_to_target > 0 for row in board.rows)  # 10 points needs many more
    wide = ranking.leaderboard(simulated(200, seed=5), rounds=200, target_width=10_000.0)
    assert all(row.votes_to_target == 0 for row in wide.rows)


def test_kendall_tau():
    assert ranking.kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert ranking.kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert ranking.kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)


def test_pairs_never_repeat_for_a_voter_and_never_pit_a_model_against_itself():
    models = ["alpha", "bravo", "charlie", "delta"]
    seen: set[frozenset[str]] = set()
    rng = random.Random(0)
    for _ in range(6):  # four models: six pairs
        pair = next_pair(models, seen, {}, {}, rng)
        assert pair is not None and pair[0] != pair[1]
        assert frozenset(pair) not in seen
        seen.add(frozenset(pair))
    assert next_pair(models, seen, {}, {}, rng) is None


def test_pairs_prefer_few_battles_and_an_uncertain_order():
    rng = random.Random(0)
    battles = {"alpha": 500, "bravo": 500, "charlie": 0, "delta": 500}
    for _ in range(10):
        assert "charlie" in next_pair(list(battles), set(), {}, battles, rng)
    # Equal battles: alpha against bravo (close ratings), not against delta (far below).
    even = dict.fromkeys(["alpha", "bravo", "delta"], 100)
    ratings = {"alpha": 1100.0, "bravo": 1090.0, "delta": 700.0}
    for _ in range(10):
        assert set(next_pair(list(even), set(), ratings, even, rng)) == {"alpha", "bravo"}
    # The sides are drawn at random.
    sides = {next_pair(["alpha", "bravo"], set(), {}, {}, rng)[0] for _ in range(40)}
    assert sides == {"alpha", "bravo"}


def test_votes_go_out_and_come_back_as_the_same_leaderboard(tmp_path):
    battles = simulated(300, seed=6)
    for name in ("votes.jsonl", "votes.csv"):
        path = tmp_path / name
        assert export(battles, path) == 300
        store = VoteStore(f"sqlite:///{tmp_path / (name + '.db')}")
        read = import_battles(path, {}, STRENGTHS)
        assert store.add(read) == 300 and store.add(read) == 0  # twice: counted once
        again = ranking.leaderboard(store.battles(), rounds=50)
        first = ranking.leaderboard(battles, rounds=50)
        assert [(r.model, round(r.rating, 6)) for r in again.rows] == [
            (r.model, round(r.rating, 6)) for r in first.rows
        ]


def test_an_import_maps_public_names_to_registry_keys(tmp_path):
    path = tmp_path / "public.jsonl"
    path.write_text(
        '{"model_a": "BRIA RMBG 2.0", "model_b": "Photoroom", "winner": "model_a", '
        '"judge": "x", "tstamp": 1700000000}\n'
    )
    with pytest.raises(ImportProblem, match="BRIA RMBG 2.0, Photoroom"):
        import_battles(path, {}, ["rmbg2"])
    (battle,) = import_battles(
        path, {"BRIA RMBG 2.0": "rmbg2", "Photoroom": "photoroom"}, ["rmbg2"]
    )
    assert (battle.model_a, battle.model_b, battle.winner, battle.voter) == (
        "rmbg2", "photoroom", A_WINS, "x")  # fmt: skip
    assert battle.view == "Cut-out" and battle.tstamp == 1700000000.0
