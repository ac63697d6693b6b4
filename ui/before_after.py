"""Before / after: the original and one model's blur, with a divide the user drags."""

from __future__ import annotations

import streamlit as st

from ui.components.before_after import before_after_html
from ui.render import IMAGE_HEIGHT, Shown, ViewChoice, Views
from ui.settings import Look, spec_label


def show_before_after(views: Views, found: list[Shown], look: Look) -> None:
    """Drawn only while open: closed, a slider step does not send it again."""
    if not found:
        return
    section = st.expander("Before / after", key=f"before-after:{views.photo.id}", on_change="rerun")
    if not section.open:
        return
    with section:
        show_divide(views, found, look)


def show_divide(views: Views, found: list[Shown], look: Look) -> None:
    spec = st.selectbox(
        "Compare the original with",
        [item.spec for item in found],
        format_func=spec_label,
        key=f"compare:{views.photo.id}",
        help="Drag across the photo to move the divide.",
    )
    item = next(item for item in found if item.spec == spec)
    labels = ("Original", item.spec.label)
    blurred = views.image(item, ViewChoice("Blur"), look)
    h, w = views.shape
    page = before_after_html(
        views.original(), blurred, (w, h), labels, IMAGE_HEIGHT, memory_key=views.photo.id
    )
    st.iframe(page, height="content")
