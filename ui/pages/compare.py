"""The Compare page (the app's root): upload portraits or try the sample, run the ticked
models, and compare their results side by side.

Photos, results and model runs live in a ``service.Session`` per browser session; models
run in the shared model pool, outside this script, so a rerun (a slider, a checkbox,
another upload) never stops a run or loses a finished result.

The first row (ui.landing) is drawn before anything heavy is imported: on a server's first
run, the imports below it (numpy, OpenCV, the Hub client, torch for the device check, the
model pool) take seconds, and the uploader and the sample button are usable meanwhile.
"""

from __future__ import annotations

import streamlit as st

from ui.landing import PITCH, first_row, run_button, sample_button
from ui.labels import CANCEL_LABEL


def main() -> None:
    """Everything below the title (app.py draws that first)."""
    row = first_row()  # before any heavy import
    from service import configure_logging
    from ui.intake import SAMPLE_ID, load_uploads
    from ui.photos import refine_where_ready, show_photos
    from ui.progress import show_progress, wait_if_soon
    from ui.settings import REFINE_NOW, sidebar
    from ui.state import user_session

    configure_logging()
    settings = sidebar()  # the device check and the models' availability: after the row
    device, chosen, finish = settings.device, settings.chosen, settings.finish
    session = user_session()
    photos, bad_files = load_uploads(session, row.files)
    if not photos and not row.drawn:
        row.pitch.caption(PITCH)
    clicked = False if row.drawn else run_button(row.run, disabled=not photos or not chosen)
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
        row.side.button(CANCEL_LABEL, on_click=session.cancel, width="stretch")
    elif not row.drawn and not row.files and session.photo(SAMPLE_ID) is None:
        sample_button(row.side)
    if session.busy:
        show_progress(session, session.finished)
    show_photos(session, photos, chosen, device, finish)


if __name__ == "__main__":  # as Streamlit runs a page's file
    main()
