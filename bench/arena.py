"""`uv run python -m bench arena`: the arena's leaderboard and its next pair, timed.

Prints, on this machine:
- the leaderboard of 100,000 simulated votes over 20 models with 1,000 bootstrap rounds
  (evaluation.arena.ranking: one multinomial draw per round over the (pair, outcome)
  cells, every round fitted at once) against a straightforward fit: each round resamples
  the votes, counts them and runs its own fit (the same iteration), in the same run; and
  the same leaderboard read from a SQLite database of those votes, as the page does;
- in Chromium, on a real server launched as the README says: from the key press of a
  vote until the next pair's two images have loaded (target 0.3 s).
Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from evaluation.arena import ranking
from evaluation.arena.store import VoteStore
from evaluation.arena.votes import A_WINS, B_WINS, TIE, Battle

MODELS, VOTES, ROUNDS = 20, 100_000, 1000


def simulated_votes(models: int = MODELS, votes: int = VOTES, seed: int = 0) -> list[Battle]:
    """Votes by the Bradley-Terry model with 10% ties, over models of spread strengths."""
    rng = np.random.default_rng(seed)
    strength = rng.normal(0.0, 1.0, models)
    a = rng.integers(0, models, votes)
    b = (a + rng.integers(1, models, votes)) % models
    a_wins = rng.random(votes) < 1 / (1 + np.exp(strength[b] - strength[a]))
    winner = np.where(rng.random(votes) < 0.1, TIE, np.where(a_wins, A_WINS, B_WINS))
    return [Battle(f"{k:032x}", f"model-{a[k]:02d}", f"model-{b[k]:02d}", str(winner[k]), "v",
                   float(k)) for k in range(votes)]  # fmt: skip


def per_round(outcomes: ranking.Outcomes, rounds: int, seed: int = 0) -> np.ndarray:
    """The reference: each bootstrap round resamples the votes and is fitted alone."""
    rng = np.random.default_rng(seed)
    m, n = len(outcomes.models), len(outcomes.score)
    ratings = []
    for _ in range(rounds):
        pick = rng.integers(0, n, n)
        a, b, score = outcomes.a[pick], outcomes.b[pick], outcomes.score[pick]
        wins, games = np.zeros((m, m)), np.zeros((m, m))
        np.add.at(wins, (a, b), score)
        np.add.at(wins, (b, a), 1.0 - score)
        np.add.at(games, (a, b), 1.0)
        np.add.at(games, (b, a), 1.0)
        ratings.append(ranking.rating(ranking.fit_strengths(wins, games)))
    return np.array(ratings)


def leaderboard_timing() -> None:
    battles = simulated_votes()
    print(f"\nLeaderboard: {VOTES:,} votes, {MODELS} models, {ROUNDS:,} bootstrap rounds "
          "(target <= 2 s)")  # fmt: skip
    start = time.perf_counter()
    board = ranking.leaderboard(battles, rounds=ROUNDS)
    ours = time.perf_counter() - start
    outcomes = ranking.Outcomes.of(battles)
    start = time.perf_counter()
    reference = per_round(outcomes, ROUNDS)
    straightforward = time.perf_counter() - start
    low, high = np.percentile(reference, [2.5, 97.5], axis=0)
    by_model = {row.model: row for row in board.rows}
    gap = max(max(abs(by_model[m].low - low[i]), abs(by_model[m].high - high[i]))
              for i, m in enumerate(outcomes.models))  # fmt: skip
    print(f"  batched bootstrap (the app's)   {ours:6.2f} s")
    print(
        f"  a fit per round (reference)     {straightforward:6.2f} s   "
        f"({straightforward / ours:.0f}x the app's)"
    )
    print(f"  largest gap between their 95% bounds: {gap:.1f} rating points (bootstrap noise)")
    with tempfile.TemporaryDirectory() as folder:
        store = VoteStore(f"sqlite:///{Path(folder) / 'arena.db'}")
        store.add(battles)
        start = time.perf_counter()
        read = store.outcomes()
        reading = time.perf_counter() - start
        ranking.leaderboard(read, rounds=ROUNDS)
        total = time.perf_counter() - start
        store.close()
    print(f"  from SQLite as the page does: read {reading:.2f} s, with the fit {total:.2f} s")


def next_pair_timing(votes: int = 9) -> None:
    from playwright.sync_api import sync_playwright

    from bench.ui import launch, user_command
    from tests.browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        LOADED_RESULT_IMAGES,
        QUIET,
        free_port,
        wait_healthy,
    )

    home = Path(tempfile.mkdtemp(prefix="bench-arena-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = launch(user_command("app.py"), port, home)
    pair = f"() => ({LOADED_RESULT_IMAGES})().slice(0, 2)"
    new_pair = (f"old => {{ const s = ({pair})(); "
                "return s.length === 2 && s.join() !== old.join(); }")  # fmt: skip
    times = []
    try:
        wait_healthy(url, server, timeout=120)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(f"{url}/arena")
            page.get_by_role("button", name="Vote on the sample portraits").click()
            page.wait_for_function(f"({pair})().length === 2", timeout=120_000)
            page.wait_for_function(QUIET, polling=100, timeout=120_000)  # the runs over
            idle = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
            for _ in range(votes):
                page.wait_for_function(idle, timeout=30_000)  # the pair looked at
                old = page.evaluate(pair)
                start = time.monotonic()
                page.keyboard.press("t")
                page.wait_for_function(new_pair, arg=old, timeout=30_000)
                times.append(time.monotonic() - start)
            browser.close()
    finally:
        server.terminate()
        server.wait(15)
    print(f"\nNext pair after a vote (key press until both new images loaded; {votes} votes, "
          "target <= 0.3 s):")  # fmt: skip
    print(f"  median {statistics.median(times):.2f} s, worst {max(times):.2f} s")
    print("  each:", " ".join(f"{t:.2f}" for t in times))


def main(argv: list[str] | None = None) -> int:
    leaderboard_timing()
    next_pair_timing()
    return 0
