"""Against the ground truth: the user's true matte of a photo, each result scored and ranked
against it, and the matte as one more reference for the Difference view."""

from __future__ import annotations

import cv2
import numpy as np
import streamlit as st

import blur
from evaluation import metrics
from evaluation.dataset import MATTE_TYPES, read_matte
from models import ModelResult, ModelSpec
from service import Session, StoredPhoto
from ui.render import Shown

TRUTH = ModelSpec(
    key="truth", label="Ground truth", family=None, mask_kind="alpha", licence="", url=""
)  # fmt: skip: never run, only shown
SCORE_MAX_SIDE = 2048  # results are scored against a true matte at most this big
ERROR_COLUMNS = {"SAD": "sad", "MSE": "mse", "Grad": "grad", "Conn": "conn", "MAE": "mae"}
SCORE_COLUMNS = {"IoU": "iou", "Boundary IoU": "boundary_iou"}


def truth_key(photo: StoredPhoto) -> str:
    return f"truth:{photo.id}"


def _read_from(photo: StoredPhoto) -> dict:
    """The page's memory of ``photo``'s truth upload: the file it was read from and why it
    could not be used (UI state: the session's photo keeps only the matte)."""
    return st.session_state.setdefault(f"truth-read:{photo.id}", {"upload": None, "error": None})


def take_truth(photo: StoredPhoto) -> None:
    """The true matte uploaded for ``photo`` (its widget's value from the last
    interaction; the widget is drawn below the results), read once per upload."""
    upload, read = st.session_state.get(truth_key(photo)), _read_from(photo)
    if upload is None:
        if photo.truth is not None:
            photo.set_truth(None)
        read.update(upload=None, error=None)
        return
    if read["upload"] == upload.file_id:
        return
    read["upload"] = upload.file_id
    try:
        alpha = read_matte(upload.getvalue(), photo.size, upload.name)
    except ValueError as error:
        photo.set_truth(None)
        read["error"] = str(error)
        return
    read["error"] = None
    photo.set_truth(blur.to_matte(alpha))


def truth_item(photo: StoredPhoto) -> Shown | None:
    """The true matte as one more place in the grid's Difference view."""
    if photo.truth is None:
        return None
    key = (photo.id, f"truth-{photo.truth_version}", "cpu")
    return Shown(TRUTH, ModelResult(spec=TRUTH, device="cpu", matte=photo.truth), key)


def truth_scores(session: Session, photo: StoredPhoto, shown: list[Shown]):
    """(item, metrics.Score) of every result against the truth, at SCORE_MAX_SIDE at most."""
    w, h = photo.size
    scale = min(1.0, SCORE_MAX_SIDE / max(w, h))
    shape = (max(1, round(h * scale)), max(1, round(w * scale)))

    def truth() -> np.ndarray:
        return blur.to_alpha(cv2.resize(photo.truth, shape[::-1], interpolation=cv2.INTER_AREA))

    scored = []
    for item in shown:
        if item.result is None or not item.result.ok:
            continue
        key = item.key("score", photo.truth_version, shape)
        score = session.view(
            key, lambda item=item: metrics.score(item.result.alpha_at(shape), truth())
        )
        scored.append((item, score))
    return scored, shape


def show_truth_scores(session: Session, photo: StoredPhoto, shown: list[Shown]) -> None:
    """The optional true-matte upload, and with it each model's scores, best first."""
    import pandas as pd  # here, not at the top: a cold server shows its first page sooner

    st.subheader("Against the ground truth")
    st.file_uploader(
        "Ground-truth matte (optional)", type=list(MATTE_TYPES), key=truth_key(photo),
        help="This photo's true matte: a greyscale image, or a cut-out whose transparency is "
        "the matte, the same size as the photo. Each model is then scored against it, and "
        "the Difference view can compare with it.",
    )  # fmt: skip
    error = _read_from(photo)["error"]
    if error:
        st.error(error)
    if photo.truth is None:
        return
    scored, shape = truth_scores(session, photo, shown)
    if not scored:
        st.info("No result to score yet.")
        return
    rows = [
        {"Model": item.spec.label}
        | {
            name: getattr(score, field)
            for name, field in {**ERROR_COLUMNS, **SCORE_COLUMNS}.items()
        }
        | {"Soft SAD": score.soft["sad"]}
        for item, score in scored
    ]
    table = pd.DataFrame(rows).sort_values("SAD").reset_index(drop=True)
    table.index = pd.RangeIndex(1, len(table) + 1, name="Rank")
    best = "font-weight: bold; background-color: rgba(33, 195, 84, 0.2)"
    styled = (
        table.style.format(precision=4)
        .highlight_min(subset=[*ERROR_COLUMNS, "Soft SAD"], props=best)
        .highlight_max(subset=list(SCORE_COLUMNS), props=best)
    )
    st.dataframe(styled, width="stretch")
    w, h = photo.size
    at = "full size" if shape == (h, w) else f"{shape[1]}x{shape[0]}"
    st.caption(
        f"Scored at {at}, ranked by SAD; the best of each column is highlighted. SAD, Grad and "
        "Conn in thousands (lower is better), IoUs higher is better; Soft SAD counts only the "
        "soft band of the truth (0 < alpha < 1, hair). The Difference view can compare each "
        "model with the ground truth."
    )
