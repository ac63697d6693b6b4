"""`portrait-blur arena`: the arena's votes from the command line.

    portrait-blur arena leaderboard [--view V] [--photos SET]   ratings, intervals, Elo
    portrait-blur arena export FILE.jsonl|FILE.csv               every vote, public fields first
    portrait-blur arena import FILE [--map NAME=KEY ...]         votes from another arena

The database is the app's: PORTRAIT_BLUR_DB (a path or a URL), else SQLite in the user's
data folder; --db names another.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evaluation.arena.interchange import ImportProblem, export, import_battles
from evaluation.arena.ranking import MIN_BATTLES, ROUNDS, leaderboard
from evaluation.arena.store import DatabaseUnavailable, VoteStore
from evaluation.arena.votes import VIEWS
from models import registry

COLUMNS = ("model", "rating", "95% interval", "elo", "battles", "win rate", "votes to ±50")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="portrait-blur arena", description=__doc__.split("\n")[0])
    top.add_argument("--db", help="database URL or SQLite path (default: PORTRAIT_BLUR_DB, "
                     "else the user's data folder)")  # fmt: skip
    verbs = top.add_subparsers(dest="verb", required=True)
    board = verbs.add_parser("leaderboard", help="the leaderboard of the votes so far")
    board.add_argument("--view", choices=VIEWS, help="only votes cast in this view")
    board.add_argument("--photos", help="only votes on this photo set (sample, upload, "
                       "shared, imported)")  # fmt: skip
    board.add_argument("--rounds", type=int, default=ROUNDS, help="bootstrap rounds")
    out = verbs.add_parser("export", help="every vote as JSONL (or CSV for a .csv name)")
    out.add_argument("file", type=Path)
    source = verbs.add_parser("import", help="votes from a JSONL or CSV file")
    source.add_argument("file", type=Path)
    source.add_argument("--map", action="append", default=[], metavar="NAME=KEY",
                        help="the registry key for a model name in the file (repeat)")  # fmt: skip
    return top


def table(battles, rounds: int) -> str:
    board = leaderboard(battles, rounds=rounds)
    rows = [
        (label(row.model), f"{row.rating:.0f}",
         f"{row.low:.0f} to {row.high:.0f}" if row.settled else f"after {MIN_BATTLES} battles",
         f"{row.elo:.0f}", str(row.battles), f"{row.win_rate:.0%}", str(row.votes_to_target))
        for row in board.rows
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [COLUMNS, *rows]]  # fmt: skip
    return "\n".join(lines)


def label(model: str) -> str:
    try:
        return registry.get_spec(model).label
    except KeyError:
        return model


def mapping(pairs: list[str]) -> dict[str, str]:
    names = {}
    for pair in pairs:
        name, sep, key = pair.rpartition("=")
        if not sep or not name:
            raise ImportProblem(f"--map {pair!r}: write it NAME=KEY")
        names[name] = key
    return names


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        store = VoteStore(args.db if args.db is None or "://" in args.db
                          else f"sqlite:///{Path(args.db).resolve()}")  # fmt: skip
        if args.verb == "leaderboard":
            battles = store.outcomes(args.view, args.photos)
            if not battles:
                print("No votes yet.")
                return 0
            print(table(battles, args.rounds))
            print(f"\n{len(battles)} votes; ties and both-bad count half a win each way; "
                  f"intervals from {args.rounds} bootstrap rounds.")  # fmt: skip
        elif args.verb == "export":
            print(f"{export(store.battles(), args.file)} votes written to {args.file}")
        else:
            known = [spec.key for spec in registry.REGISTRY]
            battles = import_battles(args.file, mapping(args.map), known)
            added = store.add(battles)
            print(f"{added} votes added from {args.file} ({len(battles) - added} already in)")
    except (DatabaseUnavailable, ImportProblem, OSError) as error:
        print(f"portrait-blur arena: {error}", file=sys.stderr)
        return 2
    return 0
