"""A user's session without any UI: background runs, kept results, retries, bounded memory."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from service import ModelPool, PhotoFile, Session, ViewKey
from tests.waiting import wait_until


@pytest.fixture
def pool():
    pool = ModelPool(ram_budget_mb=10_000)
    yield pool
    pool.shutdown()


@pytest.fixture
def portrait(astronaut_path) -> PhotoFile:
    return PhotoFile("astronaut.png", astronaut_path.read_bytes())


def jpeg(size: tuple[int, int], source: Image.Image) -> bytes:
    buffer = io.BytesIO()
    source.resize(size, Image.Resampling.BILINEAR).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_results_are_kept_as_they_finish_and_a_rerun_mid_run_keeps_them(
    pool, portrait, add_standin_model, standin_flags
):
    slow = add_standin_model("slow", "Slow")  # 1 s per photo
    session = Session(pool)
    for n in range(3):
        session.add_photo(f"p{n}", f"p{n}", f"p{n}", portrait)
    assert session.submit(["p0", "p1", "p2"], [slow], "cpu") == 3
    wait_until(lambda: session.finished == 1, "the first result")
    (standin_flags / "slow.hang").touch()  # p1, a second into its photo, runs until let go
    assert session.result("p0", slow, "cpu").ok  # stored the moment it finished
    # The page reruns mid-run (a slider, a click): nothing already done or under way is
    # queued again, and the running job is not stopped.
    assert session.submit(["p0", "p1", "p2"], [slow], "cpu") == 0
    assert session.pending()[0].key == ("p1", "slow", "cpu")
    (standin_flags / "slow.hang").unlink()
    assert session.wait(30)
    assert all(session.result(f"p{n}", slow, "cpu").ok for n in range(3))
    assert pool.jobs[("slow", "cpu")] == 3


def test_progress_names_the_stage(pool, portrait, add_standin_model, standin_flags):
    slow = add_standin_model("slow", "Slow")  # starting and loading take 0.5 s or more each
    session = Session(pool)
    session.add_photo("p", "p", "p", portrait)
    (standin_flags / "slow.hang").touch()  # it stays running until let go
    session.submit(["p"], [slow], "cpu")
    seen = []

    def running_seen() -> bool:
        for job in session.pending():
            if job.state is not None and job.state.stage not in seen:
                seen.append(job.state.stage)
        return "running" in seen

    wait_until(running_seen, "the running stage")
    (standin_flags / "slow.hang").unlink()
    assert session.wait(30)
    assert seen == ["starting", "loading", "running"]
    assert session.progress() == 1.0


def test_failures_are_shown_but_retried_on_the_next_submit(
    pool, portrait, add_standin_model, standin_flags
):
    flaky = add_standin_model("square", "Flaky")
    session = Session(pool)
    session.add_photo("p", "p", "p", portrait)
    (standin_flags / "square.broken").touch()
    session.submit(["p"], [flaky], "cpu")
    session.wait(30)
    assert "not downloaded yet" in session.result("p", flaky, "cpu").error
    (standin_flags / "square.broken").unlink()  # fixed, e.g. by `portrait-blur models --check`
    assert session.submit(["p"], [flaky], "cpu") == 1
    session.wait(30)
    assert session.result("p", flaky, "cpu").ok
    assert session.submit(["p"], [flaky], "cpu") == 0  # a success is never run again


def test_cancel_drops_the_queue_and_keeps_the_running_job(
    pool, portrait, add_standin_model, standin_flags
):
    slow = add_standin_model("slow", "Slow")
    session = Session(pool)
    for n in range(3):
        session.add_photo(f"p{n}", f"p{n}", f"p{n}", portrait)
    (standin_flags / "slow.hang").touch()  # p0 runs until let go
    session.submit(["p0", "p1", "p2"], [slow], "cpu")
    wait_until(lambda: session.pending() and session.pending()[0].state is not None
               and session.pending()[0].state.stage == "running", "p0 running")  # fmt: skip
    session.cancel()
    (standin_flags / "slow.hang").unlink()
    assert session.wait(30)
    assert session.result("p0", slow, "cpu").ok
    assert session.result("p1", slow, "cpu") is None and session.result("p2", slow, "cpu") is None


def test_removing_a_photo_frees_it_and_its_results(pool, portrait, add_standin_model):
    square = add_standin_model("square", "Square")
    session = Session(pool)
    session.add_photo("keep", "keep", "keep", portrait)
    session.add_photo("gone", "gone", "gone", portrait)
    session.submit(["keep", "gone"], [square], "cpu")
    session.wait(30)
    before = session.nbytes()
    session.keep_only({"keep"})
    assert session.photo("gone") is None and session.result("gone", square, "cpu") is None
    assert session.nbytes() < before / 1.5


def test_a_12_mp_photo_and_its_result_are_stored_compactly(pool, astronaut, add_standin_model):
    square = add_standin_model("square", "Square")
    session = Session(pool)
    photo = session.add_photo(
        "big", "big", "big", PhotoFile("big.jpg", jpeg((4000, 3000), astronaut))
    )
    assert photo.size == (4000, 3000) and max(photo.preview.shape) == 1280
    assert photo.nbytes <= 15 * 2**20, photo.nbytes / 2**20
    assert photo.full_rgb().shape == (3000, 4000, 3)  # decoded only when asked
    session.submit(["big"], [square], "cpu")
    session.wait(60)
    result = session.result("big", square, "cpu")
    assert result.matte.dtype == np.uint8 and result.nbytes <= 13 * 2**20
    assert session.nbytes() - photo.nbytes == result.nbytes


def test_over_budget_the_oldest_previews_go_first_then_their_mattes_are_packed(
    pool, astronaut, add_standin_model
):
    square = add_standin_model("square", "Square")
    photos = [PhotoFile(f"{n}.jpg", jpeg((2000, 1500), astronaut)) for n in range(3)]
    session = Session(pool, budget_bytes=10 * 2**20)
    for n, file in enumerate(photos):
        session.add_photo(str(n), str(n), str(n), file)
    oldest = session.photo("0")
    assert oldest._preview is None and session.photo("2")._preview is not None
    assert oldest.preview.shape == session.photo("2").preview.shape  # decoded again on use

    session.submit(["0", "1", "2"], [square], "cpu")
    session.wait(60)
    assert session.nbytes() <= 10 * 2**20
    packed = session.result("0", square, "cpu")  # unpacked on use, same values
    newest = session.result("2", square, "cpu")
    assert np.array_equal(packed.matte, newest.matte)
    assert session.result("0", square, "cpu").matte is packed.matte  # not on every rerun


def test_views_are_made_once_kept_and_forgotten_with_their_photo(pool, portrait):
    session = Session(pool, budget_bytes=10 * 2**20)
    session.add_photo("a", "a", "a", portrait)
    session.add_photo("b", "b", "b", portrait)
    made = []

    def make(size: int):
        made.append(size)
        return np.zeros(size, np.uint8)

    key = ViewKey("a", ("a", "m", "cpu"), ("Blur", 101))
    first = session.view(key, lambda: make(1000))
    assert session.view(key, lambda: make(1000)) is first and made == [1000]
    session.view(ViewKey("b", ("b", "m", "cpu"), ("Blur", 101)), lambda: make(2000))
    before = session.nbytes()
    session.keep_only({"b"})
    assert session.nbytes() < before - 1000  # a's photo and its view are gone
    session.view(key, lambda: make(1000))
    assert session.view(key, lambda: make(1000)) is not first  # made again: a is gone
    assert made == [1000, 2000, 1000, 1000]  # for a photo not kept, nothing is stored


def test_views_stay_within_their_share_of_the_budget(pool, portrait):
    from service.session import VIEW_SHARE

    budget = 4 * 2**20
    session = Session(pool, budget_bytes=budget)
    session.add_photo("a", "a", "a", portrait)
    chunk = 2**20
    for n in range(6):
        session.view(ViewKey("a", ("a", "m", "cpu"), (n,)), lambda: np.zeros(chunk, np.uint8))
    kept = session.nbytes() - session.photo("a").nbytes
    assert 0 < kept <= VIEW_SHARE * budget
    made = []
    session.view(
        ViewKey("a", ("a", "m", "cpu"), (5,)), lambda: made.append(5)
    )  # the newest is kept
    session.view(
        ViewKey("a", ("a", "m", "cpu"), (0,)), lambda: made.append(0)
    )  # the oldest went first
    assert made == [0]


def test_a_new_result_replaces_the_views_of_the_old_one(pool, portrait, add_standin_model):
    broken = add_standin_model("broken", "Broken")
    session = Session(pool)
    session.add_photo("a", "a", "a", portrait)
    session.submit(["a"], [broken], "cpu")
    assert session.wait(30)
    session.view(ViewKey("a", ("a", "broken", "cpu"), ("Blur",)), lambda: "from the failed result")
    session.submit(["a"], [broken], "cpu")  # retried: a new result arrives
    assert session.wait(30)
    assert session.view(ViewKey("a", ("a", "broken", "cpu"), ("Blur",)), lambda: "new") == "new"


def test_a_session_whose_page_is_gone_is_emptied_after_the_grace_time(pool, portrait):
    page = {"open": True}
    session = Session(pool, page_open=lambda: page["open"], grace_s=120)
    session.add_photo("a", "a", "a", portrait)
    session.view(ViewKey("a", ("a", "m", "cpu"), ("Blur",)), lambda: np.zeros(1000, np.uint8))
    assert not session.close_if_abandoned(now=0)
    page["open"] = False  # the tab closed
    assert not session.close_if_abandoned(now=10)
    assert not session.close_if_abandoned(now=100)  # a reconnect within the grace keeps all
    assert session.photo("a") is not None
    assert session.close_if_abandoned(now=131)
    assert session.photos() == [] and session.nbytes() == 0
    page["open"] = True  # came back after all: the session works again, empty
    assert not session.close_if_abandoned(now=200) and not session.closed
    assert Session(pool).close_if_abandoned(now=1e9) is False  # no page to watch: never
