"""`portrait-blur video CLIP --model KEY ... --out DIR`: the Video page from the command line.

Every model runs over every frame of the clip in the model service (worker processes, as
in the app); per model, OUT gets the blurred clip (H.264 MP4 with the clip's sound), the
matte and the overlay clips, and the exact mattes (FFV1, MKV); ``scores.csv`` has each
result's speed, flicker and, with ``--truth``, MAD, MSE and dtSSD; ``frames.csv`` the same
scores per frame. ``--demo`` writes the
synthetic demo clip and scores against its exact mattes. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from tqdm import tqdm

import blur
from commands.args import (
    add_device,
    add_model_memory,
    add_models,
    default_model_keys,
    device_argument,
    strength,
)  # fmt: skip
from evaluation.video.clip import ClipError, probe
from evaluation.video.pipeline import Look
from evaluation.video.session import Truth, VideoSession, demo_clip
from models.registry import get_spec
from service import ModelPool, configure_logging


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="portrait-blur video", description=__doc__)
    parser.add_argument("clip", nargs="?", type=Path, help="the clip (MP4, MOV, WebM, GIF, ...)")
    parser.add_argument("--demo", action="store_true", help="use the synthetic demo clip")
    add_models(parser)
    parser.add_argument("--out", type=Path, required=True, help="folder for the results")
    parser.add_argument(
        "--truth", type=Path, metavar="PATH",
        help="true mattes: a matte video, or a folder of PNGs (one per frame, in name order)",
    )  # fmt: skip
    parser.add_argument("--steady", action="store_true", help="add each model steadied")
    parser.add_argument("--strength", type=strength, default=blur.DEFAULT_STRENGTH)
    parser.add_argument("--lens", choices=blur.LENSES, default="gaussian")
    parser.add_argument("--no-clean-edges", dest="clean_edges", action="store_false")
    add_device(parser)
    add_model_memory(parser)
    args = parser.parse_args(argv)
    if (args.clip is None) == (not args.demo):
        parser.error("give a CLIP or --demo (one of them)")
    args.device = device_argument(parser, args.device)
    return args


def truth_from(path: Path | None) -> Truth | None:
    if path is None:
        return None
    if path.is_dir():
        return Truth(images=sorted(path.glob("*.png")))
    return Truth(video=path)


def follow(session: VideoSession) -> None:
    """A progress bar in frames per model until every run is done."""
    bar = tqdm(total=session.frames_total() * len(session.pending()), unit="frame")
    done_before, current = 0, None
    while session.busy:
        pending = session.pending()
        if pending:
            job = pending[0]
            if job is not current:
                done_before += current.frames_done if current else 0
                current = job
                bar.set_description(job.spec.label)
            bar.n = done_before + job.frames_done
            bar.refresh()
        time.sleep(0.2)
    bar.close()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    configure_logging()
    try:
        if args.demo:
            clip, truth = demo_clip()
            info = probe(clip, "demo clip")
        else:
            clip, truth = args.clip, truth_from(args.truth)
            info = probe(clip)
    except ClipError as error:
        print(f"portrait-blur video: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    pool = ModelPool(ram_budget_mb=args.model_memory)
    session = VideoSession(pool, folder=args.out, per_clip=False)
    session.use_clip(clip, info, truth if args.truth or args.demo else None)
    specs = [get_spec(key) for key in args.models or default_model_keys()]
    look = Look(args.strength, args.lens, args.clean_edges)
    try:
        session.submit(specs, args.device, args.steady, look)
        follow(session)
    finally:
        pool.shutdown()
    for result in session.results():
        for view in ("Matte", "Overlay"):
            session.view_file(result, view)
    rows = [result.scores() for result in session.results()]
    write_scores(args.out / "scores.csv", rows)
    write_frames(args.out / "frames.csv", session.results())
    for row in rows:
        print("  ".join(f"{name}: {value}" for name, value in row.items()))
    for message in session.errors().values():
        print(f"failed: {message}", file=sys.stderr)
    return 1 if session.errors() else 0


def write_frames(path: Path, results) -> None:
    """One row per result and frame: its time, flicker and, with the truth, MAD, MSE, dtSSD
    (empty where not scored: a first frame, a frame with nothing still)."""
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["result", "frame", "seconds", "flicker", "MAD", "MSE", "dtSSD"])
        for result in results:
            truth = result.truth
            for index, seconds in enumerate(result.times):
                scores = [result.flicker.values[index]]
                if truth is not None and index < truth.frames:
                    scores += [truth.mad_values[index], truth.mse_values[index],
                               truth.dtssd_values[index]]  # fmt: skip
                cells = ["" if value != value else f"{value:.6g}" for value in scores]
                writer.writerow([result.key, index, f"{seconds:.4f}", *cells])


def write_scores(path: Path, rows: list[dict]) -> None:
    names = list(dict.fromkeys(name for row in rows for name in row))
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, names)
        writer.writeheader()
        writer.writerows(rows)
