"""Portrait Blur Arena: compare segmentation models on one portrait, side by side."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

import blur
import models
from models import ModelResult, ModelSpec
from photo import Photo, PhotoError, decode_photo, encode_jpeg

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


def load_upload(uploaded) -> Upload:
    """Decode once per upload; reruns (slider moves) reuse it."""
    kept = st.session_state.get("upload")
    if kept is not None and kept.file_id == uploaded.file_id:
        return kept
    photo = decode_photo(uploaded.getvalue(), uploaded.name)
    rgb = np.asarray(photo.image)
    preview, scale = blur.fit_within(rgb, PREVIEW_MAX_SIDE)
    upload = Upload(uploaded.file_id, photo, rgb, preview, scale)
    st.session_state["upload"] = upload
    st.session_state["shown"] = {}  # results belong to the photo they were computed on
    return upload


def progress_text(stage: str, spec: ModelSpec, index: int, count: int) -> str:
    downloads = [d for d in models.active_downloads() if d.label == spec.label]
    if stage == "load" and downloads:
        d = downloads[0]
        return (
            f"Downloading {spec.label} ({index + 1}/{count}): "
            f"{d.done_bytes / 1e6:,.0f} / {d.total_bytes / 1e6:,.0f} MB…"
        )
    verb = "Loading" if stage == "load" else "Running"
    return f"{verb} {spec.label} ({index + 1}/{count})…"


def run_models(photo: Photo, specs: list[ModelSpec], device: str) -> list[ModelResult]:
    """Run each model in a worker thread while this one keeps the progress bar current."""
    progress = st.progress(0.0, text="Starting…")
    results = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for index, spec in enumerate(specs):
            stage = {"now": "load"}
            job = pool.submit(
                models.run_model,
                spec.key,
                photo.image,
                device,
                on_stage=lambda s, stage=stage: stage.update(now=s),
            )
            while True:
                done = (index + (stage["now"] == "run") * 0.5) / len(specs)
                progress.progress(done, text=progress_text(stage["now"], spec, index, len(specs)))
                try:
                    results.append(job.result(timeout=POLL_SECONDS))
                    break
                except FutureTimeout:
                    continue
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
    return lambda: encode_jpeg(
        blur.blur_background(upload.rgb, shown.result.alpha, strength, soft=soft)
    )


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
        file_name=f"{Path(upload.photo.name).stem}-{shown.result.spec.key}-blur{strength}.jpg",
        mime="image/jpeg",
        key=f"download:{shown.result.spec.key}",
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


device, chosen, strength = sidebar()
uploaded = st.file_uploader("Upload a portrait", type=["jpg", "jpeg", "png", "webp"])
clicked = st.button(RUN_LABEL, type="primary", disabled=uploaded is None or not chosen)
if not chosen:
    st.info("Tick at least one model in the sidebar.")

if uploaded is not None:
    try:
        upload = load_upload(uploaded)
    except PhotoError as error:
        st.error(str(error))
        st.stop()
    if upload.photo.notes:
        st.caption(f"{uploaded.name}: " + "; ".join(upload.photo.notes) + ".")

    # Results live per (upload, model, device): re-clicking or moving the slider never
    # re-runs a model that already ran on this photo.
    cache = st.session_state["shown"]
    keys = {spec.key: (spec.key, models.runs_on(spec, device)) for spec in chosen}
    if clicked:
        missing = [spec for spec in chosen if keys[spec.key] not in cache]
        for result in run_models(upload.photo, missing, device):
            cache[(result.spec.key, result.device)] = shown_result(result, upload)

    shown = [cache[keys[spec.key]] for spec in chosen if keys[spec.key] in cache]
    if shown:
        show_results(shown, upload, strength)
    else:
        st.image(upload.preview, caption=f"{upload.rgb.shape[1]}x{upload.rgb.shape[0]}", width=320)
