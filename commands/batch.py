"""`portrait-blur PHOTO...`: the app's comparison for many photos at once, from the command line.

Same registry, model service and compositing as the app: models run in worker processes
with the same timeouts and memory budget; writes, per photo and model, the files of the
app's ZIP (overlay, matte, cut-out, blurred photo) under OUT/<photo>/. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

import blur
from blur.mask_controls import (
    MAX_FEATHER_PX,
    MAX_GROW_PX,
    MAX_SENSITIVITY,
    MIN_SENSITIVITY,
    MaskControls,
    adjust_matte,
)
from commands.args import (
    add_device,
    add_model_memory,
    add_models,
    band_percent,
    bounded,
    default_model_keys,
    device_argument,
    strength,
)
from commands.models import format_table, registry_rows
from models import NO_SUBJECT, hub
from models.registry import (
    DEFAULT_TRIMAP_BAND,
    REFINERS,
    ModelSpec,
    get_refiner,
    get_spec,
    refined,
)
from photo.decode import UPLOAD_TYPES, PhotoError, decode_photo, export_exif
from photo.exports import Export, photo_folders, write_files
from service import ModelPool, PhotoFile, configure_logging
from service.runs import run_spec

log = logging.getLogger("portrait_blur.cli")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="portrait-blur", description=__doc__)
    parser.add_argument(
        "photos", nargs="+", type=Path, metavar="PHOTO",
        help="photos, or folders of photos (the images in them, not in subfolders)",
    )  # fmt: skip
    add_models(parser)
    parser.add_argument("--out", type=Path, required=True, help="folder for the results")
    parser.add_argument(
        "--strength", type=strength, default=blur.DEFAULT_STRENGTH,
        help=f"Blur Strength, as in the app: a kernel size, odd, {blur.MIN_STRENGTH}.."
        f"{blur.MAX_STRENGTH} (default {blur.DEFAULT_STRENGTH}), in pixels of a photo "
        f"{blur.REFERENCE_SIDE} px on its longer side, scaled to each photo",
    )  # fmt: skip
    parser.add_argument("--lens", choices=blur.LENSES, default="gaussian", help="blur shape")
    add_device(parser)
    add_model_memory(parser)
    parser.add_argument(
        "--no-clean-edges", dest="clean_edges", action="store_false",
        help="keep the photo's colours in soft edges (default: the subject's own colour)",
    )  # fmt: skip
    parser.add_argument(
        "--keep-gps", action="store_true",
        help="keep the photo's GPS position in the blurred JPEG's EXIF (default: removed; "
        "camera, date and settings are always kept)",
    )  # fmt: skip
    parser.add_argument(
        "--refine", metavar="REFINER", choices=[spec.key for spec in REFINERS],
        help="also write each model's mask refined by REFINER "
        f"({', '.join(spec.key for spec in REFINERS)}), as MODEL+REFINER",
    )  # fmt: skip
    parser.add_argument(
        "--refine-band", type=band_percent, default=DEFAULT_TRIMAP_BAND * 100, metavar="PERCENT",
        help="the refiner's unknown band on each side of the mask's edge, in percent of the "
        f"photo's longer side (default {DEFAULT_TRIMAP_BAND * 100:g})",
    )  # fmt: skip
    scale = f"pixels of a photo {blur.REFERENCE_SIDE} px on its longer side, scaled to each photo"
    parser.add_argument(
        "--sensitivity", type=bounded(MIN_SENSITIVITY, MAX_SENSITIVITY), default=0.5,
        help="the alpha of a soft mask that becomes one half is 1 - SENSITIVITY: higher takes "
        "in more (default 0.5: masks as they are)",
    )  # fmt: skip
    parser.add_argument(
        "--grow", type=bounded(-MAX_GROW_PX, MAX_GROW_PX), default=0.0, metavar="PX",
        help=f"widen (positive) or narrow (negative) every mask, in {scale}",
    )  # fmt: skip
    parser.add_argument(
        "--feather", type=bounded(0, MAX_FEATHER_PX), default=0.0, metavar="PX",
        help=f"soften every mask's edge (a Gaussian's sigma), in {scale}",
    )  # fmt: skip
    parser.add_argument("--list-models", action=ListModels, help="print the registry and exit")
    args = parser.parse_args(argv)
    args.models = args.models or default_model_keys()
    args.photos = photo_files(parser, args.photos)
    args.device = device_argument(parser, args.device)
    args.specs = result_specs(args)
    args.mask = MaskControls(args.sensitivity, args.grow, args.feather)
    return args


class ListModels(argparse.Action):
    """--list-models: the registry's table, then exit (no photo or --out needed)."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(format_table(registry_rows()))
        parser.exit()


def photo_files(parser: argparse.ArgumentParser, paths: list[Path]) -> list[Path]:
    """The photos named, a folder standing for the image files in it (by name, sorted)."""
    found = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        inside = sorted(p for p in path.iterdir() if p.is_file()
                        and p.suffix.lower().lstrip(".") in UPLOAD_TYPES)  # fmt: skip
        if not inside:
            parser.error(f"{path} holds no photo ({', '.join(UPLOAD_TYPES)})")
        found.extend(inside)
    return found


def result_specs(args: argparse.Namespace) -> list[ModelSpec]:
    """The models asked for, each followed by its refined entry when --refine is given."""
    specs = []
    for key in args.models:
        specs.append(get_spec(key))
        if args.refine:
            band = args.refine_band / 100
            specs.append(refined(specs[-1], get_refiner(args.refine), band))
    return specs


def process(path: Path, folder: str, args, pool: ModelPool, bar: tqdm) -> int:
    """Every model on one photo; returns how many failed."""
    try:
        file = PhotoFile(path.name, path.read_bytes())
        photo = decode_photo(file.data, file.name)
    except (PhotoError, OSError) as error:
        message = str(error) if isinstance(error, PhotoError) else f"{path}: {error}"
        tqdm.write(message, file=sys.stderr)
        bar.update(len(args.specs))
        return 1
    failures, rgb, results = 0, None, {}
    for spec in args.specs:
        bar.set_description(f"{path.name} · {spec.label}")
        if unavailable(spec, args.unavailable):
            failures += 1  # said once, with the first photo
            bar.update(1)
            continue
        base = results.get(spec.base.key) if spec.base else None
        result = run_spec(pool, spec, file, args.device, base)
        results[spec.key] = result
        if not result.ok:
            if hub.offline_reason(spec.runner):  # the same on every photo: not tried again
                args.unavailable.add(spec.runner.key)
                result.error += " (Skipped for the other photos.)"
            if spec.base is None or (base is not None and base.ok):
                tqdm.write(f"{path.name}: {result.error}", file=sys.stderr)
            failures += 1
        elif not result.found_subject:
            tqdm.write(f"{path.name}: {spec.label}: {NO_SUBJECT}.", file=sys.stderr)
        else:
            rgb = np.asarray(photo.image) if rgb is None else rgb
            matte = adjust_matte(result.matte, args.mask)
            item = Export(
                folder, spec.key + args.mask.tag, rgb, matte, spec.soft_mask, args.strength,
                args.lens, args.clean_edges, export_exif(photo.exif, args.keep_gps),
            )  # fmt: skip
            write_files(item, args.out)
        bar.update(1)
    return failures


def unavailable(spec: ModelSpec, keys: set[str]) -> bool:
    """Whether ``spec``, the worker that computes it (a refiner) or the model it refines
    cannot run here, as an earlier photo found."""
    return bool({spec.key, spec.runner.key, *([spec.base.key] if spec.base else [])} & keys)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.unavailable = set()  # models found unable to run on any photo (offline, not cached)
    configure_logging()
    pool = ModelPool(ram_budget_mb=args.model_memory)
    folders = photo_folders([p.name for p in args.photos])
    failures = 0
    try:
        with tqdm(total=len(args.photos) * len(args.specs), unit="result") as bar:
            for path, folder in zip(args.photos, folders, strict=True):
                failures += process(path, folder, args, pool, bar)
    finally:
        pool.shutdown()
    print(f"Results in {args.out}" + (f" ({failures} failed)" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
