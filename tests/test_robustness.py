"""The UI under bad uploads and failing models: a message in place, never a traceback."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from service import shared_pool
from tests.apptest import IN_BOX, model_headers, run_and_wait
from tests.conftest import ROOT
from tests.corpus import BAD, GOOD
from ui.labels import RUN_LABEL


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def run_with(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.file_uploader[0].set_value(
        [(name, data, "application/octet-stream") for name, data in files]
    )
    at.run()
    run = next(b for b in at.button if b.label == RUN_LABEL)
    return at if run.disabled else run_and_wait(at)  # disabled: no readable photo


@pytest.mark.parametrize("name", BAD)
def test_a_bad_file_beside_a_good_one(app, astronaut_path, name):
    make, words = BAD[name]
    at = run_with(app, [(name, make()), ("astronaut.png", astronaut_path.read_bytes())])
    assert not at.exception
    assert len(at.error) == 1 and words in at.error[0].value
    assert len(at.image) == len(IN_BOX)  # the portrait's blurs


@pytest.mark.parametrize("name", GOOD)
def test_every_unusual_photo_runs(app, name):
    make, note = GOOD[name]
    at = run_with(app, [(name, make())])
    assert not at.exception and not at.error
    assert model_headers(at)[0] == "MediaPipe Selfie"
    if note:
        assert any(note in c.value for c in at.caption)


def test_a_hostile_name_is_shown_as_text(app):
    at = run_with(app, [("[win](javascript:alert(1)) <img src=x>.jpg", b"junk")])
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("\\[win\\]\\(javascript\\:alert\\(1\\)\\) \\<img src=x\\>.jpg: ")


def test_several_photos_get_a_tab_each_with_unique_names(app, astronaut_path):
    portrait = astronaut_path.read_bytes()
    at = run_with(app, [("me.png", portrait), ("me.png", portrait), ("empty.jpg", b"")])
    assert not at.exception
    assert [t.label.replace("\\", "") for t in at.tabs] == ["me.png", "me.png (2)"]  # as rendered
    assert len(at.image) == len(IN_BOX)  # only the open tab is drawn
    assert "empty.jpg" in at.error[0].value


def test_nothing_in_the_ui_takes_a_repo_id(app):
    assert not app.text_input and not app.text_area


def test_a_hanging_model_times_out_and_the_others_finish(app, add_standin_model, astronaut_path):
    add_standin_model("hangs", "Slow Stand-in", default=True, timeout_s=0.5)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at = run_with(at, [("astronaut.png", astronaut_path.read_bytes())])
    assert not at.exception
    assert at.error[0].value.startswith("Slow Stand-in took longer than 0.5 s on this photo")
    assert len(at.image) == len(IN_BOX)  # the in-box models' results
    assert ("hangs", "cpu") not in {(key, device) for key, device, _ in shared_pool().loaded()}


def test_out_of_memory_is_reported_and_the_model_freed(add_standin_model, astronaut_path):
    add_standin_model("greedy", "Greedy Stand-in", default=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at = run_with(at, [("astronaut.png", astronaut_path.read_bytes())])
    assert at.error[0].value.startswith("Greedy Stand-in ran out of memory")
    assert "greedy" not in {key for key, _, _ in shared_pool().loaded()}
