"""SAM3: real weight lookup and tokenizer; Ultralytics' predictor faked only at its boundary."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from models import clip_tokenizer, registry, runtime, sam3
from tests.conftest import red_subject_on_green

CLIP_PERSON = [49406, 2533, 49407]  # <start_of_text> person</w> <end_of_text>


class FakeSAM3SemanticPredictor:
    """Ultralytics' SAM3SemanticPredictor at its boundary: tests plumbing, not SAM3 itself.

    It checks what the real one needs (a weights file, `import clip` giving a tokenizer)
    and answers with two instance masks so the merge can be checked.
    """

    last = None

    def __init__(self, overrides):
        self.overrides = overrides
        FakeSAM3SemanticPredictor.last = self

    def setup_model(self, model=None, verbose=True):
        assert Path(self.overrides["model"]).is_file()
        import clip

        tokenizer = clip.simple_tokenizer.SimpleTokenizer()
        self.tokens = tokenizer(["person"], context_length=32)

    def set_image(self, image):
        self.image = image

    def __call__(self, text=None):
        self.text = text
        h, w = self.image.shape[:2]
        masks = torch.zeros(2, h, w, dtype=torch.bool)
        masks[0, : h // 2, : w // 2] = True
        masks[1, h // 2 :, w // 2 :] = True
        return [SimpleNamespace(masks=SimpleNamespace(data=masks))]


@pytest.fixture
def sam3_hub(offline_hub, monkeypatch):
    import ultralytics.models.sam

    spec = registry.get_spec("sam3")
    offline_hub.add(spec.repo, {spec.filename: b"stand-in weights"})
    monkeypatch.setattr(ultralytics.models.sam, "SAM3SemanticPredictor", FakeSAM3SemanticPredictor)
    monkeypatch.delitem(sys.modules, "clip", raising=False)
    monkeypatch.delitem(sys.modules, "clip.simple_tokenizer", raising=False)
    yield offline_hub
    runtime.unload("sam3")


def test_tokenizer_gives_clips_ids_for_person():
    from open_clip.tokenizer import SimpleTokenizer

    tokens = SimpleTokenizer()(["person"], context_length=32)
    assert tokens.dtype == torch.long and tokens.shape == (1, 32)
    assert tokens[0, :3].tolist() == CLIP_PERSON and tokens[0, 3:].eq(0).all()


def test_clip_module_is_provided_without_installing_anything(monkeypatch):
    monkeypatch.delitem(sys.modules, "clip", raising=False)
    monkeypatch.delitem(sys.modules, "clip.simple_tokenizer", raising=False)
    clip_tokenizer.install_clip_module()
    import clip

    tokens = clip.simple_tokenizer.SimpleTokenizer()(["person"], context_length=32)
    assert tokens[0, :3].tolist() == CLIP_PERSON


def test_weights_from_hub_cache_prompt_person_and_masks_merged(sam3_hub):
    photo = red_subject_on_green((101, 67))
    result = runtime.run_model("sam3", photo, "cpu")
    assert result.ok, result.error
    predictor = FakeSAM3SemanticPredictor.last
    assert predictor.text == ["person"]
    assert predictor.overrides["conf"] == 0.25
    assert predictor.overrides["imgsz"] == 1008  # SAM3's native size, as Meta runs it
    assert predictor.overrides["model"].endswith("sam3.pt")
    assert predictor.tokens[0, :3].tolist() == CLIP_PERSON
    rgb = np.asarray(photo)
    assert np.array_equal(predictor.image[..., ::-1], rgb)  # Ultralytics wants BGR
    alpha = result.alpha
    assert alpha.shape == (67, 101) and set(np.unique(alpha)) == {0.0, 1.0}
    assert alpha[0, 0] == 1.0 and alpha[-1, -1] == 1.0  # both instances
    assert alpha[0, -1] == 0.0 and alpha[-1, 0] == 0.0


def test_no_mask_means_no_subject(sam3_hub, monkeypatch):
    monkeypatch.setattr(FakeSAM3SemanticPredictor, "__call__", lambda self, text=None: [
        SimpleNamespace(masks=None)
    ])  # fmt: skip
    result = runtime.run_model("sam3", red_subject_on_green((40, 30)), "cpu")
    assert result.ok and not result.found_subject


def test_binary_mask_kind_and_precision_per_device():
    spec = registry.get_spec("sam3")
    assert spec.mask_kind == "binary"
    on_cuda = sam3.predictor_overrides(spec, "sam3.pt", "cuda")
    on_cpu = sam3.predictor_overrides(spec, "sam3.pt", "cpu")
    assert on_cuda["device"] == "0" and on_cpu["device"] == "cpu"
    assert on_cuda.get("quantize", on_cuda.get("half")) in (16, True)
    assert on_cpu.get("quantize", on_cpu.get("half")) in (32, False)
    assert sam3.predictor_overrides(spec, "sam3.pt", "mps")["device"] == "mps"


def test_no_usage_events_once_sam3_loads_and_the_settings_file_is_untouched(sam3_hub):
    from ultralytics.utils import SETTINGS, events

    settings_file = Path(SETTINGS.file)
    before = settings_file.read_bytes() if settings_file.exists() else None
    events.events.enabled = True  # as with `sync` on, online, from a pip install
    sam3.build(registry.get_spec("sam3"), "cpu")
    assert events.events.enabled is False
    after = settings_file.read_bytes() if settings_file.exists() else None
    assert after == before
