"""Agreement and speed: how much the models' subjects overlap, and how long each took."""

from __future__ import annotations

import streamlit as st

import blur
from ui.render import Shown, Views


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
