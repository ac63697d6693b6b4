"""The zoom's spot picker: a photo to click, whose click says where (a Streamlit component
with its script inline: nothing is fetched, it works offline).

``spot_picker(jpeg, key, on_pick)`` draws the image; a click calls ``on_pick`` before the
rerun it causes, with ``picked(key)`` giving (across, down) as fractions of the image.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import cache

import streamlit as st

_JS = """
export default function (component) {
    const { data, setTriggerValue, parentElement } = component;
    let img = parentElement.querySelector("img");
    if (!img) {
        img = document.createElement("img");
        parentElement.appendChild(img);
    }
    img.src = data.src;
    img.alt = data.alt;
    img.title = data.alt;
    img.style.width = data.width + "px";
    img.onclick = (event) => {
        const box = img.getBoundingClientRect();
        setTriggerValue("picked", {
            across: (event.clientX - box.left) / box.width,
            down: (event.clientY - box.top) / box.height,
        });
    };
}
"""
_CSS = "img { display: block; max-width: 100%; cursor: crosshair; border-radius: 0.5rem; }"


@cache
def _component():
    """Registered once per process (Streamlit registers it again on a new runtime)."""
    return st.components.v2.component("spot_picker", js=_JS, css=_CSS)


def spot_picker(jpeg: bytes, key: str, on_pick: Callable[[], None], width: int,
                alt: str = "Click to zoom there") -> None:  # fmt: skip
    src = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
    _component()(
        key=key,
        data={"src": src, "width": width, "alt": alt},
        on_picked_change=on_pick,
        width=width,
    )


def picked(key: str) -> tuple[float, float] | None:
    """Where the last click of the picker ``key`` was, as (across, down) in [0, 1]; for
    its ``on_pick`` callback."""
    state = st.session_state.get(key) or {}
    spot = state.get("picked") if hasattr(state, "get") else None
    if not spot:
        return None
    return tuple(min(1.0, max(0.0, float(spot[axis]))) for axis in ("across", "down"))
