"""Photos in: the uploader's files and the sample portrait, decoded once into the session."""

from __future__ import annotations

import logging

import streamlit as st

from photo.decode import PhotoError
from photo.exports import photo_folders
from photo.samples import sample_path
from service import PhotoFile, Session, StoredPhoto
from ui.text import as_text

SAMPLE = sample_path()
SAMPLE_ID = "sample"

log = logging.getLogger("portrait_blur.app")


def unique_titles(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    titles = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        titles.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return titles


def try_sample(session: Session) -> None:
    """Load the bundled portrait; the run that follows runs the ticked models on it (the
    offline one by default), as if Run were clicked: one click from the landing to a result."""
    if session.photo(SAMPLE_ID) is None:
        file = PhotoFile(SAMPLE.name, SAMPLE.read_bytes())
        session.add_photo(SAMPLE_ID, f"Sample: {SAMPLE.name}", "sample", file)
    st.session_state["run_sample"] = True


def load_uploads(session: Session, files: list) -> tuple[list[StoredPhoto], list[str]]:
    """Decode each upload once (reruns reuse it); bad files become messages. Photos
    removed from the uploader are forgotten at once, results included."""
    bad: dict[str, str] = st.session_state.setdefault("bad_files", {})
    current = {f.file_id for f in files}
    sample = None if files else session.photo(SAMPLE_ID)  # your own photos replace it
    session.keep_only(current | ({SAMPLE_ID} if sample else set()))
    for gone in [file_id for file_id in bad if file_id not in current]:
        del bad[gone]
    good, errors = [sample] if sample else [], []
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
