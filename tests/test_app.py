"""The whole UI through Streamlit's AppTest, on the real networks shipped with the app (the
in-box models, all ticked on a first visit); stand-ins only for the Hub's models and for
failures."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from models import NO_SUBJECT, hub, registry
from tests.apptest import (
    IN_BOX,
    RUN,
    ModelRuns,
    choose_view,
    image_urls,
    model_boxes,
    model_headers,
    only,
    png_bytes,
    run_and_wait,
    selfie_result,
    upload_and_run,
)
from tests.conftest import ROOT
from tests.waiting import DEADLINE_S


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


@pytest.fixture
def predict_calls() -> ModelRuns:
    return ModelRuns()


def test_each_page_renders(app):
    """Every page app.py declares draws without an exception; the first is the root."""
    import app as entry

    assert entry.pages()[0].url_path == "" and entry.PAGE_FILES[0][1] == "Compare"
    for file, title, _ in entry.PAGE_FILES:
        at = app.switch_page(f"ui/pages/{file}").run()
        assert not at.exception, title
        assert at.title[0].value == "Portrait Blur Arena"
        assert at.main.markdown or at.main.caption, f"{title} draws nothing below its title"


def test_first_screen(app):
    assert app.title[0].value == "Portrait Blur Arena"
    assert app.caption[0].value.startswith("Upload a portrait, tick segmentation models")
    assert "(on a phone: » at the top left)" in app.caption[0].value  # where the sidebar is
    assert any(b.label == "Try a sample portrait" for b in app.button)
    assert app.sidebar.selectbox[0].options[0] == "Auto"
    boxes = {name: box.value for name, box in model_boxes(app).items()}
    assert list(boxes) == [spec.label for spec in registry.REGISTRY]
    assert len(IN_BOX) >= 5 and "MediaPipe Selfie" in IN_BOX
    assert [label for label, ticked in boxes.items() if ticked] == IN_BOX
    button = next(b for b in app.button if b.label == RUN)
    assert button.disabled  # nothing uploaded yet
    assert not app.image and not app.exception


def test_the_sidebar_says_what_each_model_needs_from_the_cache_alone(offline_hub, monkeypatch):
    from tests.standins.factory import birefnet_repo_files

    offline_hub.add(registry.get_spec("birefnet_portrait").repo, birefnet_repo_files())
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(offline_hub.root / "t"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    marks = {name: box.label.split(" :", 1)[1] for name, box in model_boxes(at).items()}
    assert marks["MediaPipe Selfie"] == "green-badge[ready]"  # ships with its package
    assert marks["BiRefNet Portrait"] == "green-badge[ready]"  # in the cache
    assert marks["RMBG 2.0"] == "orange-badge[gated, needs HF_TOKEN]"
    assert marks["BEN2"] == "red-badge[offline, not cached]"
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "learn_download_sizes", lambda specs: None)  # no probe of its own
    monkeypatch.setattr(hub, "_probe", lambda url: True)  # the network's answer: reachable
    hub.forget_probe()
    at.run()  # online: the download's size (an estimate here)
    assert model_boxes(at)["BEN2"].label.endswith(":blue-badge[~1,100 MB download]")
    hub.forget_probe()


def test_offline_badges_stay_offline_on_every_load(offline_hub, monkeypatch):
    """No HF_HUB_OFFLINE, but the network does not answer: every page load says "offline,
    not cached", also once the probe's memory is stale (it is refreshed behind the page)."""
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "learn_download_sizes", lambda specs: None)
    probes = []
    monkeypatch.setattr(hub, "_probe", lambda url: probes.append(url) or False)
    hub.forget_probe()
    try:
        for load in range(3):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
            marks = {name: box.label.split(" :", 1)[1] for name, box in model_boxes(at).items()}
            assert marks["BEN2"] == "red-badge[offline, not cached]", load
            assert marks["InSPyReNet"] == "red-badge[offline, not cached]", load
            with hub._probe_lock:  # as if the probes were made long ago
                for host, (reachable, _) in hub._last_probe.items():
                    hub._last_probe[host] = (reachable, -1e9)
        assert probes  # the page asked the network itself, without HF_HUB_OFFLINE
    finally:
        hub.forget_probe()


def test_upload_run_and_move_the_slider(app, astronaut_path, predict_calls):
    at = upload_and_run(app, "astronaut.png", astronaut_path.read_bytes())
    assert not at.exception and not at.error
    assert model_headers(at) == IN_BOX
    card = r"\*\*MediaPipe Selfie\*\* :gray\[· (\d+ ms|\d+\.\d\d s) · CPU( · first load .*)?\]"
    assert re.fullmatch(card, at.main.markdown[0].value)
    assert len(at.image) == len(IN_BOX)  # the blurred results: Blur is the default view
    assert len(set(image_urls(at))) == len(IN_BOX)  # five networks, five different masks
    assert len(predict_calls) == 1

    before = image_urls(at)
    slider = next(s for s in at.slider if s.label == "Blur Strength")
    assert (slider.min, slider.max, slider.value, slider.step) == (5, 255, 101, 2)
    slider.set_value(11).run()
    assert not at.exception and len(at.image) == len(IN_BOX)
    assert not set(image_urls(at)) & set(before)  # every result blurred anew
    slider.set_value(101).run()
    assert image_urls(at) == before  # the same setting: the same image, kept
    assert len(predict_calls) == 1  # the slider never re-runs the model


def test_blur_strength_is_shown_only_where_it_changes_something(app, astronaut_path):
    at = upload_and_run(app, "astronaut.png", astronaut_path.read_bytes())
    next(s for s in at.slider if s.label == "Blur Strength").set_value(151).run()
    blurred = image_urls(at)
    for view in ("Overlay", "Matte", "Cut-out", "Difference"):
        at = choose_view(at, view)
        assert "Blur Strength" not in [s.label for s in at.main.slider], view
    at = choose_view(at, "Blur")
    assert next(s for s in at.slider if s.label == "Blur Strength").value == 151  # kept
    assert image_urls(at) == blurred  # the same image, from the session's views


def test_difference_with_one_result_says_what_it_needs(app, astronaut_path):
    at = only(app, "MediaPipe Selfie")
    at = choose_view(upload_and_run(at, "astronaut.png", astronaut_path.read_bytes()),
                     "Difference")  # fmt: skip
    assert not at.main.image  # no flat grey picture of a model against itself
    assert any(i.value.startswith("Difference compares a result with another") for i in at.info)
    assert model_headers(at) == ["MediaPipe Selfie"]


def test_a_light_models_time_reads_in_milliseconds():
    from ui.grid import seconds_text

    assert [seconds_text(s) for s in (0.0004, 0.0123, 0.25, 3.5)] == [
        "under 1 ms", "12 ms", "0.25 s", "3.50 s"
    ]  # fmt: skip


def test_every_view_shows_its_own_image(app, astronaut_path):
    at = upload_and_run(app, "astronaut.png", astronaut_path.read_bytes())
    seen = {"Blur": image_urls(at)[0]}
    for view in ("Overlay", "Matte", "Cut-out", "Difference"):
        at = choose_view(at, view)
        assert not at.exception and len(at.image) == len(IN_BOX), view
        seen[view] = image_urls(at)[0]
    assert len(set(seen.values())) == 5
    assert [s.label for s in at.selectbox if s.label == "Against"] == ["Against"]
    assert any("blue: subject only for" in c.value for c in at.caption)  # the legend, in view
    at = choose_view(at, "Overlay")
    outline = next(t for t in at.toggle if t.label == "Outline only")
    outline.set_value(True).run()
    outlined = image_urls(at)[0]
    assert outlined not in seen.values()
    at = choose_view(at, "Blur")
    next(s for s in at.slider if s.label == "Blur Strength").set_value(11).run()
    at = choose_view(at, "Overlay")
    assert image_urls(at)[0] == outlined  # the overlay does not depend on the blur
    at = choose_view(at, "Cut-out")
    next(s for s in at.selectbox if s.label == "Backdrop").set_value("Black").run()
    assert not at.exception and image_urls(at)[0] not in seen.values()
    at = choose_view(choose_view(at, "Blur"), "Cut-out")  # each view's option is kept
    assert next(s for s in at.selectbox if s.label == "Backdrop").value == "Black"
    at = choose_view(at, "Overlay")
    assert next(t for t in at.toggle if t.label == "Outline only").value


def test_the_sample_portrait_runs_offline(app, predict_calls):
    next(b for b in app.button if b.label == "Try a sample portrait").click().run()
    assert not any(b.label == "Try a sample portrait" for b in app.button)  # loaded
    assert app.session_state["session"].wait(120)  # and running: no Run click needed
    at = app.run()
    assert not at.exception and model_headers(at) == IN_BOX  # real networks, side by side
    assert len(at.image) == len(IN_BOX) and len(predict_calls) == 1
    assert len(set(image_urls(at))) == len(IN_BOX)
    at.file_uploader[0].set_value(("mine.png", (ROOT / "photo/samples/camera.png").read_bytes(),
                                   "image/png")).run()  # fmt: skip
    assert [p.title for p in at.session_state["session"].photos()] == ["mine.png"]


def test_quick_runs_are_drawn_by_the_rerun_that_starts_them(app, astronaut_path, monkeypatch):
    """Once the in-box models are loaded, a run of them ends in well under a second: the
    page waits for it and draws the results at once, with no poll and no second rerun."""
    # Whether to wait follows the registry's figures; how long it may wait caps a busy
    # machine's page (2 s), which a loaded test machine may pass: here it never decides.
    monkeypatch.setattr("ui.progress.SOON_WAIT_S", DEADLINE_S)
    at = upload_and_run(app, "astronaut.png", astronaut_path.read_bytes())  # loads them
    camera = (ROOT / "photo/samples/camera.png").read_bytes()
    at.file_uploader[0].set_value(("camera.png", camera, "image/png")).run()
    next(b for b in at.button if b.label == RUN).click().run()
    assert not at.session_state["session"].busy  # this run waited for them
    assert len(at.image) == len(IN_BOX) and not at.get("progress")


def test_a_slow_run_never_holds_the_page(add_standin_model, astronaut_path, standin_flags):
    add_standin_model("slow", "Slow Stand-in", default=True)
    (standin_flags / "slow.hang").touch()  # runs until let go, however fast the page is
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.file_uploader[0].set_value(("astronaut.png", astronaut_path.read_bytes(), "image/png"))
    next(b for b in at.run().button if b.label == RUN).click().run()
    assert at.session_state["session"].busy and at.get("progress")  # drawn, then polled
    (standin_flags / "slow.hang").unlink()
    assert at.session_state["session"].wait(60)


def test_clicking_again_reuses_the_result(app, astronaut_path, predict_calls):
    at = upload_and_run(app, "astronaut.png", astronaut_path.read_bytes())
    at = run_and_wait(at)
    assert len(predict_calls) == 1 and len(at.image) == len(IN_BOX)


def test_photo_without_a_person_says_so(app):
    empty = png_bytes(Image.new("RGB", (320, 240), (128, 128, 128)))
    at = upload_and_run(app, "wall.png", empty)
    assert not at.exception
    assert [w.value for w in at.warning] == [f"{NO_SUBJECT}."] * len(IN_BOX)
    assert not at.image


def test_unreadable_upload_shows_a_message(app):
    app.file_uploader[0].set_value(("notes.png", b"this is not an image", "image/png"))
    at = app.run()
    assert not at.exception
    assert "notes.png: not an image" in at.error[0].value
    assert next(b for b in at.button if b.label == RUN).disabled  # nothing to run on


@pytest.fixture
def broken_model(add_standin_model):
    add_standin_model("broken", "Broken Stand-in", default=True)


def test_a_failing_model_does_not_hide_the_others(broken_model, astronaut_path):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    ticked = [name for name, box in model_boxes(at).items() if box.value]
    assert ticked == [*IN_BOX, "Broken Stand-in"]
    at = upload_and_run(at, "astronaut.png", astronaut_path.read_bytes())
    assert not at.exception
    assert model_headers(at) == IN_BOX  # the whole grid for what ran
    assert any(c.value.startswith(":red[Could not run: Broken Stand\\-in.") for c in at.caption)
    assert at.error[0].value == "Broken Stand-in failed: OSError: weights file is corrupt"
    assert len(at.image) == len(IN_BOX)  # the other models' blurs


def test_the_zip_says_which_results_it_leaves_out(broken_model, astronaut_path):
    import weakref
    import zipfile

    from photo.exports import LEFT_OUT
    from ui.downloads import all_results_zip
    from ui.settings import Look

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at = upload_and_run(at, "astronaut.png", astronaut_path.read_bytes())
    assert any(c.value.startswith("Not in the ZIP") and "Broken Stand" in c.value
               for c in at.caption)  # fmt: skip
    session = at.session_state["session"]
    chosen = [registry.get_spec("mediapipe_selfie"), registry.get_spec("broken")]
    archive = zipfile.ZipFile(all_results_zip(
        weakref.ref(session), [p.id for p in session.photos()], chosen, "cpu",
        Look(101, "gaussian", True), False,
    ))  # fmt: skip
    assert "astronaut/mediapipe_selfie_blur.jpg" in archive.namelist()
    note = archive.read(LEFT_OUT).decode()
    assert "astronaut.png: Broken Stand-in: failed: Broken Stand-in failed: OSError" in note


def test_unticking_every_model_disables_the_run(app):
    only(app)
    assert next(b for b in app.button if b.label == RUN).disabled
    assert "Tick at least one model" in app.info[0].value


def tick(at: AppTest, label: str) -> None:
    model_boxes(at)[label].check()


def test_hub_models_side_by_side_and_offline_message(offline_hub, astronaut_path):
    from tests.standins.factory import birefnet_repo_files

    offline_hub.add(registry.get_spec("birefnet_portrait").repo, birefnet_repo_files())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    tick(at, "BiRefNet Portrait")  # stand-in weights: plumbing only
    tick(at, "RMBG 2.0")  # not in the cache
    at.run()
    at = upload_and_run(at, "astronaut.png", astronaut_path.read_bytes())
    assert not at.exception
    # The two that ran side by side; the one that cannot run said below them, no column.
    assert model_headers(at) == [*IN_BOX, "BiRefNet Portrait"]
    assert len(at.image) == len(IN_BOX) + 1
    assert len(at.error) == 1
    assert at.error[0].value.startswith("RMBG 2.0 is not downloaded yet")
    assert "--check rmbg2" in at.error[0].value


def phone_photo_bytes(astronaut_path, size=(4000, 3000)) -> bytes:
    """A 12 MP JPEG made from the test portrait, like a phone photo."""
    image = Image.open(astronaut_path).convert("RGB").resize(size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_slider_on_a_12_mp_photo_never_reruns_the_model(app, astronaut_path, predict_calls):
    at = upload_and_run(
        only(app, "MediaPipe Selfie"), "phone.jpg", phone_photo_bytes(astronaut_path)
    )
    assert not at.exception and len(at.image) == 1
    assert len(predict_calls) == 1
    # The model was handed the photo at its input policy's size; the blur is at full size.
    assert selfie_result(at).matte.shape == (768, 1024)
    before = image_urls(at)
    seen = []
    for strength in (5, 255):
        next(s for s in at.slider if s.label == "Blur Strength").set_value(strength).run()
        assert not at.exception and len(at.image) == 1
        seen.append(image_urls(at))
    assert before != seen[0] != seen[1]  # each strength re-blurred
    assert len(predict_calls) == 1
    labels = [d.label for d in at.get("download_button")]
    assert labels == [
        "Blurred photo (JPEG)",
        "Cut-out (PNG with alpha)",
        "Matte (8-bit PNG)",
        "Mask overlay (PNG)",
        "Download all results (ZIP)",
    ]


def test_before_after_and_agreement_views(app, astronaut_path):
    at = upload_and_run(only(app, "MediaPipe Selfie", "SINet"), "astronaut.png",
                        astronaut_path.read_bytes())  # fmt: skip
    assert not at.exception
    assert [e.label for e in at.expander][-1] == "Before / after"
    assert not at.get("iframe")  # closed: not drawn, so a slider step does not resend it
    photo = at.session_state["session"].photos()[0]
    at.session_state[f"before-after:{photo.id}"] = True  # what opening it in the browser sets
    at.run()
    assert len(at.get("iframe")) == 1
    compare = next(s for s in at.selectbox if s.label == "Compare the original with")
    assert compare.options == ["MediaPipe Selfie", "SINet"]
    assert at.get("vega_lite_chart")  # the agreement heatmap and the speed bars
    table = at.dataframe[0].value  # one row per pair: narrow enough for any screen
    assert list(table.columns) == ["Model", "Versus", "IoU"] and len(table) == 1
    assert list(table.iloc[0, :2]) == ["MediaPipe Selfie", "SINet"]
    assert 0.5 < table.iloc[0, 2] < 1.0  # two real portrait networks: close, not equal


def test_the_heatmap_grows_a_row_per_model_with_labels_that_cannot_overlap():
    import numpy as np

    from ui.agreement import AXIS_PX, ROW_PX, iou_heatmap

    for count in (2, 5):
        labels = [f"A model with a long name number {n}" for n in range(count)]
        spec = iou_heatmap(labels, np.eye(count)).to_dict()
        assert spec["height"] == ROW_PX * count + AXIS_PX
        x_axis = spec["layer"][0]["encoding"]["x"]
        assert x_axis["axis"]["labelAngle"] == 0  # numbers across, never rotated names
        cells = spec["datasets"][spec["data"]["name"]]
        assert {c["versus"] for c in cells} == {str(n) for n in range(1, count + 1)}
        assert {c["model"] for c in cells} == {f"{n + 1} · {labels[n]}" for n in range(count)}


def test_clean_edges_toggle_reblurs_without_the_model(app, astronaut_path, predict_calls):
    at = upload_and_run(app, "astronaut.png", astronaut_path.read_bytes())
    toggle = next(t for t in at.toggle if t.label == "Clean edges")
    assert toggle.value is True
    before = image_urls(at)
    toggle.set_value(False).run()
    after = image_urls(at)
    assert not at.exception
    assert after != before
    assert len(predict_calls) == 1


def test_the_zoom_shows_the_same_spot_of_every_result(app, astronaut_path):
    at = upload_and_run(only(app, "MediaPipe Selfie", "U²-Net-p"), "astronaut.png",
                        astronaut_path.read_bytes())  # fmt: skip
    assert len(at.image) == 2 and not at.get("select_slider")  # closed: nothing drawn
    photo = at.session_state["session"].photos()[0]
    at.session_state[f"zoom:{photo.id}"] = True  # what opening the section sets
    at.run()
    assert not at.exception
    assert len(at.image) == 2 + 2  # the grid, then one tile per model
    assert [e.proto.component_name for e in at.get("bidi_component")] == ["spot_picker"]
    tiles = image_urls(at)[2:]
    across = next(s for s in at.slider if s.label == "Across")
    assert 0 < across.value < 100  # starts at the top of the subject
    across.set_value(10).run()
    moved = image_urls(at)[2:]
    assert all(a != b for a, b in zip(tiles, moved, strict=True))
    next(s for s in at.get("select_slider") if s.label == "Zoom").set_value(400).run()
    assert all(a != b for a, b in zip(moved, image_urls(at)[2:], strict=True))
    at = choose_view(at, "Matte")  # the tiles follow the grid's view
    assert not at.exception and len(at.image) == 4


def test_the_sidebar_warns_before_a_slow_model_runs_on_the_cpu(app, monkeypatch):
    monkeypatch.setattr(hub, "availability", lambda spec: "~890 MB download")  # it could run
    assert not app.sidebar.warning  # the in-box models, ticked: light
    model_boxes(app)["SAM3"].check().run()
    model_boxes(app)["BiRefNet Portrait"].check().run()  # its ONNX Runtime path's measured time
    model_boxes(app)["BiRefNet Dynamic"].check().run()  # heavy, not measured: its class's time
    assert [w.value for w in app.sidebar.warning] == [
        "SAM3 is slow on a CPU: about 100 s per photo on two cores. A GPU takes seconds.",
        "BiRefNet Portrait is slow on a CPU: about 60 s per photo on two cores. A GPU takes "
        "seconds.",
        "BiRefNet Dynamic is slow on a CPU: about 180 s per photo on two cores. A GPU takes "
        "seconds.",
    ]
    app.sidebar.selectbox[0].select("CPU, exact fp32").run()  # eager PyTorch: its own time
    assert "BiRefNet Portrait is slow on a CPU: about 85 s per photo on two cores. A GPU takes "\
        "seconds." in [w.value for w in app.sidebar.warning]


def test_no_speed_warning_for_a_model_that_cannot_run_now(offline_hub):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    model_boxes(at)["SAM3"].check().run()  # offline, not cached: its card will say so
    assert not at.sidebar.warning


def test_a_run_can_be_cancelled_as_soon_as_it_starts(add_standin_model, astronaut_path):
    add_standin_model("slow", "Slow Stand-in", default=True)
    add_standin_model("slow-2", "Slow Stand-in 2", default=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.file_uploader[0].set_value(("astronaut.png", astronaut_path.read_bytes(), "image/png"))
    at.run()
    next(b for b in at.button if b.label == RUN).click().run()
    cancel = next(b for b in at.button if b.label == "Cancel queued runs")  # in the same run
    cancel.click().run()
    session = at.session_state["session"]
    assert len(session.pending()) <= 1  # only the job already running goes on
    assert session.wait(60)
    at.run()
    assert not any(b.label == "Cancel queued runs" for b in at.button)  # nothing left to run


def test_grid_images_reach_the_browser_with_their_own_pixels(app, astronaut_path, monkeypatch):
    """A result is made at about twice its CSS width, for HiDPI screens, and sent as made:
    not re-encoded narrower by st.image (which also cost a second encode per slider step)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    sent = []
    add = MediaFileManager.add

    def recording(self, data, mimetype, *args, **kwargs):
        sent.append(data)
        return add(self, data, mimetype, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", recording)
    big = Image.open(astronaut_path).convert("RGB").resize((1600, 1600))
    upload_and_run(only(app, "MediaPipe Selfie"), "big.png", png_bytes(big))
    assert model_headers(app) == ["MediaPipe Selfie"]
    sizes = {Image.open(io.BytesIO(data)).size for data in sent if isinstance(data, bytes)}
    assert (1280, 1280) in sizes  # the grid's one image, shown 520 CSS pixels wide


def test_downloads_keep_the_camera_exif_and_drop_gps_unless_the_sidebar_says(app, astronaut_path):
    import weakref

    from photo.decode import GPS_IFD
    from tests.exif import MODEL, camera_exif, read_exif
    from ui.downloads import download_file
    from ui.settings import Look

    toggle = next(t for t in app.sidebar.toggle if t.label == "Keep GPS location")
    assert toggle.value is False
    buffer = io.BytesIO()
    Image.open(astronaut_path).save(buffer, "JPEG", exif=camera_exif(orientation=1).tobytes())
    at = upload_and_run(app, "holiday.jpg", buffer.getvalue())
    session = at.session_state["session"]
    photo, spec = session.photos()[0], registry.get_spec("mediapipe_selfie")
    look = Look(101, "gaussian", True)
    for keep_gps in (False, True):
        data = download_file(weakref.ref(session), photo.id, spec, "cpu", look, keep_gps,
                             "blur.jpg")  # fmt: skip
        written = read_exif(data)
        assert written[MODEL] == "EOS R5"
        assert bool(written.get_ifd(GPS_IFD)) is keep_gps


def truth_uploader(at: AppTest):
    return next(u for u in at.file_uploader if u.label == "Ground-truth matte (optional)")


def test_a_ground_truth_matte_scores_and_ranks_the_models(app, astronaut_path):
    at = upload_and_run(app, "astronaut.png", astronaut_path.read_bytes())
    assert not any(d for d in at.dataframe if "SAD" in d.value.columns)  # no truth yet
    wrong = png_bytes(Image.new("L", (100, 80)))
    truth_uploader(at).set_value(("truth.png", wrong, "image/png")).run()
    assert any("the matte is 100x80, its photo 512x512" in e.value for e in at.error)
    # MediaPipe's own mask as the "truth": it must come first, with a perfect score.
    truth = (ROOT / "tests" / "data" / "selfie_reference" / "astronaut.png").read_bytes()
    truth_uploader(at).set_value(("astronaut-matte.png", truth, "image/png")).run()
    assert not at.exception and not at.error
    table = next(d for d in at.dataframe if "SAD" in d.value.columns).value
    assert list(table["Model"])[0] == "MediaPipe Selfie"
    assert sorted(table["Model"]) == sorted(IN_BOX) and list(table.index) == [1, 2, 3, 4, 5]
    assert table["SAD"].iloc[0] < 0.1 and table["IoU"].iloc[0] > 0.99
    assert list(table["SAD"]) == sorted(table["SAD"]) and table["SAD"].iloc[1] > 0.1
    at = choose_view(at, "Difference")
    against = next(s for s in at.selectbox if s.label == "Against")
    assert against.options[0] == "Ground truth"


def test_the_progress_poll_slows_down_when_many_jobs_are_under_way():
    from ui.progress import (
        BUSY_JOBS,
        BUSY_POLL_SECONDS,
        POLL_SECONDS,
        SOON_POLL_SECONDS,
        SOON_S,
        poll_seconds,
    )

    assert poll_seconds(0) == poll_seconds(BUSY_JOBS) == POLL_SECONDS
    assert poll_seconds(BUSY_JOBS + 1) == BUSY_POLL_SECONDS > POLL_SECONDS
    # What is left ends in a moment (the in-box models): polled often, shown together.
    assert poll_seconds(0, SOON_S) == SOON_POLL_SECONDS < POLL_SECONDS


def test_agreement_and_speed_need_two_results(app, astronaut_path):
    at = upload_and_run(only(app, "MediaPipe Selfie"), "astronaut.png", astronaut_path.read_bytes())
    assert model_headers(at) == ["MediaPipe Selfie"]
    assert "Agreement and speed" not in [h.value for h in at.subheader]
    assert not at.get("vega_lite_chart")  # no one-bar chart for the browser to draw


def test_a_refined_result_appears_beside_the_models_own(app, astronaut_path, predict_calls):
    """Closed-form matting on MediaPipe Selfie's mask, offline: its own card after the
    model's, its own images and downloads; the model itself is not run again."""
    import weakref

    from ui.downloads import download_file
    from ui.settings import Look

    at = upload_and_run(only(app, "MediaPipe Selfie"), "astronaut.png",
                        astronaut_path.read_bytes())  # fmt: skip
    assert not [w for w in at.sidebar.radio if w.label == "Refiner"]  # nothing picked yet
    picker = next(m for m in at.sidebar.multiselect if m.label == "Refine the masks of")
    assert picker.options == ["MediaPipe Selfie"]
    picker.set_value(["mediapipe_selfie"]).run()
    refiner = next(w for w in at.sidebar.radio if w.label == "Refiner")
    assert refiner.value == "closed_form"
    assert model_headers(at) == ["MediaPipe Selfie", "MediaPipe Selfie + closed-form matting"]
    assert not any("Not run yet" in i.value for i in at.info)  # its mask is there: it runs
    assert at.session_state["session"].wait(120)
    at.run()
    assert not at.exception and not at.error
    assert len(at.image) == 2 and len(set(image_urls(at))) == 2
    assert len(predict_calls) == 1  # the model's mask was reused
    session, photo = at.session_state["session"], at.session_state["session"].photos()[0]
    refined = registry.refined(registry.get_spec("mediapipe_selfie"),
                               registry.get_refiner("closed_form"))  # fmt: skip
    raw, result = selfie_result(at), session.result(photo.id, refined, "cpu")
    assert result.ok and result.matte.shape == raw.matte.shape
    changed = abs(result.alpha - raw.alpha) > 0.05
    assert 0.005 < changed.mean() < 0.2  # along the edge only
    matte = Image.open(io.BytesIO(download_file(
        weakref.ref(session), photo.id, refined, "cpu", Look(101, "gaussian", True), False,
        "matte.png",
    )))  # fmt: skip
    assert matte.size == (512, 512) and matte.tobytes() == result.matte.tobytes()

    next(s for s in at.sidebar.slider if s.label == "Unknown band").set_value(2.0).run()
    assert model_headers(at)[1] == "MediaPipe Selfie + closed-form matting (2% band)"
    assert at.session_state["session"].wait(120)
    assert len(at.run().image) == 2  # a new band is a new result, refined at once
    assert len(predict_calls) == 1
