"""One entry of the registry on one photo, refined entries included: the same steps for the
app's sessions, the batch command and ``portrait-blur models --check``."""

from __future__ import annotations

from collections.abc import Callable

from models.registry import ModelSpec
from models.runtime import ModelResult, refine_guide
from service.pool import ModelPool, PhotoFile, StateListener


def run_spec(
    pool: ModelPool,
    spec: ModelSpec,
    photo: PhotoFile,
    device: str,
    base: ModelResult | None = None,
    on_state: StateListener | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ModelResult | None:
    """``spec``'s result on ``photo``. A refined entry works from ``base``, its base model's
    result of the photo (None: not run), and may need no worker at all (the base found no
    subject, or failed: the result says so). Never raises; None only when ``cancelled()``
    turned true while the job was still queued."""
    guide = None
    if spec.base is not None:
        guide = refine_guide(spec, base, device)
        if isinstance(guide, ModelResult):
            return guide
    return pool.run(spec, photo, device, on_state=on_state, cancelled=cancelled, guide=guide)
