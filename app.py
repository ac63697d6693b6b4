"""Portrait Blur Arena: compare segmentation models on one portrait, side by side."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np
import streamlit as st

import blur
import models
from models import ModelResult, ModelSpec
from photo import Photo, PhotoError, decode_photo

RUN_LABEL = "Run Segmentation and Blurring"
COLUMNS_PER_ROW = 4
POLL_SECONDS = 0.25
MIN_COLUMNS = 3  # so one or two models do not stretch their images across the page

st.set_page_config(page_title="Portrait Blur Arena", layout="wide")
st.title("Portrait Background Blur — Model Comparison")


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
                spec.label,
                value=spec.default,
                key=f"model:{spec.key}",
                help=model_help(spec),
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


def timing_caption(result: ModelResult) -> str:
    caption = f"Inference: {result.inference_s:.2f} s · {models.device_label(result.device)}"
    if result.load_s:
        caption += f" · loaded in {result.load_s:.1f} s"
    return caption


def show_mask(result: ModelResult, rgb: np.ndarray) -> None:
    st.subheader(result.spec.label)
    if not result.ok:
        st.error(result.error)
        return
    st.caption(timing_caption(result))
    if result.found_subject:
        st.image(blur.mask_overlay(rgb, result.alpha), width="stretch")
    else:
        st.warning("No humans detected.")


def show_blur(result: ModelResult, rgb: np.ndarray, strength: int) -> None:
    if result.ok and result.found_subject:
        soft = result.spec.mask_kind == "alpha"
        st.image(blur.blur_background(rgb, result.alpha, strength, soft=soft), width="stretch")


def show_results(results: list[ModelResult], rgb: np.ndarray, strength: int) -> None:
    """Per row of models: their mask overlays, then their blurred photos underneath."""
    for first in range(0, len(results), COLUMNS_PER_ROW):
        row = results[first : first + COLUMNS_PER_ROW]
        slots = max(MIN_COLUMNS, min(COLUMNS_PER_ROW, len(results)))
        for column, result in zip(st.columns(slots), row, strict=False):
            with column:
                show_mask(result, rgb)
        for column, result in zip(st.columns(slots), row, strict=False):
            with column:
                show_blur(result, rgb, strength)


device, chosen, strength = sidebar()
uploaded = st.file_uploader("Upload a portrait", type=["jpg", "jpeg", "png", "webp"])
clicked = st.button(RUN_LABEL, type="primary", disabled=uploaded is None or not chosen)
if not chosen:
    st.info("Tick at least one model in the sidebar.")

if uploaded is not None:
    try:
        photo = decode_photo(uploaded.getvalue(), uploaded.name)
    except PhotoError as error:
        st.error(str(error))
        st.stop()
    if photo.notes:
        st.caption(f"{uploaded.name}: " + "; ".join(photo.notes) + ".")

    # Results live per (upload, model, device): re-clicking or moving the slider never
    # re-runs a model that already ran on this photo.
    cache = st.session_state.setdefault("results", {})
    if cache.get("file_id") != uploaded.file_id:
        cache.clear()
        cache["file_id"] = uploaded.file_id
    keys = {spec.key: (spec.key, models.runs_on(spec, device)) for spec in chosen}
    if clicked:
        missing = [spec for spec in chosen if keys[spec.key] not in cache]
        for result in run_models(photo, missing, device):
            cache[(result.spec.key, result.device)] = result

    shown = [cache[keys[spec.key]] for spec in chosen if keys[spec.key] in cache]
    if shown:
        show_results(shown, np.asarray(photo.image), strength)
    else:
        st.image(photo.image, caption=f"{photo.image.width}x{photo.image.height}", width=320)
