"""Portrait Blur Arena: compare segmentation models on one portrait, side by side."""

from __future__ import annotations

import numpy as np
import streamlit as st

import blur
import models
from models import ModelResult, ModelSpec
from photo import Photo, PhotoError, decode_photo

RUN_LABEL = "Run Segmentation and Blurring"

st.set_page_config(page_title="Portrait Blur Arena", layout="wide")
st.title("Portrait Background Blur — Model Comparison")


def sidebar() -> tuple[str, list[ModelSpec]]:
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
                help=f"{spec.source} · {spec.mask_kind} mask · {spec.licence}",
            )
        ]
    return models.resolve_device(choice), chosen


def run_models(photo: Photo, specs: list[ModelSpec], device: str) -> list[ModelResult]:
    steps = 2 * len(specs)
    progress = st.progress(0.0, text="Starting…")
    results = []
    for index, spec in enumerate(specs):

        def on_stage(stage: str, index: int = index, spec: ModelSpec = spec) -> None:
            done = 2 * index + (stage == "run")
            verb = "Loading" if stage == "load" else "Running"
            progress.progress(done / steps, text=f"{verb} {spec.label} ({index + 1}/{len(specs)})…")

        results.append(models.run_model(spec.key, photo.image, device, on_stage=on_stage))
    progress.empty()
    return results


def timing_caption(result: ModelResult) -> str:
    caption = f"Inference: {result.inference_s:.2f} s · {models.device_label(result.device)}"
    if result.load_s:
        caption += f" · loaded in {result.load_s:.1f} s"
    return caption


def show_masks(rgb: np.ndarray, results: list[ModelResult]) -> None:
    for column, result in zip(st.columns(len(results)), results):
        with column:
            st.subheader(result.spec.label)
            if not result.ok:
                st.error(result.error)
            elif not result.found_subject:
                st.caption(timing_caption(result))
                st.warning("No humans detected.")
            else:
                st.caption(timing_caption(result))
                st.image(blur.mask_overlay(rgb, result.alpha), width="stretch")


def show_blurs(rgb: np.ndarray, results: list[ModelResult], strength: int) -> None:
    for column, result in zip(st.columns(len(results)), results):
        with column:
            if result.ok and result.found_subject:
                soft = result.spec.mask_kind == "alpha"
                st.image(blur.blur_background(rgb, result.alpha, strength, soft=soft), width="stretch")


device, chosen = sidebar()
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
        rgb = np.asarray(photo.image)
        show_masks(rgb, shown)
        strength = st.slider(
            "Blur Strength",
            min_value=blur.MIN_STRENGTH,
            max_value=blur.MAX_STRENGTH,
            value=blur.DEFAULT_STRENGTH,
            step=2,
            help="Gaussian kernel size in pixels at full resolution.",
        )
        show_blurs(rgb, shown, strength)
