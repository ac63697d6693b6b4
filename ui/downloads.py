"""Downloads: each result's files, and every result of every photo as one ZIP, made at full
resolution only when their button is clicked."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import partial

import numpy as np
import streamlit as st

from blur.mask_controls import MaskControls
from models import ModelSpec
from photo.decode import export_exif
from photo.exports import Export, file_name, make_file, zip_file
from service import Session, StoredPhoto
from ui.settings import Look

DOWNLOAD_LABELS = {
    "blur.jpg": "Blurred photo (JPEG)",
    "cutout.png": "Cut-out (PNG with alpha)",
    "matte.png": "Matte (8-bit PNG)",
    "overlay.png": "Mask overlay (PNG)",
}


@dataclass
class Everything:
    """Every photo and chosen model, for the download of all results."""

    photos: list[StoredPhoto]
    chosen: list[ModelSpec]


def exportable(session: Session, photo: StoredPhoto, chosen: list[ModelSpec], device: str,
               mask: MaskControls | None = None):  # fmt: skip
    """(spec, result) of every chosen model that found a subject in ``photo``, its matte
    with ``mask`` applied."""
    found = ((spec, session.result(photo.id, spec, device, mask)) for spec in chosen)
    return [(spec, result) for spec, result in found if result and result.found_subject]


def exports_of(session: Session, photo: StoredPhoto, chosen: list[ModelSpec], device: str,
               look: Look, keep_gps: bool):  # fmt: skip
    """Full-resolution exports of one photo's results, decoding the photo once."""
    results = exportable(session, photo, chosen, device, look.mask)
    if not results:
        return
    full = photo.full_photo()
    rgb, exif = np.asarray(full.image), export_exif(full.exif, keep_gps)
    for spec, result in results:
        yield Export(
            photo.folder, spec.key + look.mask.tag, rgb, result.matte, spec.soft_mask,
            look.strength, look.lens, look.clean_edges, exif,
        )  # fmt: skip


# Streamlit keeps a download button's callable until some later run, of any session, finds
# it orphaned: the callables hold the session weakly and photos by id, so a closed tab's
# photos and results are not kept alive by them.


def download_file(session_ref, photo_id: str, spec, device, look, keep_gps, kind) -> bytes:
    session = session_ref()
    photo = session.photo(photo_id) if session is not None else None
    if photo is None:
        return b""
    items = list(exports_of(session, photo, [spec], device, look, keep_gps))
    return make_file(items[0], kind) if items else b""


def downloads(session: Session, photo: StoredPhoto, spec: ModelSpec, device: str, look: Look,
              keep_gps: bool):  # fmt: skip
    """Per-result files, each made at full resolution only when its button is clicked."""
    with st.popover("Downloads"):
        for kind, label in DOWNLOAD_LABELS.items():
            st.download_button(
                label,
                data=partial(
                    download_file,
                    weakref.ref(session),
                    photo.id,
                    spec,
                    device,
                    look,
                    keep_gps,
                    kind,
                ),
                file_name=f"{photo.folder}_{file_name(spec.key + look.mask.tag, kind)}",
                key=f"download:{photo.id}:{spec.key}:{kind}",
                on_click="ignore",
                width="stretch",
            )


def all_results_zip(session_ref, photo_ids: list[str], chosen, device: str, look: Look,
                    keep_gps: bool):  # fmt: skip
    """Every result's files, one photo decoded at a time, through a temporary file."""
    session = session_ref()
    photos = [session.photo(i) for i in photo_ids] if session is not None else []
    photos = [photo for photo in photos if photo is not None]
    return zip_file(
        (
            item
            for photo in photos
            for item in exports_of(session, photo, chosen, device, look, keep_gps)
        ),
        [f"{photo}: {model}: {why}" for photo, model, why in
         left_out(session, photos, chosen, device, look.mask)],
    )  # fmt: skip


def left_out(session: Session, photos: list[StoredPhoto], chosen: list[ModelSpec], device: str,
             mask: MaskControls | None = None) -> list[tuple[str, str, str]]:  # fmt: skip
    """(photo title, model label, why) per chosen model and photo with no files to download."""
    lines = []
    for photo in photos:
        for spec in chosen:
            result = session.result(photo.id, spec, device, mask)
            if result is None:
                why = "not run yet"
            elif not result.ok:
                why = f"failed: {result.error}"
            elif not result.found_subject:
                why = "no person found"
            else:
                continue
            lines.append((photo.title, spec.label, why))
    return lines
