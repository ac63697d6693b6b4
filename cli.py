"""`portrait-blur`: the app's comparison for many photos at once, from the command line.

Same registry, adapters and compositing as the app; writes, per photo and model, the files
of the app's ZIP (overlay, matte, cut-out, blurred photo) under OUT/<photo>/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

import blur
from exports import Export, photo_folders, write_files
from models import devices
from models.__main__ import format_table, registry_rows
from models.registry import REGISTRY, get_spec
from models.runtime import run_model
from photo import PhotoError, decode_photo


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="portrait-blur", description=__doc__)
    parser.add_argument("photos", nargs="*", type=Path, help="photos to process")
    parser.add_argument(
        "--model", action="append", dest="models", metavar="KEY",
        help="model key (repeat for several; see --list-models)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, help="folder for the results")
    parser.add_argument(
        "--strength", type=int, default=blur.DEFAULT_STRENGTH, help="blur kernel size"
    )
    parser.add_argument("--lens", choices=blur.LENSES, default="gaussian", help="blur shape")
    parser.add_argument("--device", default="Auto", help="Auto, CUDA, MPS or CPU")
    parser.add_argument(
        "--no-clean-edges", dest="clean_edges", action="store_false",
        help="keep the photo's colours in soft edges (default: the subject's own colour)",
    )  # fmt: skip
    parser.add_argument("--list-models", action="store_true", help="print the registry and exit")
    args = parser.parse_args(argv)
    if not args.list_models:
        if not args.photos or not args.models or args.out is None:
            parser.error("give PHOTO..., at least one --model KEY and --out DIR")
        known = {spec.key for spec in REGISTRY}
        unknown = [key for key in args.models if key not in known]
        if unknown:
            parser.error(f"unknown model {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if not (blur.MIN_STRENGTH <= args.strength <= blur.MAX_STRENGTH) or args.strength % 2 == 0:
            parser.error(f"--strength must be odd, {blur.MIN_STRENGTH}..{blur.MAX_STRENGTH}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list_models:
        print(format_table(registry_rows()))
        return 0
    device = devices.resolve_device(args.device)
    folders = photo_folders([p.name for p in args.photos])
    failures = 0
    with tqdm(total=len(args.photos) * len(args.models), unit="result") as bar:
        for path, folder in zip(args.photos, folders, strict=True):
            try:
                photo = decode_photo(path.read_bytes(), path.name)
            except (PhotoError, OSError) as error:
                message = str(error) if isinstance(error, PhotoError) else f"{path}: {error}"
                tqdm.write(message, file=sys.stderr)
                failures += 1
                bar.update(len(args.models))
                continue
            rgb = None
            for key in args.models:
                bar.set_description(f"{path.name} · {get_spec(key).label}")
                result = run_model(key, photo.model_image, device)
                if not result.ok:
                    tqdm.write(f"{path.name}: {result.error}", file=sys.stderr)
                    failures += 1
                elif not result.found_subject:
                    tqdm.write(
                        f"{path.name}: {result.spec.label}: No humans detected.", file=sys.stderr
                    )
                else:
                    if rgb is None:
                        rgb = np.asarray(photo.image)
                    soft = result.spec.soft_mask
                    item = Export(
                        folder, key, rgb, result.alpha, soft, args.strength, args.lens,
                        args.clean_edges,
                    )  # fmt: skip
                    write_files(item, args.out)
                bar.update(1)
    print(f"Results in {args.out}" + (f" ({failures} failed)" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
