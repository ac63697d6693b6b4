"""`uv run python tools/ext_portrait_onnx.py SNAPSHOT`: SINet and ExtremeC3Net as ONNX.

A one-time conversion, kept to show how models/assets/sinet.onnx and extremec3.onnx were made
and to remake them. SNAPSHOT is NAVER's github.com/clovaai/ext_portrait_segmentation (MIT),
as a checked-out folder or a bare git directory (its HEAD is read). From it come the model
definitions (models/SINet.py, models/extremeC3.py, imported from the snapshot at conversion
time), the weights trained on EG1800 (result/SINet/SINet.pth, result/ExtremeC3/ExtremeC3.pth)
and each one's constructor arguments (setting/Test_SINet.json, setting/Test_ExtremeC3Net.json,
read as Test_model.py reads them: a Lovasz-loss model has one output channel).

Each ONNX graph takes the authors' normalised 1x3x224x224 BGR tensor and gives "alpha",
224x224: for SINet (cross-entropy, two logits) the softmax of channel 1, the person
probability, whose argmax is the authors' mask; for ExtremeC3Net, trained with the Lovasz
hinge, the authors' mask itself, 1 where its one logit is positive (etc/Visualize_video.py
line 138): a hinge logit is no probability (its sigmoid sits at 0.27 and 0.73 on the samples).

It also records reference masks in tests/data/{sinet,extremec3}_reference/ with the authors'
PyTorch models and their demo's preprocessing (etc/Visualize_video.py, evaluateModelCV), on
photo/samples/*.png and the astronaut resized to 1024x768 (PIL bicubic); the 224x224 mask is
resized to the photo bilinearly (the demo never maps its mask back to the frame).

Needs git (for a bare snapshot), torch and the dev group's onnx.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import cv2
import numpy as np
import onnx
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "models" / "assets"
PHOTOS = ROOT / "photo" / "samples"
DATA = ROOT / "tests" / "data"
OPSET = 17
SIDE = 224  # data_config "w" and "h" in both Test_*.json
# The demo's normalisation constants for the released models (etc/Visualize_video.py lines
# 265-266; the same in etc/Visualize_webCam.py lines 248-249), on BGR pixels in 0..255.
MEAN = [107.304565, 115.69884, 132.35703]
STD = [63.97182, 65.1337, 68.29726]
# Our key: (definition, test configuration) in the snapshot.
MODELS = {
    "sinet": ("models/SINet.py", "setting/Test_SINet.json"),
    "extremec3": ("models/extremeC3.py", "setting/Test_ExtremeC3Net.json"),
}


def checkout(snapshot: Path, into: Path) -> Path:
    """A folder with the snapshot's files: itself, or its HEAD extracted if it is a git dir."""
    if (snapshot / "models" / "SINet.py").is_file():
        return snapshot
    archive = subprocess.run(
        ["git", "--git-dir", str(snapshot), "archive", "HEAD"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def commit_of(snapshot: Path) -> str:
    """The snapshot's commit: a git dir's HEAD, or that of the repository a folder is the top
    of; "unknown" for a folder outside git."""
    git_dir = snapshot if not (snapshot / "models").is_dir() else snapshot / ".git"
    result = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def authors_model(source: Path, key: str) -> tuple[torch.nn.Module, int]:
    """The authors' network for ``key`` with its weights, in eval mode, and its class count."""
    definition, setting = MODELS[key]
    config = json.loads((source / setting).read_text())["test_config"]
    classes = 1 if config["loss"] == "Lovasz" else config["num_classes"]  # as Test_model.py
    spec = importlib.util.spec_from_file_location(f"ext_portrait_{key}", source / definition)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    factory = getattr(module, config["Model"])
    args = {"classes": classes, "p": config["p"], "q": config["q"]}
    if "chnn" in config:
        args["chnn"] = config["chnn"]
    with contextlib.redirect_stdout(io.StringIO()):  # the definitions print their layout
        model = factory(**args)
    weights = source / config["weight_name"]
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    print(f"{key}: {config['Model']}({args}) from {config['weight_name']}")
    print(f"  sha256 {hashlib.sha256(weights.read_bytes()).hexdigest()}")
    return model.eval(), classes


class Alpha(torch.nn.Module):
    """The network's logits as its 224x224 alpha (see the module's docstring)."""

    def __init__(self, net: torch.nn.Module, classes: int) -> None:
        super().__init__()
        self.net, self.classes = net, classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.net(x)
        if self.classes == 2:
            return torch.softmax(logits, dim=1)[0, 1]
        return (logits[0, 0] > 0).float()


def export(model: torch.nn.Module, target: Path) -> None:
    example = torch.zeros(1, 3, SIDE, SIDE)
    buffer = io.BytesIO()
    # The TorchScript exporter: it writes opset 17 and folds batch norms into convolutions;
    # the torch.export one cannot lower SINet's graph to 17 and leaves it nearly twice as big.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model, (example,), buffer, input_names=["image"], output_names=["alpha"],
            opset_version=OPSET, dynamo=False,
        )  # fmt: skip
    proto = onnx.load_from_string(buffer.getvalue())
    proto.producer_name = "tools/ext_portrait_onnx.py"
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, target)
    print(f"  wrote {target.relative_to(ROOT)}: {target.stat().st_size} bytes, sha256 "
          f"{hashlib.sha256(target.read_bytes()).hexdigest()}")  # fmt: skip


def photos() -> dict[str, np.ndarray]:
    """The reference photos as BGR uint8, as cv2.imread gives the demo its frames."""
    found = {p.stem: cv2.imread(str(p), cv2.IMREAD_COLOR) for p in sorted(PHOTOS.glob("*.png"))}
    astronaut = Image.open(PHOTOS / "astronaut.png").convert("RGB")
    resized = np.asarray(astronaut.resize((1024, 768), Image.Resampling.BICUBIC))
    found["astronaut-1024x768"] = np.ascontiguousarray(resized[:, :, ::-1])
    return found


def authors_alpha(model: Alpha, bgr: np.ndarray) -> np.ndarray:
    """evaluateModelCV's steps (etc/Visualize_video.py lines 112-134) up to the model's alpha,
    which is above 0.5 where the demo's mask is 1, resized to the photo."""
    img = cv2.resize(bgr, (SIDE, SIDE))
    img = img.astype(np.float32)
    for j in range(3):
        img[:, :, j] -= MEAN[j]
    for j in range(3):
        img[:, :, j] /= STD[j]
    img /= 255
    tensor = torch.from_numpy(img.transpose((2, 0, 1))).unsqueeze(0)
    with torch.no_grad():
        alpha = model(tensor).numpy()
    return cv2.resize(alpha, (bgr.shape[1], bgr.shape[0]), interpolation=cv2.INTER_LINEAR)


def record(model: Alpha, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, bgr in photos().items():
        alpha = np.clip(authors_alpha(model, bgr), 0, 1)
        Image.fromarray(np.round(alpha * 255).astype(np.uint8)).save(folder / f"{name}.png")
    print(f"  recorded {folder.relative_to(ROOT)}/")


def main(snapshot: str) -> None:
    print(f"clovaai/ext_portrait_segmentation at {commit_of(Path(snapshot))}")
    with tempfile.TemporaryDirectory() as scratch:
        source = checkout(Path(snapshot), Path(scratch))
        for key in MODELS:
            model = Alpha(*authors_model(source, key)).eval()
            export(model, ASSETS / f"{key}.onnx")
            record(model, DATA / f"{key}_reference")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.splitlines()[0])
    main(sys.argv[1])
