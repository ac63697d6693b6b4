"""The argparse pieces the commands share: value types and the device and model options."""

from __future__ import annotations

import argparse

import blur
from models import devices, registry


def bounded(low: float, high: float):
    """An argparse type: a number from ``low`` to ``high``."""

    def number(text: str) -> float:
        value = float(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low:g}..{high:g} (got {text})")
        return value

    return number


def strength(text: str) -> int:
    """The app's Blur Strength: an odd kernel size."""
    value = int(text)
    if not (blur.MIN_STRENGTH <= value <= blur.MAX_STRENGTH) or value % 2 == 0:
        raise argparse.ArgumentTypeError(
            f"must be odd, {blur.MIN_STRENGTH}..{blur.MAX_STRENGTH} (got {text})"
        )
    return value


def band_percent(text: str) -> float:
    low, high = registry.MIN_TRIMAP_BAND * 100, registry.MAX_TRIMAP_BAND * 100
    return round(bounded(low, high)(text), 1)


def model_keys() -> list[str]:
    """The registry's model keys as they are now (read when a parser is built, never bound
    at import: tests and stand-ins add entries)."""
    return [spec.key for spec in registry.REGISTRY]


def default_model_keys() -> list[str]:
    """The models ticked on a first visit to the app: every in-box network."""
    return [spec.key for spec in registry.REGISTRY if spec.default]


def add_models(parser: argparse.ArgumentParser) -> None:
    """--model KEY, repeatable; ``args.models`` is the app's defaults when none is given."""
    parser.add_argument(
        "--model", action="append", dest="models", metavar="KEY", choices=model_keys(),
        help="model key (repeat for several; --list-models or `portrait-blur models` lists "
        "them); default: "
        f"{', '.join(default_model_keys())}, as in the app",
    )  # fmt: skip
    parser.set_defaults(models=None)


def add_device(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=devices.CHOICES, default=devices.AUTO)


def add_model_memory(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-memory", type=int, metavar="MB",
        help="memory budget for loaded models (default: half the machine's RAM)",
    )  # fmt: skip


def device_argument(parser: argparse.ArgumentParser, choice: str) -> str:
    """The torch device ``--device`` names, or the parser's error saying why not."""
    try:
        return devices.resolve_device(choice)
    except ValueError as error:
        parser.error(f"--device: {error}")
