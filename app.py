"""Portrait Blur Arena: compare segmentation models on one portrait, side by side."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import partial

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import blur
import models
from before_after import before_after_html
from exports import Export, file_name, make_file, photo_folders, zip_bytes
from models import ModelResult, ModelSpec
from photo import UPLOAD_TYPES, Photo, PhotoError, as_text, decode_photo

RUN_LABEL = "Run Segmentation and Blurring"
COLUMNS_PER_ROW = 4
MIN_COLUMNS = 3  # so one or two models do not stretch their images across the page
POLL_SECONDS = 0.25
PREVIEW_MAX_SIDE = 1280  # what the browser gets; full resolution is for downloads only
LENS_LABELS = {"gaussian": "Gaussian", "disc": "Lens (bokeh)"}
DOWNLOAD_LABELS = {
    "blur.jpg": "Blurred photo (JPEG)",
    "cutout.png": "Cut-out (PNG with alpha)",
    "matte.png": "Matte (8-bit PNG)",
    "overlay.png": "Mask overlay (PNG)",
}

st.set_page_config(page_title="Portrait Blur Arena", layout="wide")
st.title("Portrait Background Blur — Model Comparison")


@dataclass
class Upload:
    """A decoded upload and its display-size copy, kept across reruns."""

    file_id: str
    title: str  # tab title, unique among the uploads
    folder: str  # safe name for files and archives, unique among the uploads
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


@dataclass
class Look:
    """How the blur looks: the sidebar's blur settings."""

    strength: int
    lens: str
    clean_edges: bool


def sidebar() -> tuple[str, list[ModelSpec], Look]:
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
        lens = st.radio(
            "Blur shape",
            list(LENS_LABELS),
            format_func=LENS_LABELS.get,
            horizontal=True,
            help="Lens: a disc-shaped blur whose highlights bloom, as portrait modes do.",
        )
        clean = st.toggle(
            "Clean edges",
            value=True,
            help="In soft edges (hair, fur, motion blur) show the subject's own colour over the "
            "blurred background, instead of the photo's mix with the sharp background behind it. "
            "Also used for the cut-out downloads.",
        )
    return models.resolve_device(choice), chosen, Look(strength, lens, clean)


def decode_upload(uploaded, title: str, folder: str) -> Upload:
    photo = decode_photo(uploaded.getvalue(), uploaded.name)
    rgb = np.asarray(photo.image)
    preview, scale = blur.fit_within(rgb, PREVIEW_MAX_SIDE)
    return Upload(uploaded.file_id, title, folder, photo, rgb, preview, scale)


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
    names = [f.name for f in files]
    for file, title, folder in zip(files, unique_titles(names), photo_folders(names), strict=True):
        if file.file_id not in kept:
            try:
                kept[file.file_id] = decode_upload(file, title, folder)
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


def run_one(
    spec: ModelSpec, photo: Photo, device: str, progress, done: float, step: float, label: str
) -> ModelResult:
    """One model on one photo in a worker thread, abandoned with a message if it hangs."""
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
        results.append(run_one(spec, upload.photo, device, progress, index * step, step, label))
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


def export_item(shown: Shown, upload: Upload, look: Look) -> Export:
    spec = shown.result.spec
    return Export(
        upload.folder, spec.key, upload.rgb, shown.result.alpha, spec.soft_mask,
        look.strength, look.lens, look.clean_edges,
    )  # fmt: skip


def downloads(shown: Shown, upload: Upload, look: Look) -> None:
    """Per-result files, each made at full resolution only when its button is clicked."""
    item = export_item(shown, upload, look)
    with st.popover("Downloads", width="stretch"):
        for kind, label in DOWNLOAD_LABELS.items():
            st.download_button(
                label,
                data=partial(make_file, item, kind),
                file_name=f"{upload.folder}_{file_name(item, kind)}",
                key=f"download:{upload.file_id}:{item.model_key}:{kind}",
                on_click="ignore",
                width="stretch",
            )


def preview_blurs(shown: list[Shown], upload: Upload, look: Look) -> dict[str, np.ndarray]:
    return {
        item.result.spec.key: blur.blur_background(
            upload.preview,
            item.alpha,
            look.strength,
            soft=item.result.spec.soft_mask,
            pixel_scale=upload.scale,
            lens=look.lens,
            clean_edges=look.clean_edges,
        )
        for item in shown
        if item.alpha is not None
    }


def show_results(
    shown: list[Shown], upload: Upload, look: Look, blurred: dict[str, np.ndarray]
) -> None:
    """Per row of models: their mask overlays, then their blurred photos underneath."""
    for first in range(0, len(shown), COLUMNS_PER_ROW):
        row = shown[first : first + COLUMNS_PER_ROW]
        slots = max(MIN_COLUMNS, min(COLUMNS_PER_ROW, len(shown)))
        for column, item in zip(st.columns(slots), row, strict=False):
            with column:
                show_mask(item)
        for column, item in zip(st.columns(slots), row, strict=False):
            with column:
                if item.result.spec.key in blurred:
                    st.image(blurred[item.result.spec.key], width="stretch")
                    downloads(item, upload, look)


def show_before_after(shown: list[Shown], upload: Upload, blurred: dict[str, np.ndarray]) -> None:
    found = [item.result.spec for item in shown if item.result.spec.key in blurred]
    if not found:
        return
    st.subheader("Before / after")
    spec = st.selectbox(
        "Compare the original with",
        found,
        format_func=lambda s: s.label,
        key=f"compare:{upload.file_id}",
        help="Drag across the photo to move the divide.",
    )
    page, height = before_after_html(upload.preview, blurred[spec.key], ("Original", spec.label))
    st.iframe(page, height=height)


def show_agreement(shown: list[Shown]) -> None:
    """Pairwise mask IoU as a heatmap, and inference time per model as bars."""
    with_alpha = [item for item in shown if item.alpha is not None]
    timed = [item for item in shown if item.result.ok]
    if not timed:
        return
    st.subheader("Agreement and speed")
    left, right = st.columns(2)
    if len(with_alpha) < 2:
        left.caption("Mask agreement needs two or more models that found a person.")
    else:
        labels = [item.result.spec.label for item in with_alpha]
        matrix = blur.iou_matrix([item.alpha for item in with_alpha])
        cells = pd.DataFrame(
            [(a, b, matrix[i, j]) for i, a in enumerate(labels) for j, b in enumerate(labels)],
            columns=["model", "versus", "IoU"],
        )
        heat = alt.Chart(cells).encode(
            x=alt.X("versus:N", sort=labels, title=None),
            y=alt.Y("model:N", sort=labels, title=None),
        )
        chart = heat.mark_rect().encode(
            color=alt.Color("IoU:Q", scale=alt.Scale(domain=[0, 1], scheme="greens"))
        ) + heat.mark_text().encode(text=alt.Text("IoU:Q", format=".2f"))
        with left:
            st.caption("Mask agreement: intersection over union of the subjects (alpha > 0.5)")
            st.altair_chart(chart, width="stretch", height=60 + 40 * len(labels))
            st.dataframe(
                pd.DataFrame(matrix, index=labels, columns=labels).round(3), width="stretch"
            )
    times = pd.DataFrame(
        {
            "model": [item.result.spec.label for item in timed],
            "seconds": [item.result.inference_s for item in timed],
        }
    )
    bars = (
        alt.Chart(times)
        .mark_bar()
        .encode(
            x=alt.X("seconds:Q", title="inference time (s)"),
            y=alt.Y("model:N", sort="x", title=None),
            tooltip=["model", alt.Tooltip("seconds:Q", format=".3f")],
        )
    )
    with right:
        st.caption("Inference time on this photo (model only, not loading)")
        st.altair_chart(bars, width="stretch", height=60 + 30 * len(timed))


def show_photo(upload: Upload, chosen: list[ModelSpec], device: str, look: Look) -> None:
    if upload.photo.notes:
        st.caption(f"{as_text(upload.photo.name)}: " + "; ".join(upload.photo.notes) + ".")
    cache = st.session_state["shown"]
    shown = [
        cache[key]
        for spec in chosen
        if (key := (upload.file_id, spec.key, models.runs_on(spec, device))) in cache
    ]
    if not shown:
        size = f"{upload.rgb.shape[1]}x{upload.rgb.shape[0]}"
        st.image(upload.preview, caption=f"{size} · click {RUN_LABEL}", width=320)
        return
    blurred = preview_blurs(shown, upload, look)
    show_results(shown, upload, look, blurred)
    show_before_after(shown, upload, blurred)
    show_agreement(shown)


def all_exports(uploads: list[Upload], chosen: list[ModelSpec], device: str, look: Look):
    cache = st.session_state["shown"]
    return [
        export_item(item, upload, look)
        for upload in uploads
        for spec in chosen
        if (item := cache.get((upload.file_id, spec.key, models.runs_on(spec, device))))
        and item.alpha is not None
    ]


device, chosen, look = sidebar()
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

exportable = all_exports(uploads, chosen, device, look)
if exportable:
    st.download_button(
        "Download all results (ZIP)",
        data=partial(zip_bytes, exportable),
        file_name="portrait-blur-results.zip",
        mime="application/zip",
        on_click="ignore",
        help="Per photo and model: overlay, matte, cut-out and blurred photo, full resolution.",
    )
if len(uploads) == 1:
    show_photo(uploads[0], chosen, device, look)
elif uploads:
    for tab, upload in zip(st.tabs([as_text(u.title) for u in uploads]), uploads, strict=True):
        with tab:
            show_photo(upload, chosen, device, look)
