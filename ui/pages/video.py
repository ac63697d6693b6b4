"""The Video page: upload a clip (or take the demo clip), run the ticked models over every
frame, and watch their blurred clips, mattes and overlays side by side, played in sync, with
each model's speed and how much it flickers (and, with true mattes, its error over time).

The clip, the runs and the results live in an ``evaluation.video.VideoSession`` per browser
session; models run in the shared model pool, so a rerun never stops a run or loses a
finished result.
"""

from __future__ import annotations

import streamlit as st

from evaluation.video.clip import UPLOAD_TYPES, ClipError, probe
from evaluation.video.pipeline import VIEWS
from evaluation.video.session import VideoSession, demo_clip
from service import configure_logging
from ui.clips import (
    VIEW_HELP,
    clip_caption,
    players,
    show_progress,
    show_scores,
    show_truth_intake,
    sidebar,
    video_session,
)  # fmt: skip
from ui.labels import RUN_LABEL

CANCEL_LABEL = "Cancel runs"

PITCH = (
    "Upload a clip, tick models in the sidebar and watch, side by side and in sync, each "
    "model's background blur over time, with its speed and how much its edges flicker."
)
DEMO_LABEL = "Try the demo clip"
DEMO_HELP = (
    "A synthetic clip made here, with its exact alpha per frame: runs offline on the in-box "
    "models and scores them against it"
)
UPLOADED = "video:uploaded"  # the upload the session holds, by file id


def use_demo(session: VideoSession) -> None:
    clip, truth = demo_clip()
    session.use_clip(clip, probe(clip, "Demo clip (synthetic)"), truth)
    st.session_state[UPLOADED] = None
    st.session_state["video:run_now"] = True


def take_upload(session: VideoSession, file) -> str | None:
    """Hand a new upload to the session once; an error message for a file that is no clip."""
    if file is None:
        if st.session_state.get(UPLOADED):
            session.use_clip(None, None)
            st.session_state[UPLOADED] = None
        return None
    if st.session_state.get(UPLOADED) == file.file_id:
        return None
    st.session_state[UPLOADED] = file.file_id
    try:
        session.set_clip(file.name, file.getvalue())
    except ClipError as error:  # the clip the session holds, and its results, stay
        st.session_state["video:bad"] = f"{error.name}: {error.problem}"
        return st.session_state["video:bad"]
    st.session_state.pop("video:bad", None)
    return None


def main() -> None:
    configure_logging()
    settings = sidebar()
    session = video_session()
    landing = st.empty()
    upload_column, run_column, side_column = st.columns([5, 3, 2], vertical_alignment="center")
    file = upload_column.file_uploader(
        "Upload a clip", type=UPLOAD_TYPES, label_visibility="collapsed", key="video:upload"
    )
    take_upload(session, file)
    bad = st.session_state.get("video:bad") if file is not None else None
    if session.clip is None:
        landing.caption(PITCH)
    clicked = run_column.button(
        RUN_LABEL, type="primary", disabled=session.clip is None or not settings.chosen,
        width="stretch", key="video:run",
    )  # fmt: skip
    if bad:
        st.error(bad)
    if not settings.chosen:
        st.info("Tick at least one model in the sidebar.")
    if st.session_state.pop("video:run_now", False) or clicked:
        session.submit(settings.chosen, settings.device, settings.steady, settings.look)
    if session.busy:
        side_column.button(CANCEL_LABEL, on_click=session.cancel, width="stretch",
                           key="video:cancel")  # fmt: skip
    elif file is None:
        side_column.button(
            DEMO_LABEL, on_click=use_demo, args=(session,), width="stretch", help=DEMO_HELP
        )
    if session.busy:
        show_progress(session, session.finished)
    for message in session.errors().values():
        st.error(message)
    if session.info is None:
        return
    st.caption(clip_caption(session.info))
    show_truth_intake(session)
    results = session.results()
    if not results:
        return
    view = st.segmented_control(
        "View", VIEWS, default="Blur", key="video:view", label_visibility="collapsed",
        required=True, help=" · ".join(f"{name}: {text}" for name, text in VIEW_HELP.items()),
    )  # fmt: skip
    players(session, results, view, columns=min(3, len(results)))
    show_scores(results)


if __name__ == "__main__":  # as Streamlit runs a page's file
    main()
