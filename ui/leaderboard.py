"""The arena's leaderboard on the page: Bradley-Terry ratings with 95% intervals, Elo,
battles, win rates, the votes still needed, and the win-rate matrix as a heatmap."""

from __future__ import annotations

import streamlit as st

from evaluation.arena.ranking import (
    MIN_BATTLES,
    TARGET_WIDTH,
    Leaderboard,
    agreement,
    point_ratings,
)  # fmt: skip
from evaluation.arena.store import DatabaseUnavailable
from models import registry
from service import Session
from ui.arena import ARENA_VIEWS, arena_store, cached_leaderboard, candidates, fingerprint, label
from ui.render import Shown
from ui.truth import truth_scores

ALL = "All"
PHOTO_SETS = (ALL, "sample", "upload", "shared", "imported")


def show_leaderboard(session: Session) -> None:
    view_column, set_column = st.columns(2)
    view = view_column.selectbox("Votes in the view", (ALL, *ARENA_VIEWS), key="board:view")
    photos = set_column.selectbox("On photos", PHOTO_SETS, key="board:set")
    board = cached_leaderboard(None if view == ALL else view, None if photos == ALL else photos)
    if board is None:
        st.caption("The leaderboard appears when the arena's database can be reached.")
        return
    if not board.rows:
        st.caption("No votes yet: vote above, and each model's rating appears here.")
        return
    try:
        votes, voters = arena_store().tally()
        st.caption(f"{votes} votes by {voters} voters on this server's database in all.")
    except DatabaseUnavailable:
        pass
    show_table(board)
    show_heatmap(board)
    show_truth_agreement(session)


def show_table(board: Leaderboard) -> None:
    import pandas as pd

    rows = [{
        "Model": label(row.model), "Rating": round(row.rating),
        "95% interval": interval_text(row), "Elo": round(row.elo),
        "Battles": row.battles, "Win rate": f"{row.win_rate:.0%}",
        f"Votes to ±{TARGET_WIDTH / 2:.0f}": row.votes_to_target,
    } for row in board.rows]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(
        "Rating: Bradley-Terry strength by maximum likelihood on the arenas' scale (400 "
        "points for odds of 10 to 1, 1000 on average); a tie or *both bad* counts half a "
        "win each way. Interval: 2.5th to 97.5th percentile of 1,000 bootstrap rounds, "
        f"shown once a model has {MIN_BATTLES} battles. Elo: online, K = 4, in the order the "
        "votes came. Votes to ±50: about how many more battles that model needs for an "
        "interval that narrow."
    )


def interval_text(row) -> str:
    if not row.settled:
        return f"after {MIN_BATTLES} battles"
    return f"{row.low:.0f} to {row.high:.0f}"


def show_heatmap(board: Leaderboard) -> None:
    import altair as alt
    import pandas as pd

    names = [label(model) for model in board.models]
    cells = [
        {"Model": names[x], "Against": names[y], "Win rate": float(board.win_rates[x, y])}
        for x in range(len(names)) for y in range(len(names))
        if x != y and board.win_rates[x, y] == board.win_rates[x, y]  # nan: never met
    ]  # fmt: skip
    if not cells:
        return
    base = alt.Chart(pd.DataFrame(cells)).encode(
        x=alt.X("Against:N", sort=names, axis=alt.Axis(labelAngle=-25, labelLimit=160)),
        y=alt.Y("Model:N", sort=names, axis=alt.Axis(labelLimit=220)),
    )
    heat = base.mark_rect().encode(
        color=alt.Color("Win rate:Q", scale=alt.Scale(domain=[0, 1], scheme="redblue")),
        tooltip=["Model", "Against", alt.Tooltip("Win rate:Q", format=".0%")],
    )
    text = base.mark_text().encode(text=alt.Text("Win rate:Q", format=".0%"))
    st.caption("Win rate of the row's model against the column's (ties count half).")
    chart = (heat + text).properties(height=alt.Step(40))  # 40 px a row
    st.altair_chart(chart, width="stretch")


def show_truth_agreement(session: Session) -> None:
    """Where the session's photos have a true matte, how well the votes on those photos
    order the models as their SAD does (Kendall's tau)."""
    photos = [photo for photo in session.photos() if photo.truth is not None]
    if not photos:
        st.caption(
            "With a photo's true matte (Compare page, *Against the ground truth*), this "
            "tab also says how well the votes on it agree with the models' SAD."
        )
        return
    errors: dict[str, list[float]] = {}
    for photo in photos:
        done = dict(session.done(photo.id))
        keys = candidates(session, photo).values()
        shown = [Shown(registry.get_spec(key[1]), done[key], key) for key in keys]
        scored, _ = truth_scores(session, photo, shown)
        for item, score in scored:
            errors.setdefault(item.spec.key, []).append(score.sad)
    mean_sad = {model: sum(values) / len(values) for model, values in errors.items()}
    try:
        fingerprints = [fingerprint(session, photo) for photo in photos]
        votes = arena_store().outcomes(photos=fingerprints)
    except DatabaseUnavailable:
        return
    if not votes:
        st.caption("No votes yet on the photos with a true matte.")
        return
    tau, models = agreement(point_ratings(votes), mean_sad)
    if models < 2:
        return
    st.markdown(
        f"**Votes and ground truth:** on the {len(photos)} photo(s) with a true matte, "
        f"{len(votes)} votes order {models} models as their SAD does with Kendall's "
        f"τ = {tau:+.2f} (1: the same order, -1: reversed)."
    )
