"""Portrait Blur Arena: compare segmentation models on one portrait, side by side.

UI only. Photos, results and model runs live in a ``service.Session`` per browser session;
models run in the shared ``service`` model pool, outside this script, so a rerun (a slider,
a checkbox, another upload) never stops a run or loses a finished result.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import blur
import models
from before_after import before_after_html
from exports import Export, file_name, make_file, photo_folders, zip_file
from models import ModelResult, ModelSpec
from photo import UPLOAD_TYPES, PhotoError, as_text
from service import Job, PhotoFile, Session, StoredPhoto, configure_logging, shared_pool

RUN_LABEL = "Run Segmentation and Blurring"
CANCEL_LABEL = "Cancel queued runs"
COLUMNS_PER_ROW = 4
MIN_COLUMNS = 3  # so one or two models do not stretch their images across the page
POLL_SECONDS = 0.25
LENS_LABELS = {"gaussian": "Gaussian", "disc": "Lens (bokeh)"}
DOWNLOAD_LABELS = {
    "blur.jpg": "Blurred photo (JPEG)",
    "cutout.png": "Cut-out (PNG with alpha)",
    "matte.png": "Matte (8-bit PNG)",
    "overlay.png": "Mask overlay (PNG)",
}

log = logging.getLogger("portrait_blur.app")


def model_help(spec: ModelSpec) -> str:
    download = f"~{spec.download_mb} MB download on first use" if spec.download_mb else "offline"
    return (
        f"{spec.source} · {spec.mask_kind} mask · input {spec.input_policy} · "
        f"licence {spec.licence} · {download}"
    )


def spec_label(spec: ModelSpec) -> str:
    return spec.label


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


def user_session() -> Session:
    """This browser session's photos, results and runs."""
    if "session" not in st.session_state:
        st.session_state["session"] = Session(shared_pool())
    return st.session_state["session"]


def unique_titles(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    titles = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        titles.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return titles


def load_uploads(session: Session, files: list) -> tuple[list[StoredPhoto], list[str]]:
    """Decode each upload once (reruns reuse it); bad files become messages. Photos
    removed from the uploader are forgotten at once, results included."""
    bad: dict[str, str] = st.session_state.setdefault("bad_files", {})
    current = {f.file_id for f in files}
    session.keep_only(current)
    for gone in [file_id for file_id in bad if file_id not in current]:
        del bad[gone]
    good, errors = [], []
    names = [f.name for f in files]
    for file, title, folder in zip(files, unique_titles(names), photo_folders(names), strict=True):
        photo = session.photo(file.file_id)
        if photo is None and file.file_id not in bad:
            try:
                photo = session.add_photo(
                    file.file_id, title, folder, PhotoFile(file.name, file.getvalue())
                )
            except PhotoError as error:
                bad[file.file_id] = f"{as_text(error.name)}: {error.problem}"
            except Exception as error:  # noqa: BLE001 - a file must never crash the app
                log.exception("Could not read the upload %r", file.name)
                bad[file.file_id] = (
                    f"{as_text(file.name)}: could not be read ({type(error).__name__})."
                )
        if photo is not None:
            good.append(photo)
        else:
            errors.append(bad[file.file_id])
    return good, errors


def job_text(job: Job) -> str:
    """Where one job is, in words: queued, downloading (bytes), loading, running."""
    state, label = job.state, job.spec.label
    if state is None:
        return f"{label}: waiting for this session's earlier jobs"
    seconds = time.monotonic() - state.since
    if state.stage == "queued":
        return f"{label}: queued behind {state.ahead} job(s) of other users"
    if state.stage == "starting":
        return f"{label}: starting its worker"
    if state.stage == "downloading":
        done, total = state.done_bytes / 1e6, state.total_bytes / 1e6
        return f"{label}: downloading {done:,.0f} / {total:,.0f} MB"
    if state.stage == "loading":
        return f"{label}: loading ({seconds:.0f} s)"
    return f"{label}: running ({seconds:.1f} s)"


def show_progress(session: Session, slot) -> None:
    """Until a new result arrives (then rerun to show it) or nothing is left to run."""
    finished = session.finished
    while session.finished == finished and session.busy:
        pending = session.pending()
        if pending:
            job = pending[0]
            left = len(pending)
            slot.progress(
                session.progress(),
                text=f"{job_text(job)} · {as_text(job.photo.title)} · {left} left",
            )
        time.sleep(POLL_SECONDS)
    slot.empty()
    st.rerun()


def timing_caption(result: ModelResult) -> str:
    caption = f"Inference: {result.inference_s:.2f} s · {models.device_label(result.device)}"
    if result.load_s:
        caption += f" · loaded in {result.load_s:.1f} s"
    return caption


@dataclass
class Shown:
    """A model's place on the page: its result (if any) and what its columns display."""

    spec: ModelSpec
    result: ModelResult | None  # None: not run yet on this photo and device
    alpha: np.ndarray | None = None  # at preview size, when a subject was found
    waiting: bool = False  # queued or running now


def shown_result(
    spec: ModelSpec, result: ModelResult | None, photo: StoredPhoto, waiting: bool
) -> Shown:
    if result is None or not (result.ok and result.found_subject):
        return Shown(spec, result, waiting=waiting)
    return Shown(spec, result, result.alpha_at(photo.preview.shape[:2]), waiting)


def show_mask(item: Shown, overlay: np.ndarray | None) -> None:
    st.subheader(item.spec.label)
    result = item.result
    if result is None:
        st.info("Running…" if item.waiting else f"Not run yet: click {RUN_LABEL}.")
        return
    if not result.ok:
        st.error(result.error)
        if item.waiting:
            st.caption("Retrying…")
        return
    st.caption(timing_caption(result))
    if overlay is not None:
        st.image(overlay, width="stretch")
    else:
        st.warning("No humans detected.")


def exportable(session: Session, photo: StoredPhoto, chosen: list[ModelSpec], device: str):
    """(spec, result) of every chosen model that found a subject in ``photo``."""
    found = ((spec, session.result(photo.id, spec, device)) for spec in chosen)
    return [(spec, result) for spec, result in found if result and result.found_subject]


def exports_of(session: Session, photo: StoredPhoto, chosen: list[ModelSpec], device: str,
               look: Look):  # fmt: skip
    """Full-resolution exports of one photo's results, decoding the photo once."""
    results = exportable(session, photo, chosen, device)
    rgb = photo.full_rgb() if results else None
    for spec, result in results:
        yield Export(
            photo.folder, spec.key, rgb, result.matte, spec.soft_mask,
            look.strength, look.lens, look.clean_edges,
        )  # fmt: skip


def download_file(session, photo, spec, device, look, kind) -> bytes:
    items = list(exports_of(session, photo, [spec], device, look))
    return make_file(items[0], kind) if items else b""


def downloads(session: Session, photo: StoredPhoto, spec: ModelSpec, device: str, look: Look):
    """Per-result files, each made at full resolution only when its button is clicked."""
    with st.popover("Downloads", width="stretch"):
        for kind, label in DOWNLOAD_LABELS.items():
            st.download_button(
                label,
                data=partial(download_file, session, photo, spec, device, look, kind),
                file_name=f"{photo.folder}_{file_name(spec.key, kind)}",
                key=f"download:{photo.id}:{spec.key}:{kind}",
                on_click="ignore",
                width="stretch",
            )


def all_results_zip(session, photos: list[StoredPhoto], chosen, device, look):
    """Every result's files, one photo decoded at a time, through a temporary file."""
    return zip_file(
        item for photo in photos for item in exports_of(session, photo, chosen, device, look)
    )


def preview_blurs(shown: list[Shown], photo: StoredPhoto, look: Look) -> dict[str, np.ndarray]:
    return {
        item.spec.key: blur.blur_background(
            photo.preview,
            item.alpha,
            look.strength,
            soft=item.spec.soft_mask,
            pixel_scale=photo.preview_scale,
            lens=look.lens,
            clean_edges=look.clean_edges,
        )
        for item in shown
        if item.alpha is not None
    }


def show_results(
    session: Session, shown: list[Shown], photo: StoredPhoto, device: str, look: Look,
    blurred: dict[str, np.ndarray],
) -> None:  # fmt: skip
    """Per row of models: their mask overlays, then their blurred photos underneath."""
    for first in range(0, len(shown), COLUMNS_PER_ROW):
        row = shown[first : first + COLUMNS_PER_ROW]
        slots = max(MIN_COLUMNS, min(COLUMNS_PER_ROW, len(shown)))
        for column, item in zip(st.columns(slots), row, strict=False):
            with column:
                overlay = None
                if item.alpha is not None:
                    overlay = blur.mask_overlay(photo.preview, item.alpha)
                show_mask(item, overlay)
        for column, item in zip(st.columns(slots), row, strict=False):
            with column:
                if item.spec.key in blurred:
                    st.image(blurred[item.spec.key], width="stretch")
                    downloads(session, photo, item.spec, device, look)


def show_before_after(shown: list[Shown], photo: StoredPhoto, blurred: dict[str, np.ndarray]):
    found = [item.spec for item in shown if item.spec.key in blurred]
    if not found:
        return
    st.subheader("Before / after")
    spec = st.selectbox(
        "Compare the original with",
        found,
        format_func=spec_label,
        key=f"compare:{photo.id}",
        help="Drag across the photo to move the divide.",
    )
    page, height = before_after_html(photo.preview, blurred[spec.key], ("Original", spec.label))
    st.iframe(page, height=height)


def show_agreement(shown: list[Shown]) -> None:
    """Pairwise mask IoU as a heatmap, and inference time per model as bars."""
    with_alpha = [item for item in shown if item.alpha is not None]
    timed = [item for item in shown if item.result is not None and item.result.ok]
    if not timed:
        return
    st.subheader("Agreement and speed")
    left, right = st.columns(2)
    if len(with_alpha) < 2:
        left.caption("Mask agreement needs two or more models that found a person.")
    else:
        labels = [item.spec.label for item in with_alpha]
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
            "model": [item.spec.label for item in timed],
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


def show_photo(
    session: Session, photo: StoredPhoto, chosen: list[ModelSpec], device: str, look: Look,
    waiting: set[tuple[str, str, str]],
) -> None:  # fmt: skip
    if photo.notes:
        st.caption(f"{as_text(photo.file.name)}: " + "; ".join(photo.notes) + ".")
    shown = []
    for spec in chosen:
        result = session.result(photo.id, spec, device)
        is_waiting = (photo.id, spec.key, models.runs_on(spec, device)) in waiting
        if result is not None or is_waiting:
            shown.append(shown_result(spec, result, photo, is_waiting))
    if not shown:
        w, h = photo.size
        st.image(photo.preview, caption=f"{w}x{h} · click {RUN_LABEL}", width=320)
        return
    blurred = preview_blurs(shown, photo, look)
    show_results(session, shown, photo, device, look, blurred)
    show_before_after(shown, photo, blurred)
    show_agreement(shown)


def main() -> None:
    configure_logging()
    st.set_page_config(page_title="Portrait Blur Arena", layout="wide")
    st.title("Portrait Background Blur — Model Comparison")
    device, chosen, look = sidebar()
    session = user_session()
    files = st.file_uploader("Upload portraits", type=UPLOAD_TYPES, accept_multiple_files=True)
    run_column, cancel_column = st.columns([3, 1])
    clicked = run_column.button(RUN_LABEL, type="primary", disabled=not files or not chosen)
    progress_slot = st.empty()
    if not chosen:
        st.info("Tick at least one model in the sidebar.")

    photos, bad_files = load_uploads(session, files or [])
    for message in bad_files:
        st.error(message)
    # Results live per (photo, model, device): clicking again runs only what is missing
    # or failed; moving the slider never runs a model.
    if clicked and photos:
        session.submit([photo.id for photo in photos], chosen, device)
    if session.busy and cancel_column.button(CANCEL_LABEL):
        session.cancel()
    waiting = {job.key for job in session.pending()}

    if any(exportable(session, photo, chosen, device) for photo in photos):
        st.download_button(
            "Download all results (ZIP)",
            data=partial(all_results_zip, session, photos, chosen, device, look),
            file_name="portrait-blur-results.zip",
            mime="application/zip",
            on_click="ignore",
            help="Per photo and model: overlay, matte, cut-out and blurred photo, full resolution.",
        )
    if len(photos) == 1:
        show_photo(session, photos[0], chosen, device, look, waiting)
    elif photos:
        for tab, photo in zip(st.tabs([as_text(p.title) for p in photos]), photos, strict=True):
            with tab:
                show_photo(session, photo, chosen, device, look, waiting)
    if session.busy:
        show_progress(session, progress_slot)


if __name__ == "__main__":
    main()
