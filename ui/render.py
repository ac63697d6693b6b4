"""What the grid and the zoom show of each result, drawn from the table of views and kept in
the session per setting. Streamlit-free: the page modules decide where it goes."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

import blur
from blur.views import CHECKS, VIEWS, ViewOptions
from blur.zoom import Square, blurred_window, magnified, matte_window
from models import ModelResult, ModelSpec
from service import ResultKey, Session, StoredPhoto, ViewKey
from service.session import PREVIEW_MAX_SIDE
from ui.settings import Look

COLUMNS_PER_ROW = 4
IMAGE_HEIGHT = 520  # CSS pixels: a photo's grid row stays within a 1440x900 window
ZOOM_TILE = 320  # pixels of each zoomed tile, shown 1:1
ZOOM_MARGIN = 48  # full-resolution pixels around the zoomed square: context for its edges


@dataclass
class Shown:
    """A model's place in the grid: its result, if any."""

    spec: ModelSpec
    result: ModelResult | None  # None: not run yet on this photo and device
    result_key: ResultKey  # where the session keeps the result
    mask_tag: str = ""  # the mask controls applied to it (MaskControls.tag)
    waiting: bool = False  # queued or running now

    @property
    def has_alpha(self) -> bool:
        return self.result is not None and self.result.ok and self.result.found_subject

    def place(self, part: str) -> str:
        """Where on the page this result's ``part`` (its grid image, its zoom tile) is."""
        return "/".join(map(str, (part, *self.result_key)))

    def key(self, *what) -> ViewKey:
        """The key of a view of this result that depends on ``what`` besides it."""
        return ViewKey(self.result_key[0], self.result_key, (self.mask_tag, *what))


def jpeg(pixels: np.ndarray, quality: int = 88) -> bytes:
    """An RGB or greyscale array as JPEG bytes, for the page."""
    bgr = pixels[..., ::-1] if pixels.ndim == 3 else pixels
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok, "JPEG encoding of an RGB array cannot fail"
    return data.tobytes()


def unlinkable(data: bytes, showing: str) -> bytes:
    """The same picture with ``showing`` (an id of this pair and side) in a JPEG comment:
    an image's address on the page is a hash of its bytes, so without it the same model's
    image would come back at the same address in a later pair, or the Compare page's, and
    an address once named would name the model again."""
    assert data[:2] == b"\xff\xd8", "a JPEG starts with its SOI marker"
    comment = showing.encode()
    return data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + data[2:]


def grid_side(models: int) -> int:
    """Pixels on the longer side of each grid image: twice its width on a 1440 px wide
    window (sharp on HiDPI screens), never more than the preview. Smaller images for more
    columns make each slider step cheaper to compute, send and decode."""
    columns = min(COLUMNS_PER_ROW, max(1, models))
    return min(PREVIEW_MAX_SIDE, max(640, 2200 // columns))


@dataclass(frozen=True, eq=False)  # never compared: its images are kept by setting()
class ViewChoice:
    """The grid's view (a VIEWS name) and that view's own option."""

    view: str = "Blur"
    outline: bool = False  # Overlay: the contour alone
    backdrop: str = CHECKS  # Cut-out: one of blur.views.BACKDROPS
    reference: Shown | None = None  # Difference: the result compared with

    def options(self, look: Look) -> ViewOptions:
        return look.options(self.outline, self.backdrop)

    def setting(self, look: Look) -> tuple:
        """What the view's image depends on besides the result: the key it is kept by."""
        reference = self.reference
        compared = (reference.result_key, reference.mask_tag) if reference else None
        return (self.view, VIEWS[self.view].setting(self.options(look)), compared)


class _Preview:
    """A result's canvas at the grid's size, each part kept in the session."""

    def __init__(self, views: Views, item: Shown, choice: ViewChoice) -> None:
        self.views, self.item, self.choice = views, item, choice

    @property
    def rgb(self) -> np.ndarray:
        return self.views.base

    @property
    def alpha(self) -> np.ndarray:
        return self.views.alpha(self.item)

    def colours(self, clean_edges: bool) -> np.ndarray:
        return self.views.colours(self.item, clean_edges)

    def blurred(self, options: ViewOptions) -> np.ndarray:
        sigma = blur.strength_sigma(options.strength, self.views.shape)
        return self.views.plan(self.item, options.clean_edges).render(sigma, options.lens)

    def reference(self) -> np.ndarray:
        return self.views.alpha(self.choice.reference)


class _Window:
    """A result's canvas in a window of the full-resolution photo: the zoom's."""

    def __init__(self, views: Views, item: Shown, choice: ViewChoice, box) -> None:
        self.views, self.item, self.choice, self.box = views, item, choice, box
        self.size = views.photo.size
        self.rgb = views.zoom_photo(box)
        self.alpha = matte_window(item.result.matte, self.size, box)

    def colours(self, clean_edges: bool) -> np.ndarray:
        return blur.foreground_colours(self.rgb, self.alpha) if clean_edges else self.rgb

    def blurred(self, options: ViewOptions) -> np.ndarray:
        # The blurred background upsampled from the preview's (smoother than a pixel here
        # at every strength); the subject and its edges composited at full size.
        sigma = blur.strength_sigma(options.strength, self.views.shape)
        clean = options.clean_edges
        background = self.views.plan(self.item, clean).background(sigma, options.lens)
        soft = self.item.spec.soft_mask
        return blurred_window(self.rgb, self.alpha, background, self.size, self.box, soft, clean)

    def reference(self) -> np.ndarray:
        return matte_window(self.choice.reference.result.matte, self.size, self.box)


class Views:
    """Each shown result's images at ``side`` pixels at most, made once per setting and
    kept in the session (forgotten with the photo or when its result is replaced)."""

    def __init__(self, session: Session, photo: StoredPhoto, side: int) -> None:
        self.session, self.photo, self.side = session, photo, side

    def _photo_view(self, *what, make):
        return self.session.view(ViewKey(self.photo.id, None, what), make)

    def _view(self, item: Shown, what: tuple, make):
        return self.session.view(item.key(self.side, *what), make)

    @property
    def base(self) -> np.ndarray:
        """The photo at this size."""
        return self._photo_view(
            "base", self.side, make=lambda: blur.fit_within(self.photo.preview, self.side)[0]
        )

    def matte(self, item: Shown) -> np.ndarray:
        return self._view(item, ("matte",), lambda: item.result.matte_at(self.shape))

    def alpha(self, item: Shown) -> np.ndarray:
        return blur.to_alpha(self.matte(item))

    @property
    def shape(self) -> tuple[int, int]:
        return self.base.shape[:2]

    def plan(self, item: Shown, clean_edges: bool) -> blur.BlurPlan:
        return self._view(
            item,
            ("plan", clean_edges),
            lambda: blur.BlurPlan(self.base, self.alpha(item), item.spec.soft_mask, clean_edges),
        )

    def image(self, item: Shown, choice: ViewChoice, look: Look) -> bytes:
        """The JPEG of ``item`` in the chosen view at this size."""
        view, options = VIEWS[choice.view], choice.options(look)
        canvas = _Preview(self, item, choice)
        return self._view(item, choice.setting(look), lambda: jpeg(view.draw(canvas, options)))

    def zoom_tile(self, item: Shown, choice: ViewChoice, look: Look, square: Square) -> bytes:
        """The JPEG of ``item`` in the chosen view within ``square`` of the full-resolution
        photo."""

        def make() -> bytes:
            box = square.grown(ZOOM_MARGIN, self.photo.size)
            drawn = VIEWS[choice.view].draw(_Window(self, item, choice, box), choice.options(look))
            left, top = square.left - box[0], square.top - box[1]
            cut = drawn[top : top + square.side, left : left + square.side]
            return jpeg(magnified(cut, ZOOM_TILE), quality=92)

        return self._view(item, ("zoom", *choice.setting(look), square), make)

    def zoom_photo(self, box: tuple[int, int, int, int]) -> np.ndarray:
        """The full-resolution photo within ``box``, decoded once per box."""
        left, top, right, bottom = box
        return self._photo_view(
            "zoom-photo", box,
            make=lambda: np.ascontiguousarray(self.photo.full_rgb()[top:bottom, left:right]),
        )  # fmt: skip

    def original(self) -> bytes:
        return self._photo_view("original", self.side, make=lambda: jpeg(self.base))

    def colours(self, item: Shown, clean_edges: bool) -> np.ndarray:
        if not clean_edges:
            return self.base
        return blur.foreground_colours(self.base, self.alpha(item))
