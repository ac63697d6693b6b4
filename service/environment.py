"""What every model process runs with, on this machine (the pool's workers) or on a Ray node."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Libraries that report usage when allowed to, told not to in model workers: these are
# people's photos. (Ultralytics is switched off by the SAM3 adapter itself.)
NO_TELEMETRY = {"HF_HUB_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}
# Every torch.load in a worker unpickles tensors and plain data only, even where a library
# asks for more (Ultralytics loads SAM3's checkpoint with weights_only=False): a pickle that
# would run code is refused (models.errors explains it in the model's column).
SAFE_LOADING = {"TORCH_FORCE_WEIGHTS_ONLY_LOAD": "1"}


def worker_variables() -> dict[str, str]:
    """The variables a model process gets on top of its parent's: the project on the path,
    no usage reporting, only weights unpickled."""
    path = [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**NO_TELEMETRY, **SAFE_LOADING, "PYTHONPATH": os.pathsep.join(path)}


def worker_environment() -> dict[str, str]:
    """The server's environment with ``worker_variables``."""
    return {**os.environ, **worker_variables()}
