"""The Compare page below its first row: each photo's results (the grid, the agreement and
the truth's scores), one photo or a tab per photo, and the refiners' runs where a model's
mask is ready."""

from __future__ import annotations

import streamlit as st

from service import Session, StoredPhoto
from service.session import result_key
from ui.agreement import show_agreement
from ui.downloads import Everything
from ui.grid import failed_for_good, image_width, show_image, show_results
from ui.render import Shown, Views, grid_side
from ui.settings import Finish
from ui.text import as_text
from ui.truth import show_truth_scores, take_truth, truth_item

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


def show_photos(
    session: Session, photos: list[StoredPhoto], chosen, device: str, finish: Finish
) -> None:
    """One photo's results, or a tab per photo (only the open tab is drawn: hidden photos
    cost nothing on a rerun)."""
    waiting = {job.key for job in session.pending()}
    everything = Everything(photos, chosen)
    if len(photos) == 1:
        show_photo(session, photos[0], everything, device, finish, waiting)
    elif photos:
        titles = [as_text(p.title) for p in photos]
        open_newest(photos, titles)
        tabs = st.tabs(titles, key=PHOTO_TAB, on_change="rerun")
        for tab, photo in zip(tabs, photos, strict=True):
            if tab.open:
                with tab:
                    show_photo(session, photo, everything, device, finish, waiting)
