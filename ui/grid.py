"""The results grid of one photo: the toolbar (view, Blur Strength, the view's option), every
model's card and image, then the zoom and the before/after. A fragment: its widgets rerun
only it."""

from __future__ import annotations

import weakref
from functools import partial

import streamlit as st

import blur
import models
from blur.views import BACKDROPS, VIEWS
from models import NO_SUBJECT, ModelResult
from photo.exports import LEFT_OUT
from service import Session, StoredPhoto
from ui.before_after import show_before_after
from ui.downloads import Everything, all_results_zip, downloads, exportable, left_out
from ui.labels import RUN_LABEL
from ui.render import COLUMNS_PER_ROW, IMAGE_HEIGHT, Shown, ViewChoice, Views, grid_side
from ui.served import keep_served
from ui.settings import Finish, spec_label
from ui.state import keep, kept
from ui.text import as_text
from ui.zoom import show_zoom


def seconds_text(seconds: float) -> str:
    """A model's time as people read it: milliseconds under a tenth of a second (a light
    model's "0.00 s" reads as if nothing ran)."""
    if seconds < 0.001:
        return "under 1 ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 0.1 else f"{seconds:.2f} s"


def timing_caption(result: ModelResult) -> str:
    caption = f"{seconds_text(result.inference_s)} · {models.device_label(result.device)}"
    if result.load_s >= 0.1:  # a load of a few milliseconds is no news
        caption += f" · first load {result.load_s:.1f} s"
    return caption


def show_card(item: Shown) -> bool:
    """The model's name and timing, or what it has to say instead of an image; True if
    it has an image to show."""
    result = item.result
    name = f"**{as_text(item.spec.label)}**"
    if result is not None and result.ok:
        name += f" :gray[· {timing_caption(result)}]"
    st.markdown(name)
    if result is None:
        st.info("Running…" if item.waiting else f"Not run yet: click {RUN_LABEL}.")
        return False
    if not result.ok:
        st.error(result.error)
        if item.waiting:
            st.caption("Retrying…")
        return False
    if not result.found_subject:
        tag = item.mask_tag
        after = f" after the Mask settings ({tag[1:]}): move them back" if tag else ""
        st.warning(f"{NO_SUBJECT}{after}.")
        return False
    return True


def show_image(
    data: bytes, css_width: int, caption: str | None = None, place: str | None = None
) -> None:
    """``data`` drawn at most ``css_width`` CSS pixels wide with all its own pixels: given
    a pixel width, st.image re-encodes a wider image at that width, which loses the
    sharpness HiDPI screens need and costs a second decode and encode per slider step.
    A ``place`` whose image changes between runs keeps its previous one served (ui.served)."""
    with st.container(width=css_width):
        st.image(data, caption=caption, width="stretch")
    if place is not None:
        keep_served(place, data)


def image_width(photo: StoredPhoto) -> int:
    """CSS width that keeps the image IMAGE_HEIGHT tall at most (columns narrow it more)."""
    h, w = photo.preview.shape[:2]
    return max(120, round(IMAGE_HEIGHT * w / h))


def view_settings(shown: list[Shown], truth: Shown | None) -> tuple[ViewChoice, int]:
    """The toolbar above the grid: view, Blur Strength, and the view's own option."""
    view_column, strength_column, option_column = st.columns([4, 3, 2], vertical_alignment="bottom")
    with view_column:
        view = st.segmented_control("View", list(VIEWS), default="Blur", key="view", required=True)
    choice = ViewChoice(view)
    strength = kept("strength", blur.DEFAULT_STRENGTH)
    if view == "Blur":  # the only view it changes: elsewhere it would do nothing
        with strength_column:
            strength = keep("strength", blur_strength())
    with option_column:
        if view == "Overlay":
            outline = st.toggle("Outline only", value=kept("outline", False))
            choice = ViewChoice(view, outline=keep("outline", outline))
        elif view == "Cut-out":
            backdrops = list(BACKDROPS)
            backdrop = st.selectbox(
                "Backdrop", backdrops, index=backdrops.index(kept("backdrop", backdrops[0])),
                help="A solid colour shows what is left of the old background at the edges.",
            )  # fmt: skip
            choice = ViewChoice(view, backdrop=keep("backdrop", backdrop))
        elif view == "Difference":
            found = ([truth] if truth else []) + [item for item in shown if item.has_alpha]
            if len(found) >= 2:
                spec = st.selectbox(
                    "Against",
                    [item.spec for item in found],
                    format_func=spec_label,
                    key="reference",
                    help="Orange: subject only for the model; blue: only for this reference.",
                )
                reference = next(item for item in found if item.spec == spec)
                choice = ViewChoice(view, reference=reference)
    return choice, strength


def failed_for_good(item: Shown) -> bool:
    """A result that failed and is not being retried: said below the grid, not in a column
    of its own (ticked models that cannot run would squeeze the ones that did)."""
    return item.result is not None and not item.result.ok and not item.waiting


def blur_strength() -> int:
    return st.slider(
        "Blur Strength",
        min_value=blur.MIN_STRENGTH,
        max_value=blur.MAX_STRENGTH,
        value=kept("strength", blur.DEFAULT_STRENGTH),
        step=2,
        key="strength",
        help="How far the background is blurred: a kernel size in pixels on a photo "
        f"{blur.REFERENCE_SIDE} px on its longer side, scaled to each photo, so a setting "
        "looks the same on every photo. Moving it never runs a model again.",
    )


DIFFERENCE_NEEDS = (
    "Difference compares a result with another: tick a second model, refine this one "
    "(sidebar), or upload this photo's true matte under *Against the ground truth*."
)


@st.fragment
def show_results(
    session: Session, photo: StoredPhoto, shown: list[Shown], device: str, finish: Finish,
    everything: Everything, truth: Shown | None = None,
) -> None:  # fmt: skip
    """The grid: every model's image in one view, name and timing above; then the
    before/after and the agreement. A fragment: its widgets rerun only this."""
    choice, strength = view_settings(shown, truth)
    look = finish.with_strength(strength)
    drawable = choice.view != "Difference" or choice.reference is not None
    if not drawable:
        st.info(DIFFERENCE_NEEDS)
    elif choice.reference is not None:
        st.caption(
            f"Orange: subject only for the model; blue: subject only for "
            f"{as_text(choice.reference.spec.label)}; grey: both agree."
        )
    failed = [item for item in shown if failed_for_good(item)]
    placed = [item for item in shown if item not in failed]
    if failed:  # one line in the first screen; each message below the results
        names = ", ".join(as_text(item.spec.label) for item in failed)
        st.caption(f":red[Could not run: {names}. Why, and the fix: below the results.]")
    views = Views(session, photo, grid_side(len(placed)))
    slots = min(COLUMNS_PER_ROW, len(placed))
    for first in range(0, len(placed), COLUMNS_PER_ROW):
        row = placed[first : first + COLUMNS_PER_ROW]
        # Bottom-aligned: a card whose name wraps onto two lines keeps its image in line.
        for column, item in zip(st.columns(slots, vertical_alignment="bottom"), row, strict=False):
            with column:
                if show_card(item):
                    if drawable:
                        image = views.image(item, choice, look)
                        show_image(image, image_width(photo), place=item.place("grid"))
                    downloads(session, photo, item.spec, device, look, finish.keep_gps)
    for item in failed:  # below the results, full width: a line or two each, not a column
        message = item.result.error
        named = message.startswith(item.spec.label)
        st.error(message if named else f"{item.spec.label}: {message}")
    if any(exportable(session, p, everything.chosen, device) for p in everything.photos):
        st.download_button(
            "Download all results (ZIP)",
            data=partial(
                all_results_zip,
                weakref.ref(session),
                [p.id for p in everything.photos],
                everything.chosen,
                device,
                look,
                finish.keep_gps,
            ),
            file_name="portrait-blur-results.zip",
            mime="application/zip",
            on_click="ignore",
            help="Per photo and model: overlay, matte, cut-out and blurred photo, full resolution.",
        )
        missing = left_out(session, everything.photos, everything.chosen, device, finish.mask)
        if missing:
            named = "; ".join(f"{model} on {photo}" for photo, model, _ in missing[:3])
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            st.caption(as_text(f"Not in the ZIP: {named}{more} (why: its {LEFT_OUT})."))
    found = [item for item in shown if item.has_alpha]
    show_zoom(views, found if drawable else [], choice, look)
    show_before_after(views, found, look)
