"""Votes in and out as files: JSONL or CSV with the public arenas' fields (model_a,
model_b, winner, judge, tstamp) first, then this arena's own."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from evaluation.arena.votes import WINNERS, Battle

PUBLIC = ("model_a", "model_b", "winner", "judge", "tstamp")
OURS = ("pair_id", "view", "photo", "photo_set", "setup_a", "setup_b", "app_version")
FIELDS = PUBLIC + OURS


def as_record(battle: Battle) -> dict:
    return {
        "model_a": battle.model_a, "model_b": battle.model_b, "winner": battle.winner,
        "judge": battle.voter, "tstamp": battle.tstamp, "pair_id": battle.pair_id,
        "view": battle.view, "photo": battle.photo, "photo_set": battle.photo_set,
        "setup_a": battle.setup_a, "setup_b": battle.setup_b,
        "app_version": battle.app_version,
    }  # fmt: skip


def export(battles: Iterable[Battle], path: Path) -> int:
    """Writes ``battles`` to ``path``: CSV for a .csv name (settings as JSON text), else
    JSONL. Returns how many were written."""
    records = [as_record(battle) for battle in battles]
    with path.open("w", newline="", encoding="utf-8") as out:
        if path.suffix.lower() == ".csv":
            writer = csv.DictWriter(out, FIELDS)
            writer.writeheader()
            for record in records:
                writer.writerow({**record, "setup_a": json.dumps(record["setup_a"]),
                                 "setup_b": json.dumps(record["setup_b"])})  # fmt: skip
        else:
            for record in records:
                out.write(json.dumps(record) + "\n")
    return len(records)


class ImportProblem(ValueError):
    """A file that cannot be read as votes; the message names the line and the fix."""


def read_records(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as source:
        if path.suffix.lower() == ".csv":
            return list(csv.DictReader(source))
        records = []
        for number, line in enumerate(source, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise ImportProblem(f"{path}:{number}: not JSON ({error.msg})") from error
        return records


def import_battles(path: Path, names: Mapping[str, str], known: Iterable[str]) -> list[Battle]:
    """The votes in ``path``, their model names mapped to registry keys by ``names``
    (a name already a key of ``known`` needs no entry). Unmapped names raise ImportProblem
    listing them all; a row's id is kept when it has one, so importing twice counts once."""
    known = set(known)
    records = read_records(path)
    missing = sorted(
        {r[side] for r in records for side in ("model_a", "model_b")} - known - set(names)
    )
    if missing:
        raise ImportProblem(
            f"{path}: no registry key for {', '.join(missing)}: map each with --map "
            "NAME=KEY (portrait-blur models lists the keys)"
        )
    battles = []
    for number, record in enumerate(records, 1):
        winner = record.get("winner")
        if winner not in WINNERS:
            raise ImportProblem(f"{path}: row {number}: winner {winner!r} is not one of "
                                f"{', '.join(WINNERS)}")  # fmt: skip
        battles.append(Battle(
            pair_id=record.get("pair_id") or _record_id(record),
            model_a=names.get(record["model_a"], record["model_a"]),
            model_b=names.get(record["model_b"], record["model_b"]),
            winner=winner, voter=str(record.get("judge") or "imported"),
            tstamp=float(record.get("tstamp") or 0.0),
            view=record.get("view") or "Cut-out", photo=record.get("photo") or "",
            photo_set=record.get("photo_set") or "imported",
            setup_a=_setup(record.get("setup_a")), setup_b=_setup(record.get("setup_b")),
            app_version=record.get("app_version") or "",
        ))  # fmt: skip
    return battles


def _setup(value) -> dict:
    if isinstance(value, str):
        return json.loads(value) if value else {}
    return value or {}


def _record_id(record: dict) -> str:
    """An id for a row that has none, from its content: the same row imported twice is
    one vote."""
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:32]
