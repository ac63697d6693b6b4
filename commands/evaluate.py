"""`portrait-blur eval`: models measured against true mattes, on your photos or on a
synthetic set made here (offline, nothing to download).

    portrait-blur eval --images DIR --mattes DIR [--model KEY ...] --out DIR
    portrait-blur eval --synthetic 20 --out results

Without --model it scores the app's default models: every network shipped with the app.

Photos and mattes are paired by file name. Writes per_image.jsonl, leaderboard.csv and
.md, and report.html under --out; a rerun skips the photos and models already scored.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from commands.args import (
    add_device,
    add_model_memory,
    add_models,
    default_model_keys,
    device_argument,
)
from evaluation import cluster, run, synthetic
from evaluation.dataset import pair_files
from models.registry import get_spec
from service import ModelPool, PhotoFile, configure_logging


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="portrait-blur eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", type=Path, help="folder of photos")
    source.add_argument("--synthetic", type=int, metavar="N",
                        help="make N labelled composites here and evaluate on them")  # fmt: skip
    parser.add_argument("--mattes", type=Path, help="folder of true mattes, named as the photos")
    add_models(parser)
    parser.add_argument("--out", type=Path, required=True, help="folder for the results")
    add_device(parser)
    parser.add_argument("--seed", type=int, default=0, help="of the synthetic set")
    add_model_memory(parser)
    parser.add_argument(
        "--ray", metavar="ADDRESS", default=os.environ.get("RAY_ADDRESS"),
        help="run on a Ray cluster: auto (the one this machine is in, else one started "
        "here), local (start one here), or a cluster's address; default $RAY_ADDRESS, else "
        "in this process",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=1,
                        help="with --ray: actors per model (each takes a GPU on CUDA)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.images is not None and args.mattes is None:
        parser.error("--images needs --mattes")
    if args.synthetic is not None and args.synthetic < 1:
        parser.error("--synthetic needs a positive count")
    args.device = device_argument(parser, args.device)
    return args


def in_process(args, items, specs, progress) -> run.Results:
    pool = ModelPool(ram_budget_mb=args.model_memory)

    def run_model(spec, name, data):
        result = pool.run(spec, PhotoFile(name, data), args.device)
        return result, pool.peak_mb(spec.key, result.device)

    try:
        return run.evaluate(items, specs, run_model, args.out, progress=progress)
    finally:
        pool.shutdown()


def on_ray(args, items, specs, progress) -> run.Results:
    cluster.connect(args.ray, cpus=max(2, args.workers))
    return cluster.evaluate_on_ray(items, specs, args.device, args.out, args.workers, progress)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    notice = None
    if args.synthetic:
        images, mattes = args.out / "synthetic" / "images", args.out / "synthetic" / "mattes"
        synthetic.write(args.synthetic, images, mattes, args.seed)
        notice = synthetic.NOTICE
    else:
        images, mattes = args.images, args.mattes
    items, problems = pair_files(images, mattes)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not items:
        print("No photo has a matte to compare with: nothing to evaluate.", file=sys.stderr)
        return 1
    specs = [get_spec(key) for key in args.models or default_model_keys()]
    bar = tqdm(total=len(items) * len(specs), unit="run", file=sys.stderr)

    def progress(text: str, runs: int) -> None:
        bar.set_description(text[:60])
        bar.update(runs)

    try:
        if args.ray:
            results = on_ray(args, items, specs, progress)
        else:
            results = in_process(args, items, specs, progress)
    except cluster.RayMissing as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        bar.close()
    board = run.leaderboard(results.rows, specs)
    run.write_leaderboard(board, args.out, notice)
    report = run.write_report(results.rows, board, specs, items, args.out, notice)
    print((args.out / "leaderboard.md").read_text())
    print(f"Report: {report}")
    failed = [r for r in results.rows if "error" in r]
    for line in failure_lines(failed):
        print(line, file=sys.stderr)
    return 1 if failed or problems else 0


def failure_lines(failed: list[dict], named: int = 3) -> list[str]:
    """One line per model and error: a model that cannot start fails every photo alike."""
    photos: dict[tuple[str, str], list[str]] = {}
    for row in failed:
        photos.setdefault((row["model"], row["error"]), []).append(row["image"])
    lines = []
    for (model, error), names in photos.items():
        more = len(names) - named
        which = ", ".join(names[:named]) + (f" and {more} more" if more > 0 else "")
        lines.append(f"{model} on {which}: {error}")
    return lines
