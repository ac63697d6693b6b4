"""The Portrait Blur Arena page below its title: sidebar, uploads, runs and the results grid.

UI only. Photos, results and model runs live in a ``service.Session`` per browser session;
models run in the shared ``service`` model pool, outside this script, so a rerun (a slider,
a checkbox, another upload) never stops a run or loses a finished result. What the page
shows of each result is made once per setting and kept in the session (``Session.view``);
the results of a photo are a fragment, so moving the Blur Strength reruns only them.
"""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import blur
import models
from blur.mask_controls import (
    MAX_FEATHER_PX,
    MAX_GROW_PX,
    MAX_SENSITIVITY,
    MIN_SENSITIVITY,
    MaskControls,
)
from blur.zoom import (
    ZOOMS,
    Square,
    blurred_window,
    magnified,
    matte_window,
    square_at,
    subject_top,
)
from evaluation import metrics
from evaluation.dataset import MATTE_TYPES, read_matte
from models import ModelResult, ModelSpec, hub, pins
from models.registry import SLOW_S
from photo.decode import UPLOAD_TYPES, PhotoError, export_exif
from photo.exports import Export, file_name, make_file, photo_folders, zip_file
from photo.samples import sample_path
from service import Job, PhotoFile, Session, StoredPhoto, configure_logging, shared_pool
from service.session import PREVIEW_MAX_SIDE, result_key
from ui.components.before_after import before_after_html
from ui.components.spot_picker import picked, spot_picker
from ui.text import as_text

PITCH = (
    "Upload a portrait, tick segmentation models in the sidebar and compare, side by side, "
    "each model's mask and the background blur it gives, with its timing."
)
RUN_LABEL = "Run Segmentation and Blurring"
CANCEL_LABEL = "Cancel queued runs"
SAMPLE_LABEL = "Try a sample portrait"
SAMPLE = sample_path()
SAMPLE_ID = "sample"
COLUMNS_PER_ROW = 4
ZOOM_TILE = 320  # pixels of each zoomed tile, shown 1:1
ZOOM_MARGIN = 48  # full-resolution pixels around the zoomed square: context for its edges
IMAGE_HEIGHT = 520  # CSS pixels: a photo's grid row stays within a 1440x900 window
POLL_SECONDS = 0.5
# Each poll reruns a fragment, which costs the server and the browser; when many jobs of
# many users are under way, every page polls half as often (measured with bench load).
BUSY_POLL_SECONDS, BUSY_JOBS = 1.0, 3
VIEWS = ("Blur", "Overlay", "Matte", "Cut-out", "Difference")
# What the cut-out is shown over: checks for "transparent", solid colours to see fringes.
BACKDROPS = {
    "Checkerboard": None, "White": (255, 255, 255), "Black": (0, 0, 0),
    "Grey": (128, 128, 128), "Green": (0, 177, 64),
}  # fmt: skip
LENS_LABELS = {"gaussian": "Gaussian", "disc": "Lens (bokeh)"}
DOWNLOAD_LABELS = {
    "blur.jpg": "Blurred photo (JPEG)",
    "cutout.png": "Cut-out (PNG with alpha)",
    "matte.png": "Matte (8-bit PNG)",
    "overlay.png": "Mask overlay (PNG)",
}

log = logging.getLogger("portrait_blur.app")


def model_help(spec: ModelSpec) -> str:
    measured = hub.known_download_mb(spec)
    size = f"{measured:,}" if measured else f"~{spec.download_mb:,}"
    download = f"{size} MB download on first use" if spec.download_mb else "offline"
    text = (
        f"{spec.source} · {spec.mask_kind} mask · input {spec.input_policy} · "
        f"licence {spec.licence} · {download}"
    )
    if pins.needs_pin(spec) or spec.revision:
        text += f" · Hub revision: {pins.describe(spec)}"
    return text


def spec_label(spec: ModelSpec) -> str:
    return spec.label


BADGE_COLOURS = {hub.READY: "green", hub.GATED: "orange", hub.OFFLINE: "red"}


def model_choice_label(spec: ModelSpec) -> str:
    """The model's name and what running it takes now, from the local cache alone."""
    state = hub.availability(spec)
    return f"{spec.label} :{BADGE_COLOURS.get(state, 'blue')}-badge[{state}]"


@dataclass(frozen=True)
class Look:
    """How the background blur looks: its strength, shape and edges; and the controls
    every mask gets first."""

    strength: int
    lens: str
    clean_edges: bool
    mask: MaskControls = MaskControls()


@dataclass(frozen=True)
class Finish:
    """The sidebar's mask and blur settings; the strength is chosen beside the results."""

    lens: str
    clean_edges: bool
    keep_gps: bool = False  # downloads keep the photo's GPS position
    mask: MaskControls = MaskControls()

    def with_strength(self, strength: int) -> Look:
        return Look(strength, self.lens, self.clean_edges, self.mask)


def sidebar() -> tuple[str, list[ModelSpec], Finish]:
    with st.sidebar:
        st.header("Settings")
        choice = st.selectbox("Compute device", models.device_options())
        st.subheader("Models")
        hub.learn_download_sizes(models.registry.REGISTRY)  # real sizes, when online
        chosen = [
            spec
            for spec in models.registry.REGISTRY
            if st.checkbox(
                model_choice_label(spec),
                value=spec.default,
                key=f"model:{spec.key}",
                help=model_help(spec),
            )
        ]
        device = models.resolve_device(choice)
        for spec in chosen:
            runs_on = models.runs_on(spec, device)
            if spec.seconds(runs_on) >= SLOW_S:
                on_cpu = runs_on == "cpu"
                st.warning(
                    f"{spec.label} is slow on {'a CPU' if on_cpu else models.device_label(runs_on)}"
                    f": about {spec.seconds(runs_on):.0f} s per photo"
                    + (" on two cores. A GPU takes seconds." if on_cpu else ".")
                )
        chosen = refine_settings(chosen)
        mask = mask_settings()
        st.subheader("Background blur")
        lens = st.radio(
            "Blur shape",
            list(LENS_LABELS),
            format_func=LENS_LABELS.get,
            horizontal=True,
            help="Lens: a disc-shaped blur whose highlights bloom, as portrait modes do.",
        )
        clean = st.toggle(
            "Clean edges",
            value=True,
            help="In soft edges (hair, fur, motion blur) show the subject's own colour over the "
            "blurred background, instead of the photo's mix with the sharp background behind it. "
            "Also used for the cut-outs.",
        )
        st.subheader("Downloads")
        keep_gps = st.toggle(
            "Keep GPS location",
            value=False,
            help="Blurred photos keep the original's camera, date and settings (EXIF); where "
            "it was taken is removed unless this is on.",
        )
    return device, chosen, Finish(lens, clean, keep_gps, mask)


def mask_settings() -> MaskControls:
    """The sidebar's Mask section: controls applied to every model's mask."""
    st.subheader("Mask")
    scale = f"in pixels of a photo {blur.REFERENCE_SIDE} px on its longer side, scaled to each"
    sensitivity = st.slider(
        "Sensitivity",
        MIN_SENSITIVITY,
        MAX_SENSITIVITY,
        0.5,
        step=0.05,
        key="mask:sensitivity",
        help="Above 0.5, a soft mask takes in more of what the model was unsure of; below, "
        "less. Hard masks (SAM3) are not changed by it. 0.5 leaves masks as they are.",
    )
    grow = st.slider(
        "Grow / shrink",
        -MAX_GROW_PX,
        MAX_GROW_PX,
        0,
        key="mask:grow",
        help=f"Widens (positive) or narrows (negative) every mask, {scale} photo.",
    )
    feather = st.slider(
        "Feather",
        0,
        MAX_FEATHER_PX,
        0,
        key="mask:feather",
        help=f"Softens every mask's edge, {scale} photo.",
    )
    controls = MaskControls(round(sensitivity, 2), grow, feather)  # 0.5, not 0.50000001
    if not controls.identity:
        st.caption(f"Applied to every mask, its views and downloads ({controls.tag[1:]}).")
    return controls


def refine_settings(chosen: list[ModelSpec]) -> list[ModelSpec]:
    """The sidebar's Refine section: ``chosen`` with a refined result after each model
    picked for it."""
    registry = models.registry
    st.subheader("Refine")
    labels = {spec.key: spec.label for spec in chosen}
    picked = st.multiselect(
        "Refine the masks of",
        list(labels),
        format_func=labels.__getitem__,
        key="refine:models",
        placeholder="No model",
        help="Adds a refined result beside the model's own: a trimap from its mask (sure "
        "subject, sure background, an unknown band along the edge), then alpha solved in the "
        "band from the photo's colours. Helps hard-edged masks (SAM3) at hair and fur.",
    )
    if not picked:
        return chosen
    names = {spec.key: model_choice_label(spec) for spec in registry.REFINERS}
    refiner = registry.get_refiner(
        st.radio(
            "Refiner",
            list(names),
            format_func=names.__getitem__,
            key="refine:with",
            help="Closed-form and KNN matting (pymatting) solve from the photo's colours, "
            "offline; ViTMatte is a matting network (a ~100 MB download on first use).",
        )
    )
    band = st.slider(
        "Unknown band",
        registry.MIN_TRIMAP_BAND * 100,
        registry.MAX_TRIMAP_BAND * 100,
        registry.DEFAULT_TRIMAP_BAND * 100,
        step=0.1,
        format="%.1f%%",
        key="refine:band",
        help="How far on each side of the mask's edge the refiner decides alpha, in percent "
        "of the photo's longer side.",
    )
    with_refined = []
    for spec in chosen:
        with_refined.append(spec)
        if spec.key in picked:
            with_refined.append(registry.refined(spec, refiner, round(band, 1) / 100))
    return with_refined


def page_open(session_id: str) -> bool:
    """Whether a browser session is still connected to this server."""
    from streamlit.runtime import Runtime

    return not Runtime.exists() or Runtime.instance().is_active_session(session_id)


def user_session() -> Session:
    """This browser session's photos, results and runs (emptied once its page has been
    gone for Streamlit's disconnected-session TTL)."""
    if "session" not in st.session_state:
        context = get_script_run_ctx()
        st.session_state["session"] = Session(
            shared_pool(),
            page_open=partial(page_open, context.session_id) if context else None,
            grace_s=float(st.get_option("server.disconnectedSessionTTL")),
        )
    return st.session_state["session"]


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


def job_text(job: Job) -> str:
    """Where one job is, in words: queued, downloading (bytes), loading, running."""
    state, label = job.state, job.spec.label
    if state is None:  # the next of this session's jobs, not handed to the models yet
        return f"{label}: starting"
    seconds = time.monotonic() - state.since
    if state.stage == "queued":
        return f"{label}: queued behind {state.ahead} job(s) of other users"
    if state.stage == "starting":
        return f"{label}: starting its worker"
    if state.stage == "downloading":
        done, total = state.done_bytes / 1e6, state.total_bytes / 1e6
        return f"{label}: downloading {done:,.0f} / {total:,.0f} MB"
    if state.stage == "loading":
        return f"{label}: loading ({seconds:.0f} s)"
    return f"{label}: running ({seconds:.1f} s)"


def poll_seconds(jobs_under_way: int) -> float:
    return BUSY_POLL_SECONDS if jobs_under_way > BUSY_JOBS else POLL_SECONDS


def show_progress(session: Session, finished: int) -> None:
    """The progress poll, as a fragment rerun every POLL_SECONDS, or less often when the
    models are busy with many users' jobs (the interval is set when the page reruns)."""
    every = poll_seconds(session.pool.jobs_under_way())
    st.fragment(poll_progress, run_every=every)(session, finished)


def poll_progress(session: Session, finished: int) -> None:
    """Polls the runs: the real state of the next job; the page reruns when a result
    arrives or nothing is left to run, so the script itself never waits."""
    pending = session.pending()
    if session.finished != finished or not pending:
        st.rerun(scope="app")
    job = pending[0]
    text = f"{job_text(job)} · {as_text(job.photo.title)} · {len(pending)} left"
    st.progress(session.progress(), text=text)


def timing_caption(result: ModelResult) -> str:
    caption = f"{result.inference_s:.2f} s · {models.device_label(result.device)}"
    if result.load_s:
        caption += f" · first load {result.load_s:.1f} s"
    return caption


@dataclass
class Shown:
    """A model's place in the grid: its result, if any."""

    spec: ModelSpec
    result: ModelResult | None  # None: not run yet on this photo and device
    # (photo id, model key, device it ran on, mask controls' tag): what its views are kept by
    key: tuple[str, str, str, str]
    waiting: bool = False  # queued or running now

    @property
    def has_alpha(self) -> bool:
        return self.result is not None and self.result.ok and self.result.found_subject


def jpeg(pixels: np.ndarray, quality: int = 88) -> bytes:
    """An RGB or greyscale array as JPEG bytes, for the page."""
    bgr = pixels[..., ::-1] if pixels.ndim == 3 else pixels
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok, "JPEG encoding of an RGB array cannot fail"
    return data.tobytes()


def grid_side(models: int) -> int:
    """Pixels on the longer side of each grid image: twice its width on a 1440 px wide
    window (sharp on HiDPI screens), never more than the preview. Smaller images for more
    columns make each slider step cheaper to compute, send and decode."""
    columns = min(COLUMNS_PER_ROW, max(1, models))
    return min(PREVIEW_MAX_SIDE, max(640, 2200 // columns))


@dataclass(frozen=True, eq=False)  # never compared: its images are kept by setting()
class ViewChoice:
    """The grid's view (one of VIEWS) and that view's own option."""

    view: str = "Blur"
    outline: bool = False  # Overlay: the contour alone
    backdrop: str = "Checkerboard"  # Cut-out: one of BACKDROPS
    reference: Shown | None = None  # Difference: the result compared with

    def setting(self, look: Look):
        """What the view's image depends on besides the result: the key it is kept by."""
        if self.view == "Blur":
            return look
        if self.view == "Overlay":
            return self.outline
        if self.view == "Cut-out":
            return look.clean_edges, self.backdrop
        if self.view == "Difference":
            return self.reference.key if self.reference else None
        return None


class Views:
    """Each shown result's images at ``side`` pixels at most, made once per setting and
    kept in the session (forgotten with the photo or when its result is replaced)."""

    def __init__(self, session: Session, photo: StoredPhoto, side: int) -> None:
        self.session, self.photo, self.side = session, photo, side

    def _view(self, item: Shown, what: tuple, make):
        return self.session.view((*item.key, self.side, *what), make)

    @property
    def base(self) -> np.ndarray:
        """The photo at this size."""
        key = (self.photo.id, "base", self.side)
        return self.session.view(key, lambda: blur.fit_within(self.photo.preview, self.side)[0])

    def matte(self, item: Shown) -> np.ndarray:
        return self._view(item, ("matte",), lambda: item.result.matte_at(self.shape))

    def alpha(self, item: Shown) -> np.ndarray:
        return self.matte(item).astype(np.float32) * np.float32(1 / 255)

    @property
    def shape(self) -> tuple[int, int]:
        return self.base.shape[:2]

    def plan(self, item: Shown, clean_edges: bool) -> blur.BlurPlan:
        return self._view(
            item,
            ("plan", clean_edges),
            lambda: blur.BlurPlan(self.base, self.alpha(item), item.spec.soft_mask, clean_edges),
        )

    def blurred(self, item: Shown, look: Look) -> np.ndarray:
        sigma = blur.strength_sigma(look.strength, self.shape)
        return self.plan(item, look.clean_edges).render(sigma, look.lens)

    def image(self, item: Shown, choice: ViewChoice, look: Look) -> bytes:
        """The JPEG of ``item`` in the chosen view at this size."""
        base = self.base
        backdrop = BACKDROPS[choice.backdrop]
        makers = {
            "Blur": lambda: self.blurred(item, look),
            "Overlay": lambda: blur.mask_overlay(base, self.alpha(item), choice.outline),
            "Matte": lambda: self.matte(item),
            "Cut-out": lambda: blur.cutout(
                self.colours(item, look.clean_edges), self.alpha(item), backdrop
            ),
            "Difference": lambda: blur.difference(
                base, self.alpha(item), self.alpha(choice.reference)
            ),
        }
        key = (choice.view, choice.setting(look))
        return self._view(item, key, lambda: jpeg(makers[choice.view]()))

    def zoom_tile(self, item: Shown, choice: ViewChoice, look: Look, square: Square) -> bytes:
        """The JPEG of ``item`` in the chosen view within ``square`` of the full-resolution
        photo."""
        return self._view(
            item,
            ("zoom", choice.view, choice.setting(look), square),
            lambda: jpeg(magnified(self._zoomed(item, choice, look, square), ZOOM_TILE),
                         quality=92),
        )  # fmt: skip

    def _zoomed(self, item: Shown, choice: ViewChoice, look: Look, square: Square) -> np.ndarray:
        size = self.photo.size
        box = square.grown(ZOOM_MARGIN, size)
        rgb = self.zoom_photo(box)
        alpha = matte_window(item.result.matte, size, box)
        view = choice.view
        if view == "Overlay":
            out = blur.mask_overlay(rgb, alpha, choice.outline)
        elif view == "Matte":
            out = np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)
        elif view == "Cut-out":
            colours = blur.foreground_colours(rgb, alpha) if look.clean_edges else rgb
            out = blur.cutout(colours, alpha, BACKDROPS[choice.backdrop])
        elif view == "Difference":
            reference = choice.reference.result.matte
            out = blur.difference(rgb, alpha, matte_window(reference, size, box))
        else:
            # The blurred background upsampled from the preview's (smoother than a pixel
            # here at every strength); the subject and its edges composited at full size.
            sigma = blur.strength_sigma(look.strength, self.shape)
            background = self.plan(item, look.clean_edges).background(sigma, look.lens)
            soft, clean = item.spec.soft_mask, look.clean_edges
            out = blurred_window(rgb, alpha, background, size, box, soft, clean)
        left, top = square.left - box[0], square.top - box[1]
        return out[top : top + square.side, left : left + square.side]

    def zoom_photo(self, box: tuple[int, int, int, int]) -> np.ndarray:
        """The full-resolution photo within ``box``, decoded once per box."""
        left, top, right, bottom = box
        return self.session.view(
            (self.photo.id, "zoom-photo", box),
            lambda: np.ascontiguousarray(self.photo.full_rgb()[top:bottom, left:right]),
        )

    def original(self) -> bytes:
        return self.session.view((self.photo.id, "original", self.side), lambda: jpeg(self.base))

    def colours(self, item: Shown, clean_edges: bool) -> np.ndarray:
        if not clean_edges:
            return self.base
        return blur.foreground_colours(self.base, self.alpha(item))


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
    return zip_file(
        item
        for photo in photos
        if photo is not None
        for item in exports_of(session, photo, chosen, device, look, keep_gps)
    )


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
        tag = item.key[3]
        after = f" after the Mask settings ({tag[1:]}): move them back" if tag else ""
        st.warning(f"No humans detected{after}.")
        return False
    return True


def show_image(data: bytes, css_width: int, caption: str | None = None) -> None:
    """``data`` drawn at most ``css_width`` CSS pixels wide with all its own pixels: given
    a pixel width, st.image re-encodes a wider image at that width, which loses the
    sharpness HiDPI screens need and costs a second decode and encode per slider step."""
    with st.container(width=css_width):
        st.image(data, caption=caption, width="stretch")


def image_width(photo: StoredPhoto) -> int:
    """CSS width that keeps the image IMAGE_HEIGHT tall at most (columns narrow it more)."""
    h, w = photo.preview.shape[:2]
    return max(120, round(IMAGE_HEIGHT * w / h))


def kept(option: str, default):
    """A view's option as last chosen: Streamlit forgets a widget's own state on the first
    run that does not draw it (one in another view), so the page keeps it."""
    return st.session_state.get(f"kept:{option}", default)


def keep(option: str, value):
    st.session_state[f"kept:{option}"] = value
    return value


def view_settings(shown: list[Shown], truth: Shown | None) -> tuple[ViewChoice, int]:
    """The toolbar above the grid: view, Blur Strength, and the view's own option."""
    view_column, strength_column, option_column = st.columns([4, 3, 2], vertical_alignment="bottom")
    with view_column:
        view = st.segmented_control("View", VIEWS, default="Blur", key="view", required=True)
    with strength_column:
        strength = st.slider(
            "Blur Strength",
            min_value=blur.MIN_STRENGTH,
            max_value=blur.MAX_STRENGTH,
            value=blur.DEFAULT_STRENGTH,
            step=2,
            key="strength",
            help="How far the background is blurred: a kernel size in pixels on a photo "
            f"{blur.REFERENCE_SIDE} px on its longer side, scaled to each photo, so a setting "
            "looks the same on every photo. Moving it never runs a model again.",
        )
    choice = ViewChoice(view)
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
            if found:
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


@st.fragment
def show_results(
    session: Session, photo: StoredPhoto, shown: list[Shown], device: str, finish: Finish,
    everything: Everything,
) -> None:  # fmt: skip
    """The grid: every model's image in one view, name and timing above; then the
    before/after and the agreement. A fragment: its widgets rerun only this."""
    choice, strength = view_settings(shown, truth_item(photo))
    look = finish.with_strength(strength)
    views = Views(session, photo, grid_side(len(shown)))
    slots = min(COLUMNS_PER_ROW, len(shown))
    for first in range(0, len(shown), COLUMNS_PER_ROW):
        row = shown[first : first + COLUMNS_PER_ROW]
        for column, item in zip(st.columns(slots), row, strict=False):
            with column:
                if show_card(item):
                    data = views.image(item, choice, look)
                    show_image(data, image_width(photo))
                    downloads(session, photo, item.spec, device, look, finish.keep_gps)
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
    found = [item for item in shown if item.has_alpha]
    show_zoom(views, found, choice, look)
    show_before_after(views, found, look)


def percent(zoom: int) -> str:
    return f"{zoom}%"


def show_zoom(views: Views, found: list[Shown], choice: ViewChoice, look: Look) -> None:
    """The same square of every result, from full-resolution data, side by side."""
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
        for first in range(0, len(found), COLUMNS_PER_ROW):
            row = found[first : first + COLUMNS_PER_ROW]
            for column, item in zip(st.columns(COLUMNS_PER_ROW), row, strict=False):
                with column:
                    st.markdown(f"**{as_text(item.spec.label)}**")
                    tile = views.zoom_tile(item, choice, look, square)
                    st.image(tile, width=ZOOM_TILE)


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


TRUTH = ModelSpec(key="truth", label="Ground truth", family="", mask_kind="alpha", licence="",
                  url="")  # fmt: skip
SCORE_MAX_SIDE = 2048  # results are scored against a true matte at most this big
ERROR_COLUMNS = {"SAD": "sad", "MSE": "mse", "Grad": "grad", "Conn": "conn", "MAE": "mae"}
SCORE_COLUMNS = {"IoU": "iou", "Boundary IoU": "boundary_iou"}


def truth_key(photo: StoredPhoto) -> str:
    return f"truth:{photo.id}"


def take_truth(photo: StoredPhoto) -> None:
    """The true matte uploaded for ``photo`` (its widget's value from the last
    interaction; the widget is drawn below the results), read once per upload."""
    upload = st.session_state.get(truth_key(photo))
    if upload is None:
        if photo.truth is not None:
            photo.set_truth(None)
        photo.truth_error = None
        return
    if photo.truth_upload == upload.file_id:
        return
    photo.truth_upload = upload.file_id
    try:
        alpha = read_matte(upload.getvalue(), photo.size, upload.name)
    except ValueError as error:
        photo.set_truth(None)
        photo.truth_error = str(error)
        return
    photo.truth_error = None
    photo.set_truth(np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8))


def truth_item(photo: StoredPhoto) -> Shown | None:
    """The true matte as one more place in the grid's Difference view."""
    if photo.truth is None:
        return None
    key = (photo.id, f"truth-{photo.truth_version}", "cpu", "")
    return Shown(TRUTH, ModelResult(spec=TRUTH, device="cpu", matte=photo.truth), key)


def truth_scores(session: Session, photo: StoredPhoto, shown: list[Shown]):
    """(item, metrics.Score) of every result against the truth, at SCORE_MAX_SIDE at most."""
    w, h = photo.size
    scale = min(1.0, SCORE_MAX_SIDE / max(w, h))
    shape = (max(1, round(h * scale)), max(1, round(w * scale)))

    def truth() -> np.ndarray:
        small = cv2.resize(photo.truth, shape[::-1], interpolation=cv2.INTER_AREA)
        return small.astype(np.float32) / 255

    scored = []
    for item in shown:
        if item.result is None or not item.result.ok:
            continue
        key = (*item.key, "score", photo.truth_version, shape)
        score = session.view(
            key, lambda item=item: metrics.score(item.result.alpha_at(shape), truth())
        )
        scored.append((item, score))
    return scored, shape


def show_truth_scores(session: Session, photo: StoredPhoto, shown: list[Shown]) -> None:
    """The optional true-matte upload, and with it each model's scores, best first."""
    import pandas as pd  # here, not at the top: a cold server shows its first page sooner

    st.subheader("Against the ground truth")
    st.file_uploader(
        "Ground-truth matte (optional)", type=list(MATTE_TYPES), key=truth_key(photo),
        help="This photo's true matte: a greyscale image, or a cut-out whose transparency is "
        "the matte, the same size as the photo. Each model is then scored against it, and "
        "the Difference view can compare with it.",
    )  # fmt: skip
    if photo.truth_error:
        st.error(photo.truth_error)
    if photo.truth is None:
        return
    scored, shape = truth_scores(session, photo, shown)
    if not scored:
        st.info("No result to score yet.")
        return
    rows = [
        {"Model": item.spec.label}
        | {
            name: getattr(score, field)
            for name, field in {**ERROR_COLUMNS, **SCORE_COLUMNS}.items()
        }
        | {"Soft SAD": score.soft["sad"]}
        for item, score in scored
    ]
    table = pd.DataFrame(rows).sort_values("SAD").reset_index(drop=True)
    table.index = pd.RangeIndex(1, len(table) + 1, name="Rank")
    best = "font-weight: bold; background-color: rgba(33, 195, 84, 0.2)"
    styled = (
        table.style.format(precision=4)
        .highlight_min(subset=[*ERROR_COLUMNS, "Soft SAD"], props=best)
        .highlight_max(subset=list(SCORE_COLUMNS), props=best)
    )
    st.dataframe(styled, width="stretch")
    w, h = photo.size
    at = "full size" if shape == (h, w) else f"{shape[1]}x{shape[0]}"
    st.caption(
        f"Scored at {at}, ranked by SAD; the best of each column is highlighted. SAD, Grad and "
        "Conn in thousands (lower is better), IoUs higher is better; Soft SAD counts only the "
        "soft band of the truth (0 < alpha < 1, hair). The Difference view can compare each "
        "model with the ground truth."
    )


def show_agreement(views: Views, shown: list[Shown]) -> None:
    """Pairwise mask IoU as a heatmap, and inference time per model as bars: drawn only
    with two results or more (one result's time is in its card; nothing to compare)."""
    import altair as alt  # here, not at the top: a cold server shows its first page sooner
    import pandas as pd

    with_alpha = [item for item in shown if item.has_alpha]
    timed = [item for item in shown if item.result is not None and item.result.ok]
    if len(timed) < 2:
        return
    st.subheader("Agreement and speed")
    left, right = st.columns(2)
    if len(with_alpha) < 2:
        left.caption("Mask agreement needs two or more models that found a person.")
    else:
        labels = [item.spec.label for item in with_alpha]
        matrix = blur.iou_matrix([views.alpha(item) for item in with_alpha])
        cells = pd.DataFrame(
            [(a, b, matrix[i, j]) for i, a in enumerate(labels) for j, b in enumerate(labels)],
            columns=["model", "versus", "IoU"],
        )
        heat = alt.Chart(cells).encode(
            x=alt.X("versus:N", sort=labels, title=None),
            y=alt.Y("model:N", sort=labels, title=None),
        )
        chart = heat.mark_rect().encode(
            color=alt.Color("IoU:Q", scale=alt.Scale(domain=[0, 1], scheme="greens"))
        ) + heat.mark_text().encode(text=alt.Text("IoU:Q", format=".2f"))
        with left:
            st.caption("Mask agreement: intersection over union of the subjects (alpha > 0.5)")
            st.altair_chart(chart, width="stretch", height=60 + 40 * len(labels))
            st.dataframe(
                pd.DataFrame(matrix, index=labels, columns=labels).round(3), width="stretch"
            )
    times = pd.DataFrame(
        {
            "model": [item.spec.label for item in timed],
            "seconds": [item.result.inference_s for item in timed],
        }
    )
    bars = (
        alt.Chart(times)
        .mark_bar()
        .encode(
            x=alt.X("seconds:Q", title="inference time (s)"),
            y=alt.Y("model:N", sort="x", title=None),
            tooltip=["model", alt.Tooltip("seconds:Q", format=".3f")],
        )
    )
    with right:
        st.caption("Inference time on this photo (model only, not loading)")
        st.altair_chart(bars, width="stretch", height=60 + 30 * len(timed))


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
        shown.append(Shown(spec, result, (*key, finish.mask.tag), key in waiting))
    if not any(item.result is not None or item.waiting for item in shown):
        w, h = photo.size
        original = Views(session, photo, grid_side(1)).original()
        show_image(original, image_width(photo), caption=f"{w}x{h} · not run yet")
        return
    take_truth(photo)  # before the grid: its Difference view can compare with the truth
    show_results(session, photo, shown, device, finish, everything)
    # Outside the fragment: no slider step redraws the charts.
    show_agreement(Views(session, photo, grid_side(len(shown))), shown)
    show_truth_scores(session, photo, shown)


def page() -> None:
    """Everything below the title (app.py draws that first)."""
    configure_logging()
    device, chosen, finish = sidebar()
    session = user_session()
    landing = st.empty()
    upload_column, run_column, side_column = st.columns([5, 3, 2], vertical_alignment="center")
    files = upload_column.file_uploader(
        "Upload portraits",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        label_visibility="collapsed",
    )
    photos, bad_files = load_uploads(session, files or [])
    if not photos:
        landing.caption(PITCH)
    clicked = run_column.button(
        RUN_LABEL, type="primary", disabled=not photos or not chosen, width="stretch"
    )
    if not chosen:
        st.info("Tick at least one model in the sidebar.")
    for message in bad_files:
        st.error(message)
    # Results live per (photo, model, device): clicking again runs only what is missing
    # or failed; moving the slider never runs a model.
    if st.session_state.pop("run_sample", False):
        clicked = True  # with this run's models and device, as Run
    if clicked and photos:
        session.submit([photo.id for photo in photos], chosen, device)
    # After the submit, so a run just started can be cancelled at once.
    if session.busy:
        side_column.button(CANCEL_LABEL, on_click=session.cancel, width="stretch")
    elif not files and session.photo(SAMPLE_ID) is None:
        side_column.button(
            SAMPLE_LABEL,
            on_click=try_sample,
            args=(session,),
            help="Runs the ticked models on a bundled portrait (astronaut, public domain)",
            width="stretch",
        )
    if session.busy:
        show_progress(session, session.finished)
    waiting = {job.key for job in session.pending()}

    everything = Everything(photos, chosen)
    if len(photos) == 1:
        show_photo(session, photos[0], everything, device, finish, waiting)
    elif photos:
        titles = [as_text(p.title) for p in photos]
        # Only the open tab is drawn: hidden photos cost nothing on a rerun.
        tabs = st.tabs(titles, key="photo_tab", on_change="rerun")
        for tab, photo in zip(tabs, photos, strict=True):
            if tab.open:
                with tab:
                    show_photo(session, photo, everything, device, finish, waiting)
