"""Helpers for driving the app through Streamlit's AppTest, shared by the UI tests."""

from __future__ import annotations

import io

from PIL import Image
from streamlit.testing.v1 import AppTest

from models import registry
from service import shared_pool
from ui.labels import RUN_LABEL

RUN = RUN_LABEL


class ModelRuns:
    """How many photos the shared pool has handed to MediaPipe Selfie since the test began."""

    def __init__(self) -> None:
        self.start = shared_pool().jobs[SELFIE]

    def __len__(self) -> int:
        return shared_pool().jobs[SELFIE] - self.start


SELFIE = ("mediapipe_selfie", "cpu")
# Ticked on a first visit: every network shipped with the app, compared side by side.
IN_BOX = [spec.label for spec in registry.REGISTRY if spec.default]


def selfie_result(at: AppTest, photo_index: int = 0):
    session = at.session_state["session"]
    photo = session.photos()[photo_index]
    return session.result(photo.id, registry.get_spec("mediapipe_selfie"), "cpu")


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def run_and_wait(at: AppTest) -> AppTest:
    """Click Run, wait for the session's runs (the page polls them in a fragment that
    AppTest does not tick), and draw the page again."""
    next(b for b in at.button if b.label == RUN).click().run()
    assert at.session_state["session"].wait(120)
    return at.run()


def upload_and_run(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "image/png"))
    at.run()
    return run_and_wait(at)


def model_headers(at: AppTest) -> list[str]:
    """The grid's model names, in order (each card starts with the name in bold)."""
    cards = [m.value.split("**")[1] for m in at.main.markdown if m.value.startswith("**")]
    return [name.replace("\\", "") for name in cards]  # as rendered: markdown unescaped


def model_boxes(at: AppTest) -> dict:
    """The sidebar's model checkboxes by model name (each label ends in an availability mark)."""
    return {box.label.split(" :")[0]: box for box in at.sidebar.checkbox}


def only(at: AppTest, *labels: str) -> AppTest:
    """Untick every model but ``labels`` (for a test about one result, or two)."""
    for name, box in model_boxes(at).items():
        if box.value and name not in labels:
            box.uncheck()
    return at.run()


def choose_view(at: AppTest, view: str) -> AppTest:
    return next(w for w in at.get("button_group") if w.label == "View").set_value(view).run()


def image_urls(at: AppTest) -> list[str]:
    return [url for image in at.image for url in image.value]
