"""Every model on every labelled photo, scored against the truth, written as it goes.

Per image and model, one JSON line in ``per_image.jsonl`` (appended the moment it is
scored; a rerun skips what is done and tries failures again) and the predicted matte under
``mattes/<model>/``.
From those: ``leaderboard.csv`` / ``.md`` (mean and median of each metric per model, mean
inference time, the model worker's peak memory) and ``report.html`` with each model's best
and worst photos, blurred with the app's own compositing and export code.
"""

from __future__ import annotations

import csv
import html
import io
import json
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from blur.arrays import to_alpha
from evaluation import metrics
from evaluation.dataset import Item, read_matte
from models.registry import ModelSpec
from models.runtime import ModelResult
from photo.decode import PhotoError, decode_photo
from photo.exports import Export, make_file

# Leaderboard columns: each averaged (mean and median) over the photos a model ran on.
COLUMNS = ("sad", "mse", "grad", "conn", "mae", "iou", "boundary_iou", "soft_sad", "soft_grad")
RunModel = Callable[[ModelSpec, str, bytes], tuple[ModelResult, float]]  # result, worker MB
Progress = Callable[[str, int], None]
EXAMPLES = 2  # best and worst photos shown per model in the report
THUMB = 256


@dataclass
class Results:
    """The per-image rows so far, kept in ``per_image.jsonl`` under ``out``."""

    out: Path

    def __post_init__(self) -> None:
        self.path = self.out / "per_image.jsonl"
        self._latest: dict[tuple[str, str], dict] = {}  # a later line replaces an earlier one
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                if line.strip():
                    self._remember(json.loads(line))

    def _remember(self, row: dict) -> None:
        self._latest[(row["image"], row["model"])] = row

    @property
    def rows(self) -> list[dict]:
        return list(self._latest.values())

    def done(self, image: str, model: str) -> bool:
        """Scored already; a failure is tried again."""
        row = self._latest.get((image, model))
        return row is not None and "error" not in row

    def add(self, row: dict) -> None:
        self._remember(row)
        with self.path.open("a") as out:
            out.write(json.dumps(row) + "\n")


def matte_path(out: Path, model: str, image: str) -> Path:
    return out / "mattes" / model / f"{image}.png"


def load(item: Item) -> tuple[bytes, np.ndarray]:
    """The photo's bytes and its true alpha (float32), checked against each other."""
    data = item.image.read_bytes()
    size = decode_photo(data, item.image.name).full_size
    return data, read_matte(item.matte, size)


Work = tuple[Item, bytes, np.ndarray, list[ModelSpec]]  # photo, its bytes, truth, models to run


def pending(items: list[Item], specs: list[ModelSpec], results: Results,
            progress: Progress) -> Iterator[Work]:  # fmt: skip
    """(item, photo bytes, true alpha, models still to run on it) for every item with work
    left; an unreadable photo or matte becomes error rows instead."""
    for item in items:
        todo = [spec for spec in specs if not results.done(item.name, spec.key)]
        if len(todo) < len(specs):
            progress(f"{item.name}: scored before", len(specs) - len(todo))
        if not todo:
            continue
        try:
            data, truth = load(item)
        except (OSError, ValueError, PhotoError) as error:
            for spec in todo:
                results.add({"image": item.name, "model": spec.key, "error": str(error)})
            progress(f"{item.name}: {error}", len(todo))
            continue
        yield item, data, truth, todo


def score_photo(spec: ModelSpec, name: str, truth: np.ndarray, result: ModelResult,
                worker_mb: float) -> tuple[dict, bytes | None]:  # fmt: skip
    """One model's result on one photo as a row of scores, and its matte as PNG bytes (the
    same wherever it ran: in this process or on a Ray worker)."""
    row = {"image": name, "model": spec.key, "worker_mb": round(worker_mb)}
    if not result.ok:
        return {**row, "error": result.error}, None
    matte = result.matte_at(truth.shape)
    png = io.BytesIO()
    Image.fromarray(matte).save(png, "PNG")
    scores = metrics.score(to_alpha(matte), truth).flat()
    return {**row, "inference_s": result.inference_s, **scores}, png.getvalue()


def keep(results: Results, out: Path, row: dict, png: bytes | None) -> None:
    """A scored row, on disk the moment it arrives (its matte first)."""
    if png is not None:
        path = matte_path(out, row["model"], row["image"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
    results.add(row)


def evaluate(items: list[Item], specs: list[ModelSpec], run_model: RunModel, out: Path,
             progress: Progress = lambda text, runs: None) -> Results:  # fmt: skip
    """Score every model on every item not already in ``out``, in this process; unreadable
    photos and mattes become rows with an error, and the rest go on. ``progress(text,
    runs)`` hears of each run done (or skipped)."""
    out.mkdir(parents=True, exist_ok=True)
    results = Results(out)
    for item, data, truth, todo in pending(items, specs, results, progress):
        for spec in todo:
            result, worker_mb = run_model(spec, item.image.name, data)
            keep(results, out, *score_photo(spec, item.name, truth, result, worker_mb))
            progress(f"{item.name} · {spec.label}", 1)
    return results


def leaderboard(rows: list[dict], specs: list[ModelSpec]) -> list[dict]:
    """Per model: photos scored and failed, mean and median of each metric, mean inference
    time and the worker's peak memory; best mean SAD first."""
    board = []
    for spec in specs:
        mine = [r for r in rows if r["model"] == spec.key]
        scored = [r for r in mine if "error" not in r]
        entry = {"model": spec.label, "key": spec.key, "photos": len(scored),
                 "failed": len(mine) - len(scored)}  # fmt: skip
        for column in COLUMNS:
            values = [r[column] for r in scored]
            entry[f"{column}_mean"] = statistics.fmean(values) if values else None
            entry[f"{column}_median"] = statistics.median(values) if values else None
        times = [r["inference_s"] for r in scored]
        entry["inference_s"] = statistics.fmean(times) if times else None
        entry["peak_worker_mb"] = max((r.get("worker_mb", 0) for r in mine), default=0)
        board.append(entry)
    return sorted(board, key=lambda e: (e["sad_mean"] is None, e["sad_mean"] or 0.0))


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_leaderboard(board: list[dict], out: Path, notice: str | None = None) -> None:
    with (out / "leaderboard.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(board[0]))
        writer.writeheader()
        writer.writerows(board)
    shown = ["model", "photos", "failed", *(f"{c}_mean" for c in COLUMNS), "sad_median",
             "inference_s", "peak_worker_mb"]  # fmt: skip
    lines = [f"> {notice}", ""] if notice else []
    lines += ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    lines += ["| " + " | ".join(_cell(entry[c]) for c in shown) + " |" for entry in board]
    lines += ["", "SAD, Grad and Conn in thousands; IoUs higher is better, all else lower."]
    (out / "leaderboard.md").write_text("\n".join(lines) + "\n")


def _thumbnail(image: Image.Image, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    copy = image.convert("RGB")
    copy.thumbnail((THUMB, THUMB))
    copy.save(path, quality=85)
    return path.as_posix()


def _examples(rows: list[dict], spec: ModelSpec) -> list[tuple[str, dict]]:
    scored = sorted((r for r in rows if r["model"] == spec.key and "error" not in r),
                    key=lambda r: r["sad"])  # fmt: skip
    best = [("best", r) for r in scored[:EXAMPLES]]
    worst = [("worst", r) for r in scored[EXAMPLES:][-EXAMPLES:][::-1]]
    return best + worst


def write_report(rows: list[dict], board: list[dict], specs: list[ModelSpec],
                 items: Iterable[Item], out: Path, notice: str | None = None,
                 strength: int = 101) -> Path:  # fmt: skip
    """report.html: the leaderboard, then each model's best and worst photos (photo, true
    matte, predicted matte, blurred with the app's export code)."""
    by_name = {item.name: item for item in items}
    shown = ["model", "photos", "failed", "sad_mean", "grad_mean", "conn_mean", "iou_mean",
             "boundary_iou_mean", "inference_s", "peak_worker_mb"]  # fmt: skip
    parts = ["<!doctype html><meta charset=utf-8><title>Portrait Blur Arena evaluation</title>",
             "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 8px;"
             "border-bottom:1px solid #ddd;text-align:right}img{margin:2px}</style>",
             "<h1>Evaluation</h1>"]  # fmt: skip
    if notice:
        parts.append(f"<p><strong>{html.escape(notice)}</strong></p>")
    parts.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in shown) + "</tr>")
    for entry in board:
        parts.append("<tr>" + "".join(f"<td>{html.escape(_cell(entry[c]))}</td>"
                                      for c in shown) + "</tr>")  # fmt: skip
    parts.append("</table><p>SAD, Grad and Conn in thousands (lower is better); IoUs higher "
                 "is better.</p>")  # fmt: skip
    for spec in specs:
        parts.append(f"<h2>{html.escape(spec.label)}</h2>")
        for kind, row in _examples(rows, spec):
            item = by_name.get(row["image"])
            if item is None:
                continue
            photo = decode_photo(item.image.read_bytes(), item.image.name).image
            truth = Image.open(item.matte)
            predicted = Image.open(matte_path(out, spec.key, item.name))
            export = Export(item.name, spec.key, np.asarray(photo), np.asarray(predicted),
                            spec.soft_mask, strength)  # fmt: skip
            blurred = Image.open(io.BytesIO(make_file(export, "blur.jpg")))
            folder = out / "report" / spec.key
            images = [
                _thumbnail(picture, folder / f"{item.name}-{what}.jpg")
                for what, picture in (("photo", photo), ("truth", truth),
                                      ("predicted", predicted), ("blurred", blurred))
            ]  # fmt: skip
            relative = [Path(p).relative_to(out).as_posix() for p in images]
            parts.append(
                f"<p>{kind}: {html.escape(item.name)} · SAD {row['sad']:.3f} · IoU "
                f"{row['iou']:.3f}<br>"
                + "".join(f'<img src="{html.escape(p)}" width={THUMB}>' for p in relative)
                + "<br><small>photo · true matte · predicted matte · blurred</small></p>"
            )
    path = out / "report.html"
    path.write_text("\n".join(parts) + "\n")
    return path
