"""The Compare page's first row (the uploader, Run, and the sample or cancel button), drawn
before anything heavy is imported.

A server's first script run imports numpy, OpenCV, Pillow, the Hub client and torch (for
the device check): seconds on a small machine. This module imports none of them, so on a
first visit the uploader and *Try a sample portrait* are on screen, and usable, as soon as
the title is; the sidebar's contents and the rest of the page follow below and beside them
(nothing is drawn above the row later, so it never moves).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from photo.formats import UPLOAD_TYPES
from ui.labels import RUN_LABEL, SAMPLE_LABEL
from ui.state import has_session

PITCH = (
    "Upload a portrait, tick segmentation models in the sidebar (on a phone: » at the top "
    "left) and compare, side by side, each model's mask and the background blur it gives, "
    "with its timing."
)
SIDEBAR_TITLE = "Settings"


@dataclass(frozen=True)
class FirstRow:
    """The row as drawn: the uploader's files and the places still to fill."""

    files: list  # the uploader's UploadedFiles
    pitch: DeltaGenerator  # above the row: the pitch while there is no photo
    run: DeltaGenerator  # Run's place
    side: DeltaGenerator  # the sample button's or the cancel button's place
    drawn: bool  # Run (disabled) and the sample button are drawn already: a first visit


def take_sample() -> None:
    """The sample button's callback: the bundled portrait into this session, run as if Run
    were clicked (imported here: by the time a click is answered, the page has loaded)."""
    from ui.intake import try_sample
    from ui.state import user_session

    try_sample(user_session())


def sample_button(place: DeltaGenerator) -> None:
    place.button(
        SAMPLE_LABEL,
        on_click=take_sample,
        help="Runs the ticked models on a bundled portrait (astronaut, public domain)",
        width="stretch",
    )


def run_button(place: DeltaGenerator, disabled: bool) -> bool:
    return place.button(RUN_LABEL, type="primary", disabled=disabled, width="stretch")


def first_row() -> FirstRow:
    """The sidebar's title (so the sidebar is there from the first draw and the main area
    does not narrow when its contents arrive), the pitch, the uploader, and on a first visit
    (no session yet, so nothing can be running and no sample is loaded) the disabled Run
    and the sample button, all before any heavy import."""
    st.sidebar.header(SIDEBAR_TITLE)
    pitch = st.empty()
    upload_column, run_column, side_column = st.columns([5, 3, 2], vertical_alignment="center")
    files = upload_column.file_uploader(
        "Upload portraits",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        label_visibility="collapsed",
    )
    run, side = run_column.empty(), side_column.empty()
    first_visit = not has_session() and not files
    if first_visit:
        pitch.caption(PITCH)
        run_button(run, disabled=True)
        sample_button(side)
    return FirstRow(files or [], pitch, run, side, first_visit)
