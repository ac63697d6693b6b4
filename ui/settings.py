"""The sidebar: compute device, models, refine, mask, blur and download settings.

Every function here draws its widgets and returns plain values (specs, dataclasses); no
other module reads the sidebar's widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import blur
import models
from blur.mask_controls import (
    MAX_FEATHER_PX,
    MAX_GROW_PX,
    MAX_SENSITIVITY,
    MIN_SENSITIVITY,
    MaskControls,
)
from blur.views import CHECKS, ViewOptions
from models import ModelSpec, hub, pins
from models.devices import on_cpu as on_a_cpu
from models.registry import SLOW_S

LENS_LABELS = {"gaussian": "Gaussian", "disc": "Lens (bokeh)"}


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
    if spec.onnx_on_cpu:
        text += " · on a CPU: an ONNX Runtime export, made on first load (exact fp32: see device)"
    return text


def spec_label(spec: ModelSpec) -> str:
    return spec.label


BADGE_COLOURS = {hub.READY: "green", hub.GATED: "orange", hub.OFFLINE: "red"}


def model_choice_label(spec: ModelSpec, state: str | None = None) -> str:
    """The model's name and what running it takes now (``state``: hub.availability's)."""
    state = state or hub.availability(spec)
    return f"{spec.label} :{BADGE_COLOURS.get(state, 'blue')}-badge[{state}]"


@dataclass(frozen=True)
class Look:
    """How the background blur looks: its strength, shape and edges; and the controls
    every mask gets first."""

    strength: int
    lens: str
    clean_edges: bool
    mask: MaskControls = MaskControls()

    def options(self, outline: bool = False, backdrop: str | None = None) -> ViewOptions:
        """The table of views' options for this look (and a view's own option)."""
        backdrop = backdrop or CHECKS
        return ViewOptions(self.strength, self.lens, self.clean_edges, outline, backdrop)


@dataclass(frozen=True)
class Finish:
    """The sidebar's mask and blur settings; the strength is chosen beside the results."""

    lens: str
    clean_edges: bool
    keep_gps: bool = False  # downloads keep the photo's GPS position
    mask: MaskControls = MaskControls()

    def with_strength(self, strength: int) -> Look:
        return Look(strength, self.lens, self.clean_edges, self.mask)


@dataclass(frozen=True)
class Settings:
    """Everything the sidebar decides: where models run, which, and how results look."""

    device: str
    chosen: list[ModelSpec]  # the ticked models, each followed by its refined entry if any
    finish: Finish


DEVICE_HELP = (
    "On a CPU the heavy models whose help says so run as an ONNX Runtime export, made once "
    "on their first load: about twice as fast, the same mask to float rounding. "
    "'CPU, exact fp32' runs them in PyTorch's own fp32 instead."
)


def model_choices(per: str = "photo") -> tuple[str, list[ModelSpec]]:
    """The compute device and the ticked models (drawn in the sidebar), with a warning for
    each slow one: about its seconds per ``per`` (a photo, a frame)."""
    choice = st.selectbox("Compute device", models.device_options(), help=DEVICE_HELP)
    st.subheader("Models")
    hub.learn_download_sizes(models.registry.REGISTRY)  # real sizes, when online
    states = {spec.key: hub.availability(spec) for spec in models.registry.REGISTRY}
    chosen = [
        spec
        for spec in models.registry.REGISTRY
        if st.checkbox(
            model_choice_label(spec, states[spec.key]),
            value=spec.default,
            key=f"model:{spec.key}",
            help=model_help(spec),
        )
    ]
    device = models.resolve_device(choice)
    for spec in chosen:
        if spec.licence_note:
            st.caption(f"{spec.label}: {spec.licence_note}")
        runs_on = models.runs_on(spec, device)
        # A model that cannot run now says why in its card: no warning about its speed.
        cannot = states[spec.key] in (hub.OFFLINE, hub.GATED)
        if spec.seconds(runs_on) >= SLOW_S and not cannot:
            on_cpu = on_a_cpu(runs_on)
            st.warning(
                f"{spec.label} is slow on {'a CPU' if on_cpu else models.device_label(runs_on)}"
                f": about {spec.seconds(runs_on):.0f} s per {per}"
                + (" on two cores. A GPU takes seconds." if on_cpu else ".")
            )
    return device, chosen


def sidebar() -> Settings:
    """The sidebar's contents, below its title (ui.landing draws that with the first row)."""
    with st.sidebar:
        device, chosen = model_choices()
        chosen = refine_settings(chosen)
        mask = mask_settings()
        lens, clean = blur_shape_settings()
        st.subheader("Downloads")
        keep_gps = st.toggle(
            "Keep GPS location",
            value=False,
            help="Blurred photos keep the original's camera, date and settings (EXIF); where "
            "it was taken is removed unless this is on.",
        )
    return Settings(device, chosen, Finish(lens, clean, keep_gps, mask))


def blur_shape_settings() -> tuple[str, bool]:
    """The sidebar's Background blur section: the blur's shape and clean edges."""
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
    return lens, clean


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


REFINE_NOW = "refine_now"  # set when the Refine section changed: the page refines at once


def refine_now() -> None:
    st.session_state[REFINE_NOW] = True


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
        on_change=refine_now,
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
            on_change=refine_now,
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
        on_change=refine_now,
        help="How far on each side of the mask's edge the refiner decides alpha, in percent "
        "of the photo's longer side.",
    )
    with_refined = []
    for spec in chosen:
        with_refined.append(spec)
        if spec.key in picked:
            with_refined.append(registry.refined(spec, refiner, round(band, 1) / 100))
    return with_refined
