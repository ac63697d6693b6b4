"""The Video page through Streamlit's AppTest: the demo clip through an in-box model, its
scores, a rerun that keeps them, and the licence a downloaded model brings."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from models import registry

ROOT = Path(__file__).resolve().parent.parent


def video_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return at.switch_page("ui/pages/video.py").run()


def only(at: AppTest, key: str) -> AppTest:
    for spec in registry.REGISTRY:
        if spec.default and spec.key != key:
            at.checkbox(key=f"model:{spec.key}").uncheck()
    return at.run()


def test_the_demo_clip_through_one_model_gives_its_clip_and_scores():
    at = only(video_page(), "mediapipe_selfie_landscape")
    assert not at.exception
    demo = next(b for b in at.button if b.label == "Try the demo clip")
    at = demo.click().run()
    session = at.session_state["video_session"]
    assert session.wait(120)
    at = at.run()
    assert not at.exception and not at.error
    (result,) = session.results()
    assert result.label == "MediaPipe Selfie landscape"
    table = at.table[0].value
    assert list(table.index) == ["MediaPipe Selfie landscape"]
    assert {"Frames/s", "Flicker ‰", "Jumps %", "MAD", "MSE", "dtSSD"} <= set(table.columns)
    assert any("synthetic" in caption.value for caption in at.caption)
    # A rerun (another view) keeps the result and runs nothing again.
    at.segmented_control(key="video:view").set_value("Overlay").run()
    assert session.results() == [result] and not session.busy
    assert result.files["Overlay"].exists()


def test_a_gpl_model_says_its_licence_when_ticked():
    at = video_page()
    at.checkbox(key="model:rvm").check().run()
    notes = [c.value for c in at.sidebar.caption]
    assert any("GPL-3.0" in note and "never shipped" in note for note in notes)
