"""The command line: ``portrait-blur``.

    portrait-blur PHOTO... --model KEY --out DIR   the app's comparison for many photos (batch)
    portrait-blur eval ...                         models scored against true mattes (evaluate)
    portrait-blur models [--check KEY | --update KEY]   the registry, one model's check, pins
    portrait-blur arena leaderboard | export | import  the arena's votes (arena)
    portrait-blur video CLIP --model KEY --out DIR    every model over a clip, scored (video)

Each subcommand is a module here with its own ``main(argv)``; ``args`` holds what they share.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["eval"]:
        from commands import evaluate

        return evaluate.main(argv[1:])
    if argv[:1] == ["arena"]:
        from commands import arena

        return arena.main(argv[1:])
    if argv[:1] == ["video"]:
        from commands import video

        return video.main(argv[1:])
    if argv[:1] == ["models"]:
        from commands import models

        return models.main(argv[1:])
    from commands import batch

    return batch.main(argv)
