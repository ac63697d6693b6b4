"""The Compare page (the app's root): upload portraits or try the sample, run the ticked
models, and compare their results side by side.

Photos, results and model runs live in a ``service.Session`` per browser session; models
run in the shared model pool, outside this script, so a rerun (a slider, a checkbox,
another upload) never stops a run or loses a finished result.
"""

from __future__ import annotations

import streamlit as st

from photo.decode import UPLOAD_TYPES
from service import Session, StoredPhoto, configure_logging
from service.session import result_key
from ui.agreement import show_agreement
from ui.downloads import Everything
from ui.grid import failed_for_good, image_width, show_image, show_results
from ui.intake import SAMPLE_ID, load_uploads, try_sample
from ui.labels import CANCEL_LABEL, RUN_LABEL, SAMPLE_LABEL
from ui.progress import show_progress, wait_if_soon
from ui.render import Shown, Views, grid_side
from ui.settings import REFINE_NOW, Finish, sidebar
from ui.state import user_session
from ui.text import as_text
from ui.truth import show_truth_scores, take_truth, truth_item

PITCH = (
    "Upload a portrait, tick segmentation models in the sidebar (on a phone: » at the top "
    "left) and compare, side by side, each model's mask and the background blur it gives, "
    "with its timing."
)


PHOTO_TAB = "photo_tab"


def open_newest(photos: list[StoredPhoto], titles: list[str]) -> None:
    """A photo just added opens its own tab (the open tab would stay where it was, and the
    new photo be nowhere in view)."""
    ids = [photo.id for photo in photos]
    before = st.session_state.get("photo_ids", ids[:1])
    st.session_state["photo_ids"] = ids
    added = [i for i, photo_id in enumerate(ids) if photo_id not in before]
    if added:
        st.session_state[PHOTO_TAB] = titles[added[-1]]


def refine_where_ready(session: Session, photos: list[StoredPhoto], chosen, device: str) -> None:
    """A refiner needs nothing but its model's mask: the refined entries just picked run at
    once on every photo where that model has a result (elsewhere they wait for Run)."""
    for photo in photos:
        ready = []
        for spec in chosen:
            base = session.result(photo.id, spec.base, device) if spec.base else None
            if base is not None and base.ok:
                ready.append(spec)
        if ready:
            session.submit([photo.id], ready, device)


def show_photo(
    session: Session, photo: StoredPhoto, everything: Everything, device: str, finish: Finish,
    waiting: set[tuple[str, str, str]],
) -> None:  # fmt: skip
    if photo.notes:
        st.caption(f"{as_text(photo.file.name)}: " + "; ".join(photo.notes) + ".")
    shown = []
    for spec in everything.chosen:
        key = result_key(photo.id, spec, device)
        result = session.result(photo.id, spec, device, finish.mask)
        shown.append(Shown(spec, result, key, finish.mask.tag, key in waiting))
    if not any(item.result is not None or item.waiting for item in shown):
        w, h = photo.size
        original = Views(session, photo, grid_side(1)).original()
        show_image(original, image_width(photo), caption=f"{w}x{h} · not run yet")
        return
    take_truth(photo)  # before the grid: its Difference view can compare with the truth
    show_results(session, photo, shown, device, finish, everything, truth_item(photo))
    # Outside the fragment: no slider step redraws the charts.
    # At the grid's size (its columns: the results that did not fail), so its views serve.
    placed = [item for item in shown if not failed_for_good(item)]
    show_agreement(Views(session, photo, grid_side(len(placed))), shown)
    show_truth_scores(session, photo, shown)


def main() -> None:
    """Everything below the title (app.py draws that first)."""
    configure_logging()
    settings = sidebar()
    device, chosen, finish = settings.device, settings.chosen, settings.finish
    session = user_session()
    landing = st.empty()
    upload_column, run_column, side_column = st.columns([5, 3, 2], vertical_alignment="center")
    files = upload_column.file_uploader(
        "Upload portraits",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        label_visibility="collapsed",
    )
    photos, bad_files = load_uploads(session, files or [])
    if not photos:
        landing.caption(PITCH)
    clicked = run_column.button(
        RUN_LABEL, type="primary", disabled=not photos or not chosen, width="stretch"
    )
    if not chosen:
        st.info("Tick at least one model in the sidebar.")
    for message in bad_files:
        st.error(message)
    # Results live per (photo, model, device): clicking again runs only what is missing
    # or failed; moving the slider never runs a model.
    if st.session_state.pop("run_sample", False):
        clicked = True  # with this run's models and device, as Run
    refine = st.session_state.pop(REFINE_NOW, False)  # taken on every run, used once
    if clicked and photos:
        session.submit([photo.id for photo in photos], chosen, device)
    elif refine:
        refine_where_ready(session, photos, chosen, device)
    wait_if_soon(session)
    # After the submit, so a run just started can be cancelled at once.
    if session.busy:
        side_column.button(CANCEL_LABEL, on_click=session.cancel, width="stretch")
    elif not files and session.photo(SAMPLE_ID) is None:
        side_column.button(
            SAMPLE_LABEL,
            on_click=try_sample,
            args=(session,),
            help="Runs the ticked models on a bundled portrait (astronaut, public domain)",
            width="stretch",
        )
    if session.busy:
        show_progress(session, session.finished)
    waiting = {job.key for job in session.pending()}

    everything = Everything(photos, chosen)
    if len(photos) == 1:
        show_photo(session, photos[0], everything, device, finish, waiting)
    elif photos:
        titles = [as_text(p.title) for p in photos]
        open_newest(photos, titles)
        # Only the open tab is drawn: hidden photos cost nothing on a rerun.
        tabs = st.tabs(titles, key=PHOTO_TAB, on_change="rerun")
        for tab, photo in zip(tabs, photos, strict=True):
            if tab.open:
                with tab:
                    show_photo(session, photo, everything, device, finish, waiting)


if __name__ == "__main__":  # as Streamlit runs a page's file
    main()
