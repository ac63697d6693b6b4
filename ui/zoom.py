"""Zoom: the same square of every result, cut from full-resolution data, side by side."""

from __future__ import annotations

from functools import partial

import cv2
import numpy as np
import streamlit as st

import blur
from blur.zoom import ZOOMS, Square, square_at, subject_top
from ui.components.spot_picker import picked, spot_picker
from ui.render import ZOOM_TILE, Shown, ViewChoice, Views, jpeg, unlinkable
from ui.served import keep_served
from ui.settings import Look
from ui.text import as_text


def percent(zoom: int) -> str:
    return f"{zoom}%"


def show_zoom(
    views: Views, found: list[Shown], choice: ViewChoice, look: Look,
    titles: list[str] | None = None, showing: str | None = None,
) -> None:  # fmt: skip
    """The same square of every result, from full-resolution data, side by side, each
    under its title (the model's name unless ``titles`` are given); with ``showing`` (the
    Arena's pair), no tile's address links it to one seen elsewhere (render.unlinkable)."""
    if not found:
        return
    photo = views.photo
    section = st.expander(
        "Zoom: the same spot of every result, at full resolution",
        key=f"zoom:{photo.id}",
        on_change="rerun",
    )
    if not section.open:
        return
    with section:
        controls, where = st.columns([3, 1])
        spot = (f"across:{photo.id}", f"down:{photo.id}")
        if spot[0] not in st.session_state:
            start = subject_top(views.alpha(found[0]))  # where hair usually is
            for key, fraction in zip(spot, start, strict=True):
                st.session_state[key] = round(100 * fraction)
        with controls:
            across = st.slider("Across", 0, 100, key=spot[0])
            down = st.slider("Down", 0, 100, key=spot[1])
            zoom = st.select_slider(
                "Zoom", ZOOMS, value=200, format_func=percent, key=f"zoom-level:{photo.id}",
                help="Screen pixels per photo pixel, in percent: 400% shows each photo pixel "
                "as a 4x4 block.",
            )  # fmt: skip
        square = square_at(photo.size, across / 100, down / 100, zoom, ZOOM_TILE)
        with where:
            picker = f"spot:{photo.id}"
            spot_picker(jpeg(locator(views, square)), picker, partial(move_spot, picker, spot),
                        width=200)  # fmt: skip
            st.caption("Where: click the photo to zoom there")
        # Tiles at their own pixel width, as many to a row as fit: a column narrower than a
        # tile would shrink it, and the zoom would no longer be the one it states.
        with st.container(horizontal=True, wrap=True, gap="medium"):
            titles = titles or [item.spec.label for item in found]
            for item, title in zip(found, titles, strict=True):
                with st.container(width=ZOOM_TILE, gap="small"):
                    st.markdown(f"**{as_text(title)}**")
                    tile = views.zoom_tile(item, choice, look, square)
                    if showing:
                        tile = unlinkable(tile, f"{showing}{title}")
                    st.image(tile, width=ZOOM_TILE)
                    keep_served(item.place("zoom"), tile, ZOOM_TILE)  # an Across step


def move_spot(picker: str, spot: tuple[str, str]) -> None:
    """A click on the picker moves the Across and Down sliders there (a callback: before
    the rerun draws them)."""
    where = picked(picker)
    if where is not None:
        for key, fraction in zip(spot, where, strict=True):
            st.session_state[key] = round(100 * fraction)


def locator(views: Views, square: Square) -> np.ndarray:
    """The photo, small, with the zoomed square outlined."""
    small, scale = blur.fit_within(views.base, 400)
    scale *= views.shape[1] / views.photo.size[0]
    marked = small.copy()
    corner = (round(square.left * scale), round(square.top * scale))
    far = (round((square.left + square.side) * scale), round((square.top + square.side) * scale))
    cv2.rectangle(marked, corner, far, (255, 40, 40), 2)
    return marked
