"""An image a slider step replaces stays served through the next run, so the browser never
asks for a file that is already gone.

Streamlit serves an st.image from its media file manager, keyed by the element's place in
the page, and deletes the file at the end of the first run (a fragment's too) that puts
another image in that place. A browser that has not fetched the old image by then (steps
taken faster than the images load, or a run stopped by the next step after sending part of
its images) asks for a deleted file: a 404 and "Image source error" in its console. So each
image of a place that changes is registered again under this session's own keys, two per
place used in turn: the image shown before stays referenced until the place changes again.
A session holds at most one superseded image per place; all go with the session.
"""

from __future__ import annotations

import streamlit as st
from streamlit import runtime
from streamlit.elements.lib.image_utils import image_to_url
from streamlit.elements.lib.layout_utils import LayoutConfig

SHOWN = "served:shown"  # session_state: how many images each place has shown
PREFIX = "served"  # media manager keys: f"served:{place}:{0 or 1}"


def keep_served(place: str, image: bytes, width: int | str = "stretch") -> None:
    """Keep ``image``, just drawn at ``place`` by st.image at ``width``, served after it is
    replaced: it is added as st.image adds it (the same bytes and type: the same file), under
    the key of ``place`` not holding the image shown there before."""
    if not runtime.exists():  # bare mode: nothing is served
        return
    shown: dict[str, int] = st.session_state.setdefault(SHOWN, {})
    count = shown.get(place, 0)
    shown[place] = count + 1
    key = f"{PREFIX}:{place}:{count % 2}"
    image_to_url(image, LayoutConfig(width=width), False, "RGB", "auto", key)
