from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def astronaut_path() -> Path:
    """NASA portrait of Eileen Collins (public domain), 512x512, from scikit-image's data."""
    return DATA / "astronaut.png"


@pytest.fixture
def astronaut(astronaut_path) -> Image.Image:
    return Image.open(astronaut_path).convert("RGB")


@pytest.fixture
def astronaut_rgb(astronaut) -> np.ndarray:
    return np.asarray(astronaut)


@pytest.fixture
def add_standin_model(monkeypatch):
    """Registers a stand-in adapter module and a registry entry that uses it.

    Stand-ins test the app's and runtime's plumbing (loading, caching, errors), never a
    model's quality; nothing they return is shown as a model result.
    """
    import sys
    import types

    from models import registry, runtime
    from models.registry import ModelSpec

    added = []

    def add(key: str, label: str, build, **spec_fields) -> tuple[types.ModuleType, ModelSpec]:
        family = f"standin_{key}"
        module = types.ModuleType(f"models.{family}")
        module.build = build
        monkeypatch.setitem(sys.modules, module.__name__, module)
        fields = dict(
            package="tests", mask_kind="alpha", licence="none", url="https://example.invalid"
        )
        spec = ModelSpec(key=key, label=label, family=family, **{**fields, **spec_fields})
        monkeypatch.setattr(registry, "REGISTRY", registry.REGISTRY + (spec,))
        added.append(key)
        return module, spec

    yield add
    for key in added:
        runtime.unload(key)
