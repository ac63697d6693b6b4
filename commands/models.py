"""`portrait-blur models`: the registry as a table; `--check KEY` downloads and runs one
model; `--update KEY` moves the pin of a model's Hub code to the repo's newest commit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from commands.args import add_device
from models import devices, pins
from models.registry import REFINERS, REGISTRY, get_refiner, get_spec, refined
from photo.samples import sample_path

SAMPLE_PHOTO = sample_path()
COLUMNS = ("key", "label", "source", "mask", "licence", "download", "per photo", "pinned")


def registry_rows() -> list[tuple[str, ...]]:
    """One row per model, then one per refiner (its key is what `--refine` takes)."""
    return [
        (
            spec.key,
            spec.label,
            spec.source,
            spec.mask_kind,
            spec.licence,
            f"~{spec.download_mb} MB" if spec.download_mb else "none (shipped)",
            cost_text(spec),
            pins.describe(spec),
        )
        for spec in REGISTRY + REFINERS
    ]


def cost_text(spec) -> str:
    """The cost class and typical seconds per photo, on two CPU cores and on a GPU."""
    gpu = f", ~{spec.seconds('cuda'):g} s GPU" if "cuda" in spec.devices else ""
    exact = f" (~{spec.seconds(devices.EXACT_CPU):g} s exact fp32)" if spec.onnx_on_cpu else ""
    return f"{spec.cost.name}: ~{spec.seconds('cpu'):g} s CPU{exact}{gpu}"


def format_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [COLUMNS, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def check(key: str, device_choice: str) -> int:
    """Download (if needed) and run one model on the bundled portrait, as the app runs it."""
    from service import ModelPool, PhotoFile, configure_logging
    from service.runs import run_spec

    configure_logging()
    spec = checked_spec(key)
    device = devices.resolve_device(device_choice)
    photo = PhotoFile(SAMPLE_PHOTO.name, SAMPLE_PHOTO.read_bytes())
    print(f"Checking {spec.label} ({spec.source}) on {devices.device_label(device)}…", flush=True)
    pool = ModelPool()
    try:
        base = None
        if spec.base is not None:  # a refiner: on its base model's mask of the photo
            base = run_spec(pool, spec.base, photo, device, on_state=show_download)
        result = run_spec(pool, spec, photo, device, base, on_state=show_download)
    finally:
        pool.shutdown()
    if not result.ok:
        print(result.error, file=sys.stderr)
        return 1
    foreground = float((result.alpha > 0.5).mean())
    print(
        f"{spec.label} on {devices.device_label(result.device)}: loaded in {result.load_s:.1f} s, "
        f"inference {result.inference_s:.2f} s, foreground {foreground:.0%} of the photo"
    )
    return 0


def checked_spec(key: str):
    """The entry `--check KEY` runs: a model, a refined one ("sam3+closed_form"), or a
    refiner alone, which refines the offline model's mask."""
    if any(refiner.key == key for refiner in REFINERS):
        default = next(spec for spec in REGISTRY if spec.default)
        return refined(default, get_refiner(key))
    return get_spec(key)


def update(key: str) -> int:
    """Pin ``key``'s repo at its newest commit: downloaded if the Hub is reachable, else
    the newest one in the local cache."""
    from huggingface_hub import snapshot_download

    from models import hub

    spec = get_spec(key)
    if not pins.needs_pin(spec):
        why = "its registry entry pins the revision" if spec.revision else "it runs no Hub code"
        print(f"{spec.label} has no pin to move: {why}.", file=sys.stderr)
        return 2
    online = hub.hub_reachable()
    if not online:
        print("The Hub is not reachable: pinning the newest commit in the local cache.")
    old = pins.forget(spec)
    try:
        folder = Path(
            snapshot_download(
                spec.repo,
                allow_patterns=list(spec.files),
                local_files_only=not online,
                tqdm_class=hub.progress_class(spec.label),
            )
        )
        pins.verify(spec, folder)
    except Exception as error:
        if old is not None:
            pins.restore(spec, old)
        print(f"{spec.label}: the pin stays where it was: {error}", file=sys.stderr)
        return 1
    before = old.commit[:7] if old else "nothing"
    print(f"{spec.label} ({spec.repo}): pinned at {folder.name[:7]} (was {before}).")
    print(f"Run `uv run portrait-blur models --check {spec.key}` to try it.")
    return 0


def show_download(state) -> None:
    if state.stage == "downloading":
        print(f"\r  {state.done_bytes / 1e6:,.0f} / {state.total_bytes / 1e6:,.0f} MB", end="")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portrait-blur models", description=__doc__)
    parser.add_argument("--check", metavar="KEY", help="download (if needed) and run one model")
    parser.add_argument(
        "--update", metavar="KEY",
        help="move the pin of a model's Hub code to the repo's newest commit",
    )  # fmt: skip
    add_device(parser)
    args = parser.parse_args(argv)
    if args.update:
        try:
            return update(args.update)
        except KeyError as error:
            print(error.args[0] if error.args else error, file=sys.stderr)
            return 2
    if args.check:
        try:
            return check(args.check, args.device)
        except (KeyError, ValueError) as error:
            print(error.args[0] if error.args else error, file=sys.stderr)
            return 2
    print(format_table(registry_rows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
