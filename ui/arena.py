"""The Arena page's parts: who votes, where votes go, which pair is on screen, the vote.

Nothing on screen names a model before its vote: the two results are "A" and "B", drawn
at random sides, with no times, captions or file names; the names are shown once the vote
is in, above the next pair.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import streamlit as st

from blur import DEFAULT_STRENGTH
from evaluation.arena.outbox import Cast, Outbox
from evaluation.arena.pairs import next_pair
from evaluation.arena.ranking import Leaderboard, leaderboard
from evaluation.arena.store import DatabaseUnavailable, VoteStore, default_url
from evaluation.arena.votes import A_WINS, B_WINS, BOTH_BAD, TIE, Pair, new_id, photo_fingerprint
from models import registry
from service import ResultKey, Session, StoredPhoto, ViewKey
from ui.render import Shown, ViewChoice, Views
from ui.settings import Look

VOTER_COOKIE = "arena_voter"
VOTER_YEARS = 2
ARENA_VIEWS = ("Blur", "Cut-out", "Matte")
# (label, what is stored, keyboard shortcut)
VERDICTS = (
    ("A better", A_WINS, "A"),
    ("Tie", TIE, "T"),
    ("Both bad", BOTH_BAD, "X"),
    ("B better", B_WINS, "B"),
)
LOOK = Look(DEFAULT_STRENGTH, "gaussian", True)  # the arena's blur: the app's defaults
PAIR, NEXT, SEEN = "arena:pair", "arena:next", "arena:seen"  # on screen, after it, seen
OUTBOX, REVEAL = "arena:outbox", "arena:reveal"


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("portrait-blur-arena")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def voter_id() -> str:
    """An anonymous id for this browser, kept in a cookie for two years (made on a first
    visit); the same person in another browser is another voter."""
    cookie = voter_cookie()
    if "arena:voter" not in st.session_state:
        valid = re.fullmatch("[0-9a-f]{32}", cookie)
        st.session_state["arena:voter"] = cookie if valid else new_id()
    voter = st.session_state["arena:voter"]
    if cookie != voter:
        seconds = VOTER_YEARS * 365 * 24 * 3600
        st.html(
            f"<script>document.cookie = '{VOTER_COOKIE}={voter}; max-age={seconds}; path=/; "
            "SameSite=Lax';</script>",
            unsafe_allow_javascript=True,
        )
    return voter


def voter_cookie() -> str:
    cookie = st.context.cookies.get(VOTER_COOKIE, "")
    return cookie if isinstance(cookie, str) else ""  # AppTest has no browser: no cookies


@st.cache_resource(show_spinner=False)
def _store(url: str) -> VoteStore:
    return VoteStore(url)  # connects on first use


def arena_store() -> VoteStore:
    """This server's vote store (PORTRAIT_BLUR_DB, else SQLite in the user's data folder);
    its methods raise DatabaseUnavailable while the database cannot be reached."""
    return _store(default_url())


def outbox() -> Outbox:
    return st.session_state.setdefault(OUTBOX, Outbox())


def fingerprint(session: Session, photo: StoredPhoto) -> str:
    key = ViewKey(photo.id, None, ("fingerprint",))
    return session.view(key, lambda: photo_fingerprint(photo.full_rgb()))


def photo_set(photo: StoredPhoto) -> str:
    if photo.id.startswith("shared:"):
        return "shared"
    return "sample" if photo.id.startswith("sample") else "upload"


@dataclass(frozen=True)
class OnScreen:
    """The pair shown: what the database holds of it, and where its results are."""

    pair: Pair
    photo_id: str
    keys: tuple[ResultKey, ResultKey]  # A's, B's

    def items(self, session: Session) -> list[Shown] | None:
        """A's and B's results, or None when either is gone (photo removed, rerun)."""
        results = dict(session.done(self.photo_id))
        if not all(key in results for key in self.keys):
            return None
        return [Shown(registry.get_spec(key[1]), results[key], key) for key in self.keys]


def setup(key: ResultKey, look: Look) -> dict:
    """What shaped a result besides its model: device (and a refiner's), mask, blur."""
    spec = registry.get_spec(key[1])
    return {
        "device": key[2], "refined": spec.base.key if spec.base else None,
        "mask": look.mask.tag, "strength": look.strength, "lens": look.lens,
        "clean_edges": look.clean_edges,
    }  # fmt: skip


def candidates(session: Session, photo: StoredPhoto) -> dict[str, ResultKey]:
    """The models with a usable result on the photo (one per model: its first device)."""
    found: dict[str, ResultKey] = {}
    for key, result in session.done(photo.id):
        if result.found_subject and key[1] not in found and known(key[1]):
            found[key[1]] = key
    return found


def choose_pair(
    session: Session, photos: list[StoredPhoto], voter: str, board: Leaderboard | None,
    seen_by_store,
) -> OnScreen | None:  # fmt: skip
    """The next pair to show: over the photos in a random order, the first that still has
    a pair this voter has not seen there (here or, by the database, before), paired by
    evaluation.arena.pairs."""
    ratings = {row.model: row.rating for row in board.rows} if board else {}
    battles = {row.model: row.battles for row in board.rows} if board else {}
    rng = random.Random()
    seen_here: set[tuple[str, frozenset[str]]] = st.session_state.setdefault(SEEN, set())
    for photo in rng.sample(photos, len(photos)):
        models = candidates(session, photo)
        if len(models) < 2:
            continue
        print_ = fingerprint(session, photo)
        seen = {pair for where, pair in seen_here if where == print_} | seen_by_store(print_)
        pair = next_pair(models, seen, ratings, battles, rng)
        if pair is None:
            continue
        keys = (models[pair[0]], models[pair[1]])
        shown = Pair(
            voter, print_, photo_set(photo), pair[0], pair[1], setup(keys[0], LOOK),
            setup(keys[1], LOOK), app_version(),
        )  # fmt: skip
        return OnScreen(shown, photo.id, keys)
    return None


def mark_seen(on_screen: OnScreen) -> None:
    """This session never shows the pair again on that photo (the database says so too,
    once the pair's record is in)."""
    pair = on_screen.pair
    st.session_state.setdefault(SEEN, set()).add(
        (pair.photo, frozenset((pair.model_a, pair.model_b)))
    )


def pair_images(session: Session, on_screen: OnScreen, view: str, side: int) -> list[bytes]:
    """A's and B's images in ``view``, ``side`` pixels at most (kept in the session)."""
    photo = session.photo(on_screen.photo_id)
    items = on_screen.items(session)
    if photo is None or items is None:
        return []
    views = Views(session, photo, side)
    return [views.image(item, ViewChoice(view), LOOK) for item in items]


def cast(winner: str, voter: str) -> None:
    """A verdict button's callback (before the rerun draws the next pair): the vote goes
    into the outbox and is sent at once; the pair's names are shown above the next one."""
    on_screen: OnScreen | None = st.session_state.pop(PAIR, None)
    if on_screen is None or on_screen.pair.voter != voter:
        return
    view = st.session_state.get("arena:view") or ARENA_VIEWS[0]
    outbox().add(Cast(on_screen.pair.id, voter, winner, view))
    st.session_state[REVEAL] = (on_screen.pair, winner)


def send_waiting() -> list[str]:
    """Sends every waiting pair and vote; the problems, each a message with its fix."""
    return outbox().send(arena_store)


def seen_by_store(voter: str, photo: str) -> set[frozenset[str]]:
    """The pairs the database says ``voter`` saw on ``photo`` (none when it cannot say:
    this session's own memory of them still holds)."""
    try:
        return arena_store().shown_to(voter, photo)
    except DatabaseUnavailable:
        return set()


def known(model: str) -> bool:
    try:
        registry.get_spec(model)
    except KeyError:
        return False
    return True


def label(model: str) -> str:
    """A registry key's name on screen; another name (an imported file's) as it is."""
    return registry.get_spec(model).label if known(model) else model


def reveal_text(pair: Pair, winner: str) -> str:
    a, b = label(pair.model_a), label(pair.model_b)
    verdict = {A_WINS: f"**{a}** (A) better than **{b}** (B)",
               B_WINS: f"**{b}** (B) better than **{a}** (A)",
               TIE: f"a tie: **{a}** (A) and **{b}** (B)",
               BOTH_BAD: f"both bad: **{a}** (A) and **{b}** (B)"}[winner]  # fmt: skip
    return f"Your vote: {verdict}."


BOARD = "arena:board"  # the last leaderboard drawn: the pairing's ratings and battles


def cached_leaderboard(view: str | None, photo_set_name: str | None) -> Leaderboard | None:
    """The leaderboard of the votes so far (refitted when their number changes), or None
    when the database cannot be reached."""
    store = arena_store()
    try:
        count = store.count()
        board = _leaderboard(store.url, count, view, photo_set_name, store)
    except DatabaseUnavailable:
        return None
    if view is None and photo_set_name is None:
        st.session_state[BOARD] = board
    return board


@st.cache_data(show_spinner=False, max_entries=16)
def _leaderboard(url: str, count: int, view, photo_set_name, _store: VoteStore) -> Leaderboard:
    """Fitted once per database, vote count and filter."""
    return leaderboard(_store.outcomes(view, photo_set_name))


def last_board() -> Leaderboard | None:
    return st.session_state.get(BOARD)
