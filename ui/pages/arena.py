"""The Arena page: two models' results on one photo, unnamed, side by side; the user votes
(A better, B better, Tie, Both bad, or the keys A, B, T, X) and sees the names with the
next pair; the votes add up to the leaderboard (its own tab)."""

from __future__ import annotations

import threading
from functools import partial

import streamlit as st

from evaluation.arena.store import DatabaseUnavailable
from evaluation.arena.votes import A_WINS, B_WINS
from models import REGISTRY, resolve_device
from photo.decode import PhotoError
from photo.samples import sample_path
from service import PhotoFile, Session, StoredPhoto, configure_logging
from ui.arena import (
    ARENA_VIEWS,
    LOOK,
    NEXT,
    PAIR,
    REVEAL,
    SEEN,
    VERDICTS,
    OnScreen,
    arena_store,
    cast,
    choose_pair,
    fingerprint,
    last_board,
    mark_seen,
    outbox,
    pair_images,
    reveal_text,
    seen_by_store,
    send_waiting,
    voter_id,
)
from ui.grid import show_image
from ui.intake import SAMPLE_ID
from ui.leaderboard import show_leaderboard
from ui.progress import show_progress, wait_if_soon
from ui.render import ViewChoice, Views, grid_side, unlinkable
from ui.state import user_session
from ui.text import as_text
from ui.zoom import show_zoom

PITCH = (
    "Two models' results on the same photo, names hidden, sides drawn at random: pick the "
    "better one. The names show after your vote; every vote counts towards the leaderboard."
)
SAMPLES = ((SAMPLE_ID, "astronaut.png"), ("sample:camera.png", "camera.png"))
ARENA_MODELS = "arena:models"


def add_samples(session: Session) -> None:
    for photo_id, name in SAMPLES:
        if session.photo(photo_id) is None:
            path = sample_path(name)
            session.add_photo(
                photo_id, f"Sample: {name}", "sample", PhotoFile(name, path.read_bytes())
            )


def arena_models() -> list:
    """The models the arena may run on the photos (results made on the Compare page are
    paired too)."""
    labels = {spec.label: spec for spec in REGISTRY}
    default = [spec.label for spec in REGISTRY if spec.default]
    picked = st.session_state.get(ARENA_MODELS, default)
    return [labels[name] for name in picked if name in labels]


def choose_models() -> None:
    """The Models tab: which models the arena runs on its photos."""
    labels = [spec.label for spec in REGISTRY]
    default = [spec.label for spec in REGISTRY if spec.default]
    st.multiselect(
        "Models the arena may run", labels, default=st.session_state.get(ARENA_MODELS, default),
        key="arena:models-widget", on_change=keep_models,
        help="Run on every photo of the arena, so their results can be paired. Results "
        "made on the Compare page are paired too.",
    )  # fmt: skip
    st.caption("Heavy models download on first use (see the Compare page's sidebar).")


def keep_models() -> None:
    st.session_state[ARENA_MODELS] = st.session_state["arena:models-widget"]


def run_missing(session: Session, photos: list[StoredPhoto], specs: list, device: str) -> None:
    """Queues each allowed model on each photo where it has no result yet (a failure is not
    tried again on every rerun: the Compare page's Run does that)."""
    for photo in photos:
        missing = [spec for spec in specs if session.result(photo.id, spec, device) is None]
        if missing:
            session.submit([photo.id], missing, device)


def current_pair(session: Session, photos: list[StoredPhoto], voter: str) -> OnScreen | None:
    """The pair on screen, kept until it is voted on; then the one prepared after it, or
    a new one."""
    on_screen: OnScreen | None = st.session_state.get(PAIR)
    if on_screen is not None and on_screen.items(session) is not None:
        return on_screen
    upcoming: OnScreen | None = st.session_state.pop(NEXT, None)
    if upcoming is not None and upcoming.items(session) is not None and not seen(upcoming):
        on_screen = upcoming
    else:
        on_screen = choose_pair(session, photos, voter, last_board(), partial(seen_by_store, voter))
    st.session_state[PAIR] = on_screen
    if on_screen is not None:
        mark_seen(on_screen)
        outbox().add(on_screen.pair)  # recorded as shown before it is drawn
    return on_screen


def seen(on_screen: OnScreen) -> bool:
    pair = on_screen.pair
    return (pair.photo, frozenset((pair.model_a, pair.model_b))) in st.session_state.get(SEEN, ())


def prepare_next(session: Session, photos: list[StoredPhoto], voter: str, view: str) -> None:
    """Chooses the pair after the one on screen and draws its images in the background
    while the voter looks, so that a vote shows it at once."""
    if NEXT in st.session_state:  # prepared (None: nothing left now; a vote looks again)
        return
    upcoming = choose_pair(session, photos, voter, last_board(), partial(seen_by_store, voter))
    st.session_state[NEXT] = upcoming
    if upcoming is not None:
        args = (session, upcoming, view, grid_side(2))
        # Not a daemon: OpenCV aborts the process if a thread of its dies with the interpreter.
        threading.Thread(target=pair_images, args=args, name="arena-next").start()


ARENA_IMAGE_HEIGHT = 430  # CSS pixels: the pair and the verdicts fit a 1440x900 window


def show_pair(session: Session, on_screen: OnScreen, voter: str) -> None:
    """A and B side by side at the same size (on a phone too), the verdicts below them,
    the zoom on the same spot of both below that."""
    photo = session.photo(on_screen.photo_id)
    view = st.session_state.get("arena:view") or ARENA_VIEWS[0]
    views = Views(session, photo, grid_side(2))
    h, w = photo.preview.shape[:2]
    width = round(ARENA_IMAGE_HEIGHT * w / h)
    with st.container(horizontal=True, gap="medium"):
        for side, image in zip(
            "AB", pair_images(session, on_screen, view, views.side), strict=True
        ):
            with st.container(width="stretch", gap="small"):
                st.markdown(f"**{side}**")
                show_image(unlinkable(image, f"{on_screen.pair.id}{side}{view}"), width)
    with st.container(horizontal=True, gap="small", wrap=True):
        for text, winner, key in VERDICTS:
            st.button(
                text, key=f"vote:{winner}", on_click=cast, args=(winner, voter), shortcut=key,
                width="stretch", type="primary" if winner in (A_WINS, B_WINS) else "secondary",
            )  # fmt: skip
    st.caption(f"Photo: {as_text(photo.title)}")
    items = on_screen.items(session)
    show_zoom(views, items, ViewChoice(view), LOOK, titles=["A", "B"], showing=on_screen.pair.id)


TABS = ("Vote", "Leaderboard", "Models")


def main() -> None:
    configure_logging()
    session = user_session()
    voter = voter_id()
    # Only the open tab is drawn: the Vote tab's page holds no model's name until a vote.
    vote_tab, board_tab, models_tab = st.tabs(TABS, key="arena:tab", on_change="rerun")
    if vote_tab.open:
        with vote_tab:
            show_vote(session, voter)
    if board_tab.open:
        with board_tab:
            show_leaderboard(session)
    if models_tab.open:
        with models_tab:
            choose_models()


def show_vote(session: Session, voter: str) -> None:
    st.caption(PITCH)
    reveal = st.session_state.pop(REVEAL, None)
    add_shared(session)
    photos = session.photos()
    device = resolve_device("Auto")
    if photos:
        run_missing(session, photos, arena_models(), device)
    view_column, progress_column = st.columns([2, 3], vertical_alignment="bottom")
    with view_column:
        st.segmented_control("View", ARENA_VIEWS, default=ARENA_VIEWS[0], key="arena:view",
                             required=True)  # fmt: skip
    on_screen = current_pair(session, photos, voter) if photos else None
    if on_screen is None and photos and session.busy:
        wait_if_soon(session)  # no pair yet: the first results may be a moment away
        on_screen = current_pair(session, photos, voter)
    problems = send_waiting()  # the last vote and the new pair, before the pair is drawn
    if reveal is not None:
        with progress_column:
            st.success(reveal_text(*reveal), icon=":material/how_to_vote:")
    for problem in problems:
        st.warning(problem)
    if session.busy:  # polls, and reruns the page when the runs end
        with progress_column:
            show_progress(session, session.finished, named=False)
    if not photos:
        st.button("Vote on the sample portraits", type="primary", on_click=add_samples,
                  args=(session,))  # fmt: skip
        st.caption("Or upload your own photos on the Compare page: they come here too.")
    elif on_screen is not None:
        show_pair(session, on_screen, voter)
        share_photo(session, on_screen)
        prepare_next(session, photos, voter, st.session_state.get("arena:view") or ARENA_VIEWS[0])
    elif session.busy:
        st.info("The next pair is being prepared: the models are still running.")
    else:
        st.info(
            "You have voted on every pair of these photos' results: upload more photos on "
            "the Compare page, or let the arena run more models (Models tab)."
        )


MAX_SHARED = 12  # the newest photos other users shared, at most, per session


def add_shared(session: Session) -> None:
    """Photos other users of this server shared, when the voter asks for them."""
    try:
        shared = arena_store().shared_photos()
    except DatabaseUnavailable:
        return
    mine = {fingerprint(session, photo) for photo in session.photos()}
    others = [(print_, name) for print_, name in shared if print_ not in mine]
    if not others and not st.session_state.get("arena:shared"):
        return
    if not st.toggle(f"Also vote on photos other users shared ({len(others)} new)",
                     key="arena:shared"):  # fmt: skip
        return
    for print_, name in others[-MAX_SHARED:]:
        data = arena_store().shared_photo(print_)
        if data is None:
            continue
        try:
            session.add_photo(f"shared:{print_[:16]}", f"Shared: {name}", "shared",
                              PhotoFile(name, data))  # fmt: skip
        except PhotoError:
            continue  # a file this server cannot decode: the others still come


def share_photo(session: Session, on_screen: OnScreen) -> None:
    """Your photo may join the arena for other users of this server, if you tick it (and
    leaves it when you untick it)."""
    photo = session.photo(on_screen.photo_id)
    if photo is None or photo.id.startswith(("sample", "shared:")):
        return
    key = f"share:{photo.id}"
    st.checkbox(
        "Share this photo with the arena", key=key, on_change=toggle_share,
        args=(session, photo, key),
        help="Other users of this server can then vote on it. Unticked, only a fingerprint "
        "of its pixels is kept with your votes.",
    )  # fmt: skip
    problem = st.session_state.pop(f"{key}:problem", None)
    if problem:
        st.warning(problem)


def toggle_share(session: Session, photo: StoredPhoto, key: str) -> None:
    """The checkbox's callback: one write when it changes, not one per rerun."""
    print_ = fingerprint(session, photo)
    try:
        if st.session_state[key]:
            arena_store().share_photo(print_, photo.file.name, photo.file.data)
        else:
            arena_store().unshare_photo(print_)
    except DatabaseUnavailable as error:
        st.session_state[key] = not st.session_state[key]  # as the database has it
        st.session_state[f"{key}:problem"] = f"Not changed: {error}"


if __name__ == "__main__":
    main()
