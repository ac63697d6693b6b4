"""Builds stand-in repos at test time (weights are made here, never committed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from models.torch_runtime import IMAGENET_MEAN, IMAGENET_STD

HERE = Path(__file__).parent
GAIN = 20.0


def red_minus_green_head() -> dict[str, torch.Tensor]:
    """1x1 conv weights whose logit is GAIN * (red - green) of the un-normalised pixel."""
    weight = torch.zeros(1, 3, 1, 1)
    weight[0, 0] = GAIN * IMAGENET_STD[0]
    weight[0, 1] = -GAIN * IMAGENET_STD[1]
    bias = torch.tensor([GAIN * (IMAGENET_MEAN[0] - IMAGENET_MEAN[1])])
    return {"head.weight": weight, "head.bias": bias}


def birefnet_repo_files(float32_mask: bool = False) -> dict[str, bytes]:
    """The BiRefNet stand-in repo; ``float32_mask`` gives RMBG-2.0's variant of the code,
    whose attention mask stays float32 (half precision fails)."""
    from safetensors.torch import save

    files = {p.name: p.read_bytes() for p in (HERE / "birefnet").iterdir() if p.is_file()}
    files["model.safetensors"] = save(red_minus_green_head())
    if float32_mask:
        code = files["birefnet.py"].decode()
        files["birefnet.py"] = code.replace(
            "MASK_FOLLOWS_INPUT = True", "MASK_FOLLOWS_INPUT = False"
        ).encode()
    return files


def birefnet_variant(repo: str) -> dict[str, bytes]:
    """The stand-in as the repo's real code behaves: RMBG-2.0 keeps the float32 mask."""
    return birefnet_repo_files(float32_mask=repo == "briaai/RMBG-2.0")


def ben2_repo_files(tmp: Path) -> dict[str, bytes]:
    weights = tmp / "BEN2_Base.pth"
    torch.save({"model_state_dict": red_minus_green_head()}, weights)
    return {
        "BEN2.py": (HERE / "ben2" / "BEN2.py").read_bytes(),
        "BEN2_Base.pth": weights.read_bytes(),
    }


def withoutbg_bundle_files(tmp: Path, canvas: int = 64) -> dict[str, bytes]:
    """A legacy single-graph withoutBG bundle: an ONNX exported by torch plus its sidecar."""

    class RedMinusGreen(torch.nn.Module):
        def forward(self, rgb):
            return torch.sigmoid(GAIN * (rgb[:, :1] - rgb[:, 1:2]))

    onnx_path = tmp / "standin.onnx"
    torch.onnx.export(
        RedMinusGreen().eval(),
        (torch.zeros(1, 3, canvas, canvas),),
        str(onnx_path),
        input_names=["rgb"],
        output_names=["alpha"],
    )
    sidecar = {"canvas_size": canvas, "input_name": "rgb", "output_shape": [1, 1, canvas, canvas]}
    return {
        "withoutbg-open-weights.onnx": onnx_path.read_bytes(),
        "withoutbg-open-weights.onnx.json": json.dumps(sidecar).encode(),
    }


def copy_tree(files: dict[str, bytes], dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name, data in files.items():
        (dest / name).write_bytes(data)
    return dest
