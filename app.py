"""Portrait Blur Arena: compare segmentation models on one portrait, side by side."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

import blur
import models
from models import ModelResult, ModelSpec
from photo import UPLOAD_TYPES, Photo, PhotoError, as_text, decode_photo, encode_jpeg, safe_filename

RUN_LABEL = "Run Segmentation and Blurring"
COLUMNS_PER_ROW = 4
MIN_COLUMNS = 3  # so one or two models do not stretch their images across the page
POLL_SECONDS = 0.25
PREVIEW_MAX_SIDE = 1280  # what the browser gets; full resolution is for downloads only

st.set_page_config(page_title="Portrait Blur Arena", layout="wide")
st.title("Portrait Background Blur — Model Comparison")


@dataclass
class Upload:
    """A decoded upload and its display-size copy, kept across reruns."""

    file_id: str
    title: str  # tab title, unique among the uploads
    photo: Photo
    rgb: np.ndarray  # full resolution
    preview: np.ndarray  # at most PREVIEW_MAX_SIDE
    scale: float  # preview size / full size


@dataclass
class Shown:
    """A model's result with what its columns display, computed once per run."""

    result: ModelResult
    alpha: np.ndarray | None = None  # at preview size
    overlay: np.ndarray | None = None


def model_help(spec: ModelSpec) -> str:
    download = f"~{spec.download_mb} MB download on first use" if spec.download_mb else "offline"
    return (
        f"{spec.source} · {spec.mask_kind} mask · input {spec.input_policy} · "
        f"licence {spec.licence} · {download}"
    )


def sidebar() -> tuple[str, list[ModelSpec], int]:
    with st.sidebar:
        st.header("Settings")
        choice = st.selectbox("Compute device", models.device_options())
        st.subheader("Models")
        chosen = [
            spec
            for spec in models.registry.REGISTRY
            if st.checkbox(
                spec.label, value=spec.default, key=f"model:{spec.key}", help=model_help(spec)
            )
        ]
        st.subheader("Background blur")
        strength = st.slider(
            "Blur Strength",
            min_value=blur.MIN_STRENGTH,
            max_value=blur.MAX_STRENGTH,
            value=blur.DEFAULT_STRENGTH,
            step=2,
            help="Gaussian kernel size in pixels at full resolution. Moving it re-blurs "
            "the results without running any model again.",
        )
    return models.resolve_device(choice), chosen, strength


def decode_upload(uploaded, title: str) -> Upload:
    photo = decode_photo(uploaded.getvalue(), uploaded.name)
    rgb = np.asarray(photo.image)
    preview, scale = blur.fit_within(rgb, PREVIEW_MAX_SIDE)
    return Upload(uploaded.file_id, title, photo, rgb, preview, scale)


def unique_titles(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    titles = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        titles.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return titles


def load_uploads(files: list) -> tuple[list[Upload], list[str]]:
    """Decode each upload once (reruns reuse it); bad files become messages."""
    kept = st.session_state.setdefault("uploads", {})
    current = {f.file_id for f in files}
    for file_id in [k for k in kept if k not in current]:
        del kept[file_id]  # removed from the uploader: forget it and its results
        st.session_state["shown"] = {
            k: v for k, v in st.session_state.get("shown", {}).items() if k[0] != file_id
        }
    good, errors = [], []
    for file, title in zip(files, unique_titles([f.name for f in files]), strict=True):
        if file.file_id not in kept:
            try:
                kept[file.file_id] = decode_upload(file, title)
            except PhotoError as error:
                kept[file.file_id] = f"{as_text(error.name)}: {error.problem}"
            except Exception as error:  # noqa: BLE001 - a file must never crash the app
                kept[file.file_id] = (
                    f"{as_text(file.name)}: could not be read ({type(error).__name__})."
                )
        entry = kept[file.file_id]
        (errors if isinstance(entry, str) else good).append(entry)
    return good, errors


def progress_text(stage: str, spec: ModelSpec, label: str) -> str:
    downloads = [d for d in models.active_downloads() if d.label == spec.label]
    if stage == "load" and downloads:
        d = downloads[0]
        return (
            f"Downloading {spec.label}: {d.done_bytes / 1e6:,.0f} / {d.total_bytes / 1e6:,.0f} MB "
            f"({label})…"
        )
    verb = "Loading" if stage == "load" else "Running"
    return f"{verb} {spec.label} ({label})…"


def run_one(job_args: tuple, progress, done: float, step: float, label: str) -> ModelResult:
    """One model on one photo in a worker thread, abandoned with a message if it hangs."""
    spec, photo, device = job_args
    stage = {"now": "load", "since": time.monotonic()}

    def on_stage(now: str) -> None:
        stage.update(now=now, since=time.monotonic())

    pool = ThreadPoolExecutor(max_workers=1)
    job = pool.submit(models.run_model, spec.key, photo.model_image, device, on_stage=on_stage)
    try:
        while True:
            fraction = done + step * (0.5 if stage["now"] == "run" else 0.0)
            progress.progress(min(fraction, 1.0), text=progress_text(stage["now"], spec, label))
            try:
                return job.result(timeout=POLL_SECONDS)
            except FutureTimeout:
                running_for = time.monotonic() - stage["since"]
                timeout = models.runtime.INFERENCE_TIMEOUT_S
                if stage["now"] == "run" and running_for > timeout:
                    return ModelResult(
                        spec=spec,
                        device=models.runs_on(spec, device),
                        error=f"{spec.label} timed out after {timeout:.0f} s on this photo. "
                        "Try a smaller photo, CUDA or MPS, or untick it.",
                    )
    finally:
        pool.shutdown(wait=False)


def run_models(jobs: list[tuple[Upload, ModelSpec]], device: str) -> list[ModelResult]:
    """Every (photo, model) pair, one after the other, with one progress bar across them."""
    progress = st.progress(0.0, text="Starting…")
    results = []
    for index, (upload, spec) in enumerate(jobs):
        label = f"{index + 1}/{len(jobs)} · {upload.title}"
        step = 1.0 / len(jobs)
        results.append(run_one((spec, upload.photo, device), progress, index * step, step, label))
    progress.empty()
    return results


def shown_result(result: ModelResult, upload: Upload) -> Shown:
    if not (result.ok and result.found_subject):
        return Shown(result)
    alpha = blur.resize_alpha(result.alpha, upload.preview.shape[:2])
    return Shown(result, alpha, blur.mask_overlay(upload.preview, alpha))


def timing_caption(result: ModelResult) -> str:
    caption = f"Inference: {result.inference_s:.2f} s · {models.device_label(result.device)}"
    if result.load_s:
        caption += f" · loaded in {result.load_s:.1f} s"
    return caption


def show_mask(shown: Shown) -> None:
    result = shown.result
    st.subheader(result.spec.label)
    if not result.ok:
        st.error(result.error)
        return
    st.caption(timing_caption(result))
    if shown.overlay is not None:
        st.image(shown.overlay, width="stretch")
    else:
        st.warning("No humans detected.")


def full_size_blur(shown: Shown, upload: Upload, strength: int):
    """A download callable: the full-resolution blur is made only when asked for."""
    soft = shown.result.spec.mask_kind == "alpha"

    def make() -> bytes:
        alpha = blur.resize_alpha(shown.result.alpha, upload.rgb.shape[:2])
        return encode_jpeg(blur.blur_background(upload.rgb, alpha, strength, soft=soft))

    return make


def show_blur(shown: Shown, upload: Upload, strength: int) -> None:
    if shown.alpha is None:
        return
    soft = shown.result.spec.mask_kind == "alpha"
    preview = blur.blur_background(
        upload.preview, shown.alpha, strength, soft=soft, pixel_scale=upload.scale
    )
    st.image(preview, width="stretch")
    st.download_button(
        "Download blurred photo",
        data=full_size_blur(shown, upload, strength),
        file_name=f"{safe_filename(Path(upload.photo.name).stem)}-{shown.result.spec.key}"
        f"-blur{strength}.jpg",
        mime="image/jpeg",
        key=f"download:{upload.file_id}:{shown.result.spec.key}",
        on_click="ignore",
        help="Full resolution, JPEG quality 95.",
    )


def show_results(shown: list[Shown], upload: Upload, strength: int) -> None:
    """Per row of models: their mask overlays, then their blurred photos underneath."""
    for first in range(0, len(shown), COLUMNS_PER_ROW):
        row = shown[first : first + COLUMNS_PER_ROW]
        slots = max(MIN_COLUMNS, min(COLUMNS_PER_ROW, len(shown)))
        for column, item in zip(st.columns(slots), row, strict=False):
            with column:
                show_mask(item)
        for column, item in zip(st.columns(slots), row, strict=False):
            with column:
                show_blur(item, upload, strength)


def show_photo(upload: Upload, chosen: list[ModelSpec], device: str, strength: int) -> None:
    if upload.photo.notes:
        st.caption(f"{as_text(upload.photo.name)}: " + "; ".join(upload.photo.notes) + ".")
    cache = st.session_state["shown"]
    shown = [
        cache[key]
        for spec in chosen
        if (key := (upload.file_id, spec.key, models.runs_on(spec, device))) in cache
    ]
    if shown:
        show_results(shown, upload, strength)
    else:
        size = f"{upload.rgb.shape[1]}x{upload.rgb.shape[0]}"
        st.image(upload.preview, caption=f"{size} · click {RUN_LABEL}", width=320)


device, chosen, strength = sidebar()
files = st.file_uploader("Upload portraits", type=UPLOAD_TYPES, accept_multiple_files=True)
clicked = st.button(RUN_LABEL, type="primary", disabled=not files or not chosen)
if not chosen:
    st.info("Tick at least one model in the sidebar.")

uploads, bad_files = load_uploads(files or [])
for message in bad_files:
    st.error(message)

# Results live per (photo, model, device): re-clicking or moving the slider never re-runs
# a model that already ran on a photo.
cache = st.session_state.setdefault("shown", {})
if clicked and uploads:
    jobs = [
        (upload, spec)
        for upload in uploads
        for spec in chosen
        if (upload.file_id, spec.key, models.runs_on(spec, device)) not in cache
    ]
    by_id = {upload.file_id: upload for upload in uploads}
    for (upload, _), result in zip(jobs, run_models(jobs, device), strict=True):
        cache[(upload.file_id, result.spec.key, result.device)] = shown_result(
            result, by_id[upload.file_id]
        )

if len(uploads) == 1:
    show_photo(uploads[0], chosen, device, strength)
elif uploads:
    for tab, upload in zip(st.tabs([as_text(u.title) for u in uploads]), uploads, strict=True):
        with tab:
            show_photo(upload, chosen, device, strength)
