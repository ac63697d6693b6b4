"""Agreement and speed: how much the models' subjects overlap, and how long each took."""

from __future__ import annotations

import streamlit as st

import blur
from ui.render import Shown, Views


def show_agreement(views: Views, shown: list[Shown]) -> None:
    """Pairwise mask IoU as a heatmap, and inference time per model as bars: drawn only
    with two results or more (one result's time is in its card; nothing to compare)."""
    with_alpha = [item for item in shown if item.has_alpha]
    timed = [item for item in shown if item.result is not None and item.result.ok]
    if len(timed) < 2:
        return
    # Here, past the return: a cold server's first pages (and the rerun that starts the
    # runs) never wait for these imports, which take seconds there.
    import altair as alt
    import pandas as pd

    st.subheader("Agreement and speed")
    left, right = st.columns(2)
    if len(with_alpha) < 2:
        left.caption("Mask agreement needs two or more models that found a person.")
    else:
        labels = [item.spec.label for item in with_alpha]
        matrix = blur.iou_matrix([views.alpha(item) for item in with_alpha])
        with left:
            st.caption("Mask agreement: intersection over union of the subjects (alpha > 0.5)")
            st.altair_chart(iou_heatmap(labels, matrix), width="stretch")
            pairs = [(labels[i], labels[j], round(float(matrix[i, j]), 3))
                     for i in range(len(labels)) for j in range(i + 1, len(labels))]  # fmt: skip
            table = pd.DataFrame(pairs, columns=["Model", "Versus", "IoU"])
            st.dataframe(table, hide_index=True, width="stretch")
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


ROW_PX = 36  # the heatmap's height per model: each row's label and value readable
AXIS_PX = 64  # Streamlit fits the whole chart, axes included, into the height it is given


def iou_heatmap(labels: list[str], matrix):
    """Rows named "1 · label", columns by number only (long names across the top would
    overlap or eat the plot's height), each cell with its IoU; ROW_PX tall per model
    besides the axes."""
    import altair as alt
    import pandas as pd

    rows = [f"{n} · {label}" for n, label in enumerate(labels, 1)]
    columns = [str(n) for n in range(1, len(labels) + 1)]
    cells = pd.DataFrame(
        [(rows[i], columns[j], matrix[i, j]) for i in range(len(rows)) for j in range(len(rows))],
        columns=["model", "versus", "IoU"],
    )
    heat = alt.Chart(cells).encode(
        x=alt.X("versus:N", sort=columns, title="versus model number",
                axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("model:N", sort=rows, title=None, axis=alt.Axis(labelLimit=260)),
        tooltip=["model", "versus", alt.Tooltip("IoU:Q", format=".3f")],
    )  # fmt: skip
    return (
        heat.mark_rect().encode(
            color=alt.Color("IoU:Q", scale=alt.Scale(domain=[0, 1], scheme="greens"))
        )
        + heat.mark_text().encode(text=alt.Text("IoU:Q", format=".2f"))
    ).properties(height=ROW_PX * len(labels) + AXIS_PX)
