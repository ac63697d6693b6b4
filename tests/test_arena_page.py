"""The Arena page through Streamlit's AppTest, on the in-box models: a vote lands in the
database, the names show only after it, the next pair is another one, and a database
that goes away keeps the vote until it is back."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from evaluation.arena.store import VoteStore
from models import registry
from tests.apptest import image_urls
from tests.conftest import ROOT

NAMES = [spec.label for spec in registry.REGISTRY] + [spec.key for spec in registry.REGISTRY]


def arena_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return at.switch_page("ui/pages/arena.py").run()


def with_samples(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Vote on the sample portraits").click().run()
    assert at.session_state["session"].wait(120)
    return at.run()


def page_text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "success", "warning", "info")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(str(part) for part in parts) + "\n".join(b.label for b in at.button)


def vote(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def on_screen(at: AppTest):
    return at.session_state["arena:pair"]


def test_a_vote_lands_and_the_names_show_after_it(arena_db):
    at = with_samples(arena_page())
    assert not at.exception
    pair = on_screen(at).pair
    assert [m.value for m in at.markdown if m.value in ("**A**", "**B**")] == ["**A**", "**B**"]
    text = page_text(at)
    assert not [name for name in NAMES if name in text], "a model named before the vote"
    at = vote(at, "A better")
    (battle,) = VoteStore(f"sqlite:///{arena_db}").battles()
    assert (battle.pair_id, battle.model_a, battle.model_b) == (pair.id, pair.model_a, pair.model_b)
    assert battle.winner == "model_a" and battle.view == "Blur"
    assert battle.voter == at.session_state["arena:voter"] and battle.photo_set == "sample"
    assert battle.setup_a["device"] == "cpu" and battle.setup_a["strength"] == 101
    revealed = at.success[0].value
    a, b = registry.get_spec(pair.model_a).label, registry.get_spec(pair.model_b).label
    assert revealed == f"Your vote: **{a}** (A) better than **{b}** (B)."
    following = on_screen(at).pair
    assert following.id != pair.id
    assert (following.photo, {following.model_a, following.model_b}) != (
        pair.photo, {pair.model_a, pair.model_b})  # fmt: skip


def test_the_view_is_kept_with_the_vote_and_every_verdict_counts(arena_db):
    at = with_samples(arena_page())
    next(w for w in at.get("button_group") if w.label == "View").set_value("Matte").run()
    for label in ("Tie", "Both bad", "B better"):
        at = vote(at, label)
    battles = VoteStore(f"sqlite:///{arena_db}").battles()
    assert [b.winner for b in battles] == ["tie", "tie (bothbad)", "model_b"]
    assert {b.view for b in battles} == {"Matte"}
    at.session_state["arena:tab"] = "Leaderboard"
    at.run()
    table = at.dataframe[0].value
    assert table["Battles"].sum() == 6  # two models per vote
    assert set(table["Model"]) <= {spec.label for spec in registry.REGISTRY}


def test_no_pair_twice_for_a_voter_and_no_model_against_itself():
    at = with_samples(arena_page())
    seen = set()
    while "arena:pair" in at.session_state and on_screen(at) is not None:
        pair = on_screen(at).pair
        assert pair.model_a != pair.model_b
        key = (pair.photo, frozenset((pair.model_a, pair.model_b)))
        assert key not in seen
        seen.add(key)
        at = vote(at, "Tie")
    assert len(seen) == 2 * 10  # two photos, five models: ten pairs each
    assert "voted on every pair" in at.info[0].value


def test_a_database_that_goes_away_keeps_the_vote_until_it_is_back(monkeypatch):
    from tests.databases import PostgresServer, postgres_or_skip

    postgres_or_skip()
    server = PostgresServer()
    try:
        url = server.new_database()
        monkeypatch.setenv("PORTRAIT_BLUR_DB", url)
        at = with_samples(arena_page())
        at = vote(at, "A better")
        server.pause()
        at = vote(at, "B better")
        assert not at.exception
        (warning,) = [w.value for w in at.warning]
        assert "cannot be reached" in warning and "your vote is kept" in warning
        assert on_screen(at) is not None  # voting goes on
        server.start()
        while at.run().warning:  # a rerun once the store tries again sends what waited
            assert "cannot be reached" in at.warning[0].value
        assert [b.winner for b in VoteStore(url).battles()] == ["model_a", "model_b"]
    finally:
        server.stop()


def test_each_view_draws_both_results_anew():
    at = with_samples(arena_page())
    drawn = {"Blur": image_urls(at)}
    for view in ("Cut-out", "Matte"):
        next(w for w in at.get("button_group") if w.label == "View").set_value(view).run()
        assert not at.exception
        drawn[view] = image_urls(at)
    assert all(len(urls) == 2 for urls in drawn.values()), drawn
    assert len({url for urls in drawn.values() for url in urls}) == 6


def test_votes_on_photos_with_a_true_matte_are_set_against_the_sad():
    """A photo's true matte (here SINet's recorded mask, so SINet's SAD is the lowest)
    makes the Leaderboard tab say how the votes' order agrees with the SAD order: votes
    for SINet agree (+1)."""
    from tests.references import reference_mask

    at = with_samples(arena_page())
    at.session_state["session"].photo("sample").set_truth(
        reference_mask("sinet_reference", "astronaut")
    )
    voted = 0
    while (on := on_screen(at)) is not None:
        pair = on.pair
        if on.photo_id == "sample" and "sinet" in (pair.model_a, pair.model_b):
            at = vote(at, "A better" if pair.model_a == "sinet" else "B better")
            voted += 1
        else:
            at = vote(at, "Tie" if on.photo_id != "sample" else "Both bad")
    assert voted == 4  # SINet against each of the four others
    at.session_state["arena:tab"] = "Leaderboard"
    at.run()
    (said,) = [m.value for m in at.markdown if m.value.startswith("**Votes and ground truth:**")]
    assert "on the 1 photo(s) with a true matte, 10 votes order 5 models" in said
    assert "τ = " in said
    tau = float(said.split("τ = ")[1].split()[0])
    # SINet first in both orders; the other pairs' both-bad votes leave them level.
    assert tau > 0, said


def test_photos_other_users_shared_can_be_voted_on(arena_db):
    from evaluation.arena.votes import photo_fingerprint
    from photo.decode import decode_photo
    from photo.samples import sample_path

    data = sample_path("camera.png").read_bytes()
    store = VoteStore(f"sqlite:///{arena_db}")
    fingerprint = photo_fingerprint(np.asarray(decode_photo(data, "camera.png").image))
    store.share_photo(fingerprint, "their-camera.png", data)
    at = arena_page()
    toggle = next(t for t in at.toggle if t.label.startswith("Also vote on photos other users"))
    assert "(1 new)" in toggle.label
    at = toggle.set_value(True).run()
    assert at.session_state["session"].wait(120)
    at = at.run()
    assert on_screen(at).photo_id.startswith("shared:")
    at = vote(at, "Tie")
    (battle,) = store.battles()
    assert battle.photo_set == "shared"


def test_an_upload_is_shared_only_while_ticked(arena_db):
    from PIL import Image

    from photo.samples import sample_path
    from tests.apptest import png_bytes

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    data = png_bytes(Image.open(sample_path("astronaut.png")))
    at.file_uploader[0].set_value(("me.png", data, "image/png")).run()
    at = at.switch_page("ui/pages/arena.py").run()
    assert at.session_state["session"].wait(120)
    at = at.run()
    store = VoteStore(f"sqlite:///{arena_db}")
    box = next(c for c in at.checkbox if c.label == "Share this photo with the arena")
    assert store.shared_photos() == []
    at = box.check().run()
    assert [name for _, name in store.shared_photos()] == ["me.png"]
    at = next(c for c in at.checkbox if c.label.startswith("Share this photo")).uncheck().run()
    assert store.shared_photos() == []


def test_no_image_address_comes_back_in_another_pair():
    """An image's address is a hash of its bytes: each pair's images carry their showing's
    id, so an address once named by a vote never names a model in a later pair (or on the
    Compare page), while the pixels stay the same."""
    import cv2

    from ui.render import jpeg, unlinkable

    at = with_samples(arena_page())
    addresses = []
    for _ in range(6):
        addresses += image_urls(at)
        at = vote(at, "Tie")
    assert len(addresses) == 12 and len(set(addresses)) == 12
    picture = np.zeros((8, 8, 3), np.uint8)
    picture[2:5] = 200
    data = jpeg(picture)
    marked = unlinkable(data, "pair-1A")
    assert marked != data and unlinkable(data, "pair-2A") != marked
    decoded = [cv2.imdecode(np.frombuffer(d, np.uint8), cv2.IMREAD_COLOR) for d in (data, marked)]
    assert np.array_equal(*decoded)
