"""`uv run python -m bench models --cpu-paths`: which CPU path each heavy family should take.

For each heavy family, its real architecture with random weights (the same arithmetic and
cost as the trained model: the weights' values do not change the work) at the size the app
runs it, timed as eager fp32 PyTorch (the reference, in the same run) and as each candidate:
the ONNX Runtime export models.cpu_fast makes, dynamic int8 of the Linear layers, and bf16
autocast where this CPU has bf16 arithmetic. Each row gives seconds per photo, the speed-up
over eager, and how far its output moves from eager fp32's. Random weights give logits
near zero, where any error looks small after a sigmoid; so logits are scaled by one factor
for all variants until eager's have a trained model's spread (std LOGIT_STD) first.

The model's FLOPs (torch.utils.flop_counter, eager) over the machine's measured fp32
GFLOP/s (a large matmul on every core) is the least time the photo can take here: each
path's share of that limit says how much room is left.

Architectures: BiRefNet and BEN2 from their authors' code (``--birefnet-code``, a clone of
github.com/ZhengPeng7/BiRefNet; ``--ben2-code``, a folder holding BEN2.py from the Hub repo
PramaLLC/BEN2), InSPyReNet from the transparent-background package, ViTMatte from
transformers, SAM3's image encoder (its cost: the rest is small) from Ultralytics. Nothing
here is a model result: only times and differences between paths.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models import cpu_fast
from models.paths import app_cache

LOGIT_STD = 8.0  # a trained matting model's logits: mostly far from 0 on either side
MATMUL_SIDE = 2048


@dataclass
class StandIn:
    """A family's architecture at its working size; ``output`` is logits, probabilities or
    features, which says how its difference is measured."""

    family: str
    build: Callable[[], torch.nn.Module]
    input_shape: tuple[int, ...]
    output: str  # "logits" | "probabilities" | "features"
    note: str = ""


def machine_gflops() -> float:
    """fp32 GFLOP/s of a large matmul on all of torch's threads: the CPU's practical peak."""
    a = torch.randn(MATMUL_SIDE, MATMUL_SIDE)
    b = torch.randn(MATMUL_SIDE, MATMUL_SIDE)
    a @ b
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * MATMUL_SIDE**3 / best / 1e9


def flops(model: torch.nn.Module, example: torch.Tensor) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model(example)
    return float(counter.get_total_flops())


def difference(output: str, reference: np.ndarray, other: np.ndarray) -> tuple[float, float]:
    """(mean, max) |difference| of alphas; features: relative to the reference's spread."""
    if output == "features":
        error = np.abs(other - reference) / (reference.std() + 1e-12)
        return float(error.mean()), float(error.max())
    if output == "logits":
        scale = LOGIT_STD / (reference.std() + 1e-12)

        def alpha(x):
            return 1 / (1 + np.exp(-np.clip(x * scale, -60, 60)))

        reference, other = alpha(reference), alpha(other)
    error = np.abs(other - reference)
    return float(error.mean()), float(error.max())


ROOT = Path(__file__).resolve().parent.parent


def _ours(name: str) -> bool:
    return name == "models" or name.startswith("models.")


@contextlib.contextmanager
def authors_code(folder: Path):
    """Import from an authors' code folder whose ``models`` would clash with ours: our
    package (a regular one wins over their namespace folder wherever it is on the path) is
    off the path and out of sys.modules meanwhile; their code also opens files by relative
    path, so the folder is the working directory. torchvision is imported first: its first
    import inspects every loaded module, which fails on their namespace package."""
    importlib.import_module("torchvision.transforms")
    saved = {name: sys.modules.pop(name) for name in [n for n in sys.modules if _ours(n)]}
    saved_path, previous = list(sys.path), os.getcwd()
    sys.path[:] = [str(folder)] + [p for p in sys.path if p not in ("", str(ROOT))]
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
        sys.path[:] = saved_path
        for name in [n for n in sys.modules if _ours(n)]:
            del sys.modules[name]
        sys.modules.update(saved)


def birefnet_model(code: Path) -> torch.nn.Module:
    """BiRefNet (its default Swin-L config) from the authors' code, random weights; the
    deformable convolutions' offsets and modulators drawn too (the code zeroes them, a
    trained model's are not zero: zero offsets would hide the deformation's cost and error)."""
    with authors_code(code):
        model = importlib.import_module("models.birefnet").BiRefNet(bb_pretrained=False)
    for name, module in model.named_modules():
        if name.endswith(("offset_conv", "modulator_conv")):
            torch.nn.init.normal_(module.weight, std=0.01)
            torch.nn.init.normal_(module.bias, std=0.5)
    return model


def ben2_model(code: Path) -> torch.nn.Module:
    sys.path.insert(0, str(code))
    try:
        module = importlib.import_module("BEN2")
    finally:
        sys.path.remove(str(code))
    return module.BEN_Base()


def inspyrenet_model() -> torch.nn.Module:
    from transparent_background.InSPyReNet import InSPyReNet_SwinB

    return InSPyReNet_SwinB(depth=64, pretrained=False, base_size=[1024, 1024], threshold=None)


def vitmatte_model() -> torch.nn.Module:
    """ViTMatte-small (hustvl/vitmatte-small-composition-1k's configuration)."""
    from transformers import VitDetConfig, VitMatteConfig, VitMatteForImageMatting

    backbone = VitDetConfig(
        hidden_size=384,
        num_attention_heads=6,
        num_channels=4,
        image_size=512,
        pretrain_image_size=224,
        patch_size=16,
        use_relative_position_embeddings=True,
        window_block_indices=[0, 1, 3, 4, 6, 7, 9, 10],
        residual_block_indices=[2, 5, 8, 11],
        out_features=["stage12"],
        drop_path_rate=0.0,
    )
    config = VitMatteConfig(
        backbone_config=backbone,
        hidden_size=384,
        convstream_hidden_sizes=[48, 96, 192],
        fusion_hidden_sizes=[256, 128, 64, 32],
    )
    return VitMatteForImageMatting(config)


def sam3_encoder() -> torch.nn.Module:
    """SAM3's vision trunk as Ultralytics builds it (ViT, 32 blocks, 1008 px)."""
    from ultralytics.models.sam import build_sam3

    return build_sam3._create_vision_backbone().trunk


def stand_ins(birefnet_code: Path | None, ben2_code: Path | None) -> list[StandIn | str]:
    """Each family's stand-in, or a line saying why it is not measured here."""
    found: list[StandIn | str] = []
    if birefnet_code:
        found.append(
            StandIn("BiRefNet (Swin-L)", lambda: birefnet_model(birefnet_code),
                    (1, 3, 1024, 1024), "logits")  # fmt: skip
        )
    else:
        found.append("BiRefNet: not measured (pass --birefnet-code, a clone of its GitHub repo)")
    if ben2_code:
        found.append(StandIn("BEN2", lambda: ben2_model(ben2_code), (1, 3, 1024, 1024),
                             "probabilities"))  # fmt: skip
    else:
        found.append("BEN2: not measured (pass --ben2-code, a folder with the Hub repo's BEN2.py)")
    found.append(StandIn("InSPyReNet (Swin-B)", inspyrenet_model, (1, 3, 1024, 1024),
                         "probabilities"))  # fmt: skip
    found.append(StandIn("ViTMatte small", vitmatte_model, (1, 4, 1024, 1024), "probabilities"))
    found.append(StandIn("SAM3 image encoder", sam3_encoder, (1, 3, 1008, 1008), "features",
                         "the encoder is SAM3's cost; its output is features"))  # fmt: skip
    return found


def timed(run: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def as_numpy(outputs) -> np.ndarray:
    return cpu_fast.last_output(outputs).detach().float().cpu().numpy()


def eager_run(model, example):
    with torch.inference_mode():
        return as_numpy(model(example))


def int8_model(model: torch.nn.Module) -> torch.nn.Module:
    from torch.ao.quantization import quantize_dynamic

    return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def bf16_supported() -> bool:
    """bf16 arithmetic in hardware (AVX-512 BF16 or AMX); elsewhere it is emulated, slower."""
    return torch.backends.cpu.get_cpu_capability() in ("AVX512_BF16", "AMX") or bool(
        getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)()
    )


def bf16_run(model, example):
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        return as_numpy(model(example))


def export_folder() -> Path:
    """Where the stand-ins' exports are kept between runs (an export takes minutes): the
    random weights are seeded, so the same family gives the same graph."""
    folder = app_cache() / "bench-exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def onnx_variant(model, example, family: str):
    """(seconds to export and open, a run function) or the reason the export failed."""
    size = (example.shape[-1], example.shape[-2])
    name = "".join(c if c.isalnum() else "-" for c in family.lower())
    path = export_folder() / f"{name}-torch{torch.__version__}-{size[0]}x{size[1]}.onnx"
    start = time.perf_counter()
    try:
        if not path.is_file():
            cpu_fast.export(model, size, path, example.shape[1])
        forward = cpu_fast.OnnxForward(cpu_fast.session(path))
    except Exception as error:  # noqa: BLE001 - a failed export is a finding, not a crash
        return f"export failed: {type(error).__name__}: {str(error).splitlines()[0][:90]}"
    return time.perf_counter() - start, lambda: forward(example).numpy()


PATHS = ("onnx", "int8", "bf16")


def measure(stand_in: StandIn, repeats: int, paths: tuple[str, ...] = PATHS) -> list[dict]:
    torch.manual_seed(0)
    model = stand_in.build().eval()
    example = torch.randn(*stand_in.input_shape)
    work = flops(model, example)
    variants: dict[str, Callable[[], np.ndarray] | str] = {
        "eager fp32": lambda: eager_run(model, example)
    }
    if "onnx" in paths:
        exported = onnx_variant(model, example, stand_in.family)
        variants["ONNX Runtime"] = exported if isinstance(exported, str) else exported[1]
    if "int8" in paths:
        quantised = int8_model(model)
        variants["int8 Linear"] = lambda: eager_run(quantised, example)
    if "bf16" in paths and bf16_supported():
        variants["bf16 autocast"] = lambda: bf16_run(model, example)
    elif "bf16" in paths:
        variants["bf16 autocast"] = (
            f"not run: this CPU ({torch.backends.cpu.get_cpu_capability()}) has no bf16"
        )
    return interleaved(stand_in, variants, work, repeats)


def interleaved(stand_in, variants, work, repeats) -> list[dict]:
    """Each runnable variant once per round, rounds in turn: load changes hit all alike."""
    runnable = {name: run for name, run in variants.items() if callable(run)}
    outputs = {name: run() for name, run in runnable.items()}  # warm-up; outputs compared
    seconds = {name: [] for name in runnable}
    for _ in range(repeats):
        for name, run in runnable.items():
            seconds[name].append(timed(run)[0])
    eager_s = float(np.median(seconds["eager fp32"]))
    rows = []
    for name, run in variants.items():
        row = {"family": stand_in.family, "path": name, "gflop": work / 1e9}
        if not callable(run):
            rows.append({**row, "note": run})
            continue
        s = float(np.median(seconds[name]))
        mean, worst = difference(stand_in.output, outputs["eager fp32"], outputs[name])
        rows.append({**row, "s": s, "speedup": eager_s / s, "mean_diff": mean,
                     "max_diff": worst})  # fmt: skip
    return rows


def print_rows(rows: list[dict], peak_gflops: float) -> None:
    """Each path's row; its share: the model's GFLOP per second over the machine's peak."""
    header = (
        f"{'family':<22} {'path':<14} {'GFLOP':>7} {'s/photo':>8} {'x eager':>7} "
        f"{'mean |d|':>9} {'max |d|':>8} {'of limit':>8}"
    )
    print(header + "\n" + "-" * len(header))
    for row in rows:
        start = f"{row['family']:<22} {row['path']:<14} {row['gflop']:>7.0f}"
        if "note" in row:
            print(f"{start} {row['note']}")
            continue
        print(
            f"{start} {row['s']:>8.1f} {row['speedup']:>7.2f} {row['mean_diff']:>9.5f} "
            f"{row['max_diff']:>8.4f} {row['gflop'] / row['s'] / peak_gflops:>8.0%}",
            flush=True,
        )


def run(birefnet_code: Path | None, ben2_code: Path | None, families: list[str] | None,
        repeats: int, paths: tuple[str, ...] = PATHS) -> None:  # fmt: skip
    peak = machine_gflops()
    print(
        f"\nHeavy models on the CPU ({os.cpu_count()} cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {torch.backends.cpu.get_cpu_capability()}): "
        f"fp32 matmul peak {peak:.0f} GFLOP/s (again after each family: the highest is the "
        f"limit); eager fp32 is the reference, median of "
        f"{repeats}, interleaved; |d| on alphas (logits scaled to std {LOGIT_STD:.0f})"
    )
    for stand_in in stand_ins(birefnet_code, ben2_code):
        if isinstance(stand_in, str):
            print(stand_in)
            continue
        if families and not any(f.lower() in stand_in.family.lower() for f in families):
            continue
        with contextlib.suppress(KeyboardInterrupt):
            rows = measure(stand_in, repeats, paths)
            # The peak again, after: a busy moment at the start must not set the limit.
            peak = max(peak, machine_gflops())
            print(f"(matmul peak now {peak:.0f} GFLOP/s)")
            print_rows(rows, peak)
