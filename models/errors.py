"""User-facing model failures: one message per cause, naming the model and the fix."""

from __future__ import annotations

from models.registry import ModelSpec


class ModelUnavailable(RuntimeError):
    """A model cannot be loaded here, with a message that tells the user what to do."""


def describe_failure(spec: ModelSpec, error: BaseException) -> str:
    """One clear line (or two) for the model's column; never a traceback."""
    if isinstance(error, ModelUnavailable):
        return str(error)
    if isinstance(error, MemoryError) or "out of memory" in str(error).lower():
        return (
            f"{spec.label} ran out of memory. Choose CPU as the compute device, "
            "tick fewer models, or use a smaller photo."
        )
    summary = str(error).strip().splitlines()[0] if str(error).strip() else ""
    name = type(error).__name__
    return f"{spec.label} failed: {name}: {summary}" if summary else f"{spec.label} failed: {name}"
