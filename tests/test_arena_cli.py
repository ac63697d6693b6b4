"""`portrait-blur arena`: votes imported from a public arena's file, ranked, exported."""

from __future__ import annotations

import json

from commands import main
from tests.arena_votes import simulated

PUBLIC_NAMES = {"alpha": "BRIA RMBG 2.0", "bravo": "BiRefNet", "charlie": "Photoroom",
                "delta": "removebg", "echo": "u2net"}  # fmt: skip
KEYS = {"BRIA RMBG 2.0": "rmbg2", "BiRefNet": "birefnet_portrait", "u2net": "u2net"}


def public_file(path, n: int = 400):
    """Votes as the public arenas write them: their model names, five fields."""
    with path.open("w") as out:
        for battle in simulated(n, seed=9):
            out.write(json.dumps({
                "model_a": PUBLIC_NAMES[battle.model_a], "model_b": PUBLIC_NAMES[battle.model_b],
                "winner": battle.winner, "judge": battle.voter, "tstamp": 1.7e9 + battle.tstamp,
            }) + "\n")  # fmt: skip
    return path


def test_import_rank_and_export(tmp_path, capsys, arena_db):
    source = public_file(tmp_path / "public.jsonl")
    maps = [f"--map={name}={key}" for name, key in KEYS.items()]
    maps += ["--map=Photoroom=Photoroom", "--map=removebg=removebg"]  # kept by their names
    assert main(["arena", "import", str(source), *maps]) == 0
    assert "400 votes added" in capsys.readouterr().out
    assert main(["arena", "import", str(source), *maps]) == 0  # twice: counted once
    assert "0 votes added" in capsys.readouterr().out
    assert main(["arena", "leaderboard", "--rounds", "200"]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert lines[0].split()[:2] == ["model", "rating"]
    # The simulated strengths' order, under the registry's names where it has the model.
    assert [line.split("  ")[0] for line in lines[1:6]] == [
        "RMBG 2.0", "BiRefNet Portrait", "Photoroom", "removebg", "U²-Net"]  # fmt: skip
    assert "400 votes" in printed
    out = tmp_path / "votes.csv"
    assert main(["arena", "export", str(out)]) == 0
    header = out.read_text().splitlines()[0].split(",")
    assert header[:5] == ["model_a", "model_b", "winner", "judge", "tstamp"]
    assert len(out.read_text().splitlines()) == 401


def test_an_unmapped_name_and_a_missing_database_say_what_to_do(tmp_path, capsys):
    source = public_file(tmp_path / "public.jsonl", n=20)
    assert main(["arena", "import", str(source)]) == 2
    error = capsys.readouterr().err
    assert "no registry key for" in error and "--map NAME=KEY" in error
    assert main(["arena", "--db", "postgresql://127.0.0.1:9/votes", "leaderboard"]) == 2
    assert "cannot be reached" in capsys.readouterr().err
