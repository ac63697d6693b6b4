"""Builds stand-in repos at test time (weights are made here, never committed)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
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


ROUTER_SIDE, MATTING_SIDE, BIREFNET_SIDE = 32, 32, 64


def _rgb_graph(name: str, inputs: list, nodes: list, outputs: list, initialisers=()) -> bytes:
    import onnx
    from onnx import helper

    graph = helper.make_graph(nodes, name, inputs, outputs, list(initialisers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by older onnxruntime releases too
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _red_minus_green_graph(name: str, input_name: str, side: int, extra_inputs=()) -> bytes:
    """alpha = sigmoid(GAIN * (red - green)), (1, 1, side, side), of a (1, 3, side, side)
    input in [0, 1]; ``extra_inputs`` are fed but unused (the router's features)."""
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(
        np.array([GAIN, -GAIN, 0.0], np.float32).reshape(1, 3, 1, 1), "weight"
    )
    rgb = helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, 3, side, side])
    alpha = helper.make_tensor_value_info("alpha", TensorProto.FLOAT, [1, 1, side, side])
    nodes = [
        helper.make_node("Conv", [input_name, "weight"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["alpha"]),
    ]
    return _rgb_graph(name, [rgb, *extra_inputs], nodes, [alpha], [weight])


def _router_graph(categories: int) -> bytes:
    """Logits (1, categories) from the mean colour (object wins where red outweighs green)
    and the input itself as the 'features' the matting graph reuses."""
    from onnx import TensorProto, helper, numpy_helper

    side = ROUTER_SIDE
    to_logits = np.zeros((3, categories), np.float32)
    to_logits[0, 1], to_logits[1, 0] = 1.0, 1.0  # red -> "object", green -> "hair"
    rgb = helper.make_tensor_value_info("rgb", TensorProto.FLOAT, [1, 3, side, side])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, categories])
    feats = helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 3, side, side])
    nodes = [
        helper.make_node("ReduceMean", ["rgb"], ["mean"], axes=[2, 3], keepdims=0),
        helper.make_node("MatMul", ["mean", "to_logits"], ["logits"]),
        helper.make_node("Identity", ["rgb"], ["features"]),
    ]
    weights = [numpy_helper.from_array(to_logits, "to_logits")]
    return _rgb_graph("router", [rgb], nodes, [logits, feats], weights)


def withoutbg_bundle_files(tmp: Path | None = None) -> dict[str, bytes]:
    """withoutBG's routed open-weights bundle (sidecar schema 3), as the package pins it:
    the sidecar names a router graph and two branch graphs (withoutBG matting, BiRefNet),
    each checked against its SHA256 before it is opened, and only the branch the router
    picks runs; the matting branch reuses the router's resized input and its features.
    Every graph here is a few ONNX nodes computing the red-minus-green stand-in alpha."""
    from onnx import TensorProto, helper

    categories = ["hair_and_fur", "hard_object"]
    features = helper.make_tensor_value_info(
        "features", TensorProto.FLOAT, [1, 3, ROUTER_SIDE, ROUTER_SIDE]
    )
    graphs = {
        "router.onnx": _router_graph(len(categories)),
        "matting.onnx": _red_minus_green_graph("matting", "rgb", MATTING_SIDE, [features]),
        "birefnet.onnx": _red_minus_green_graph("birefnet", "rgb_1024", BIREFNET_SIDE),
    }
    digest = {name: hashlib.sha256(data).hexdigest() for name, data in graphs.items()}
    fast = {"interpolation": "bilinear", "antialias": False}
    sidecar = {
        "schema_version": 3,
        "pipeline": "routed",
        "max_inference_size": [1024, 1024],
        "router": {
            "file": "router.onnx", "sha256": digest["router.onnx"],
            "inputs": {"rgb": {"size": ROUTER_SIDE, **fast}},
            "logits_name": "logits", "feature_names": ["features"],
            "categories": categories, "birefnet_categories": ["hard_object"],
        },
        "coarse": {
            "file": "matting.onnx", "sha256": digest["matting.onnx"],
            "inputs": {"rgb": {"size": ROUTER_SIDE, **fast}}, "output_name": "alpha",
        },
        "birefnet": {
            "file": "birefnet.onnx", "sha256": digest["birefnet.onnx"],
            "inputs": {"rgb_1024": {"size": BIREFNET_SIDE, "interpolation": "bicubic",
                                    "antialias": True}},
            "output_name": "alpha",
        },
    }  # fmt: skip
    return {
        "withoutbg-open-weights.onnx": graphs["router.onnx"],
        "withoutbg-open-weights.onnx.json": json.dumps(sidecar).encode(),
        **graphs,
    }


def copy_tree(files: dict[str, bytes], dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name, data in files.items():
        (dest / name).write_bytes(data)
    return dest


def inspyrenet_checkpoint(path: Path) -> Path:
    """A checkpoint in the format transparent-background loads: the state dict of the
    package's own InSPyReNet (Swin-B) with seeded random weights, so its strict load, its
    weights-only unpickling and its full forward pass run as with the real release file
    (~370 MB, as large as the real one; base and fast modes share the architecture). Its
    output is meaningless and never shown as a model result."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package's "Failed to import flet"
        from transparent_background.InSPyReNet import InSPyReNet_SwinB

    torch.manual_seed(0)
    model = InSPyReNet_SwinB(depth=64, pretrained=False, threshold=None, base_size=[384, 384])
    torch.save(model.state_dict(), path)
    return path


def vitmatte_repo_files(tmp: Path) -> dict[str, bytes]:
    """The files of hustvl/vitmatte-small-composition-1k as transformers saves them: the
    real ViTMatte-S architecture (a 4-channel ViTDet backbone, windowed and global attention
    with relative positions, the detail-capture decoder) and processor (pads to 32), with
    seeded random weights. Its alphas are meaningless and never shown as a model result."""
    from transformers import (
        VitDetConfig,
        VitMatteConfig,
        VitMatteForImageMatting,
        VitMatteImageProcessor,
    )

    backbone = VitDetConfig(
        num_channels=4, image_size=512, pretrain_image_size=224, patch_size=16,
        hidden_size=384, num_attention_heads=6, num_hidden_layers=12,
        window_block_indices=[0, 1, 3, 4, 6, 7, 9, 10], residual_block_indices=[2, 5, 8, 11],
        use_relative_position_embeddings=True, window_size=14, out_features=["stage12"],
    )  # fmt: skip
    torch.manual_seed(0)
    config = VitMatteConfig(  # lists, as in the repo's config.json
        backbone_config=backbone, hidden_size=384, convstream_hidden_sizes=[48, 96, 192],
        fusion_hidden_sizes=[256, 128, 64, 32],
    )  # fmt: skip
    model = VitMatteForImageMatting(config)
    folder = tmp / "vitmatte-standin"
    model.save_pretrained(folder)
    VitMatteImageProcessor(size_divisibility=32).save_pretrained(folder)
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def isnet_onnx(path: Path, side: int = 1024) -> Path:
    """A stand-in for rembg's isnet-general-use.onnx: the real file's interface (one input
    fixed at 1x3x1024x1024, so a wrong input size fails as it does with the real graph; a
    first output of 1x1x1024x1024 saliency in [0, 1], after a sigmoid, as IS-Net's), with a
    1x1 convolution for a network: red minus green of rembg's normalised pixels. Random
    weights of the real architecture would be 179 MB; nothing here judges quality."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = np.zeros((1, 3, 1, 1), np.float32)
    weight[0, 0], weight[0, 1] = GAIN, -GAIN
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input_image", "w"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["saliency"]),
        ],
        "isnet_standin",
        [helper.make_tensor_value_info("input_image", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("saliency", TensorProto.FLOAT, [1, 1, side, side])],
        [numpy_helper.from_array(weight, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path
