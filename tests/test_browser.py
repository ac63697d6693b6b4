"""The real app in a real browser: `streamlit run app.py` driven by Debian's Chromium.

Set UPDATE_SCREENSHOTS=1 to refresh the README's screenshot in docs/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from models import registry
from photo.exports import KINDS, LEFT_OUT
from tests.apptest import IN_BOX
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    LOADED_RESULT_IMAGES,
    ONE_SLIDER,
    QUIET,
    USABLE,
    free_port,
    wait_healthy,
)
from tests.conftest import DATA, PHOTOS, ROOT
from ui.labels import RUN_LABEL

OUTPUT = ROOT / "tests" / "output"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)",
)


@pytest.fixture(scope="module")
def server_home(tmp_path_factory):
    """A fresh home: an empty Hub cache, shown in messages as ~/.cache/... (screenshots
    must not show this machine's paths), and the arena's database (arena.db)."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def server_url(server_home):
    port = free_port()
    home = server_home
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HOME=str(home), HF_HUB_OFFLINE="1", PORTRAIT_BLUR_DB=str(home / "arena.db"))
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
    ]  # fmt: skip
    OUTPUT.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    with open(OUTPUT / "streamlit.log", "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(url, server)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser, server_url):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server_url)
    yield page
    page.close()


@pytest.fixture
def screenshot_on_failure(page, request):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.screenshot(path=str(OUTPUT / f"{request.node.name}-failure.png"), full_page=True)


def test_upload_run_and_see_loaded_results(page, screenshot_on_failure):
    # 5xx is what a broken Streamlit/Starlette pair answers for every image. (A 404 can be
    # benign: an image replaced by a rerun before the browser fetched it.)
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 500 else None)

    page.get_by_text("Portrait Blur Arena").first.wait_for(timeout=60_000)
    # What each model needs, read from the (empty) Hub cache: no network call.
    sidebar = page.locator('[data-testid="stSidebar"]')
    for name, mark in [("MediaPipe Selfie", "ready"), ("RMBG 2.0", "gated, needs HF_TOKEN"),
                       ("BEN2", "offline, not cached")]:  # fmt: skip
        label = sidebar.locator("label").filter(has_text=model_label(name))
        assert mark in label.inner_text(), name
    page.locator('input[type="file"]').set_input_files(str(PHOTOS / "astronaut.png"))
    # A Hub model that is not downloaded: its column explains, MediaPipe's results still show.
    page.locator("label").filter(has_text=re.compile(r"^RMBG 2\.0")).click()
    run = page.get_by_role("button", name=RUN_LABEL)
    run.wait_for()
    page.wait_for_function("b => !b.disabled", arg=run.element_handle(), timeout=30_000)
    run.click()

    results = len(IN_BOX)  # every network shipped with the app, ticked on a first visit
    page.wait_for_function(f"({LOADED_RESULT_IMAGES})().length >= {results}", timeout=120_000)
    page.get_by_text("RMBG 2.0 is not downloaded yet").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    # The failed model's rerun may be redrawing the grid: wait for its image to load again.
    # The runs are over (their last rerun redraws the grid), then the first result's blur.
    page.get_by_role("button", name="Cancel queued runs").wait_for(state="detached")
    page.wait_for_function(ONE_SLIDER, timeout=60_000)
    first_blur = wait_for_new_image(page)
    assert fully_visible(page)  # results first, no scrolling

    # A rerun briefly keeps the old toolbar beside the new one; wait until it is gone.
    page.wait_for_function(ONE_SLIDER)
    slider = page.get_by_role("slider", name="Blur Strength")
    slider.focus()
    page.keyboard.press("ArrowRight")  # one step: one rerun, one new blur per result
    blurred = wait_for_new_image(page, first_blur)
    page.wait_for_function(ONE_SLIDER)
    save_view(page, "screenshot.png")

    # Every view of the mask (and the cut-out's backdrop): a new image each, loaded; back to
    # Blur, the kept blur.
    shown = {blurred}
    for view in ("Overlay", "Matte", "Cut-out"):
        page.get_by_role("radio", name=view, exact=True).click()
        shown.add(wait_for_new_image(page, *shown))
        if view == "Overlay":
            save_view(page, "overlay.png")
        if view == "Cut-out":  # over a solid colour instead of the checks
            page.locator('[data-testid="stSelectbox"]').filter(has_text="Backdrop").click()
            page.get_by_role("option", name="Black").click()
            shown.add(wait_for_new_image(page, *shown))
    assert len(shown) == 5
    # Difference: each result against the first, a new image; Blur Strength is shown only
    # in the Blur view.
    page.get_by_role("radio", name="Difference", exact=True).click()
    shown.add(wait_for_new_image(page, *shown))
    assert page.get_by_role("slider", name="Blur Strength").count() == 0
    page.get_by_role("radio", name="Blur", exact=True).click()
    page.wait_for_function(  # the first result's kept blur, not made again
        f"""b => {{ const img = document.querySelector('{RESULT_IMAGE}');
                    return img && img.complete && img.src === b; }}""",
        arg=blurred, timeout=60_000,
    )  # fmt: skip
    assert not failed, f"server errors: {failed}"

    # The zoom: the same spot of the result at full resolution, moved by a slider or by a
    # click on the photo beside it.
    page.get_by_text("Zoom: the same spot of every result", exact=False).click()
    # The grid's images come first, then one tile per result.
    page.wait_for_function(f"({LOADED_RESULT_IMAGES})().length >= {2 * results}", timeout=60_000)
    tile = page.evaluate(LOADED_RESULT_IMAGES)[results]
    new_tile = (
        f"t => {{ const s = ({LOADED_RESULT_IMAGES})(); return s.length > {results} "
        f"&& s[{results}] !== t && s[{results}]; }}"
    )
    across = page.get_by_role("slider", name="Across")
    across.focus()
    page.keyboard.press("ArrowLeft")
    tile = page.wait_for_function(new_tile, arg=tile, timeout=60_000).json_value()
    picker = page.locator('img[alt="Click to zoom there"]')
    picker.wait_for(timeout=30_000)
    assert picker.evaluate("img => img.complete && img.naturalWidth") > 0
    box = picker.bounding_box()
    page.mouse.click(box["x"] + 0.1 * box["width"], box["y"] + 0.8 * box["height"])
    page.wait_for_function(  # the sliders move to the click
        """() => ["Across", "Down"].map(name => [...document.querySelectorAll(
            '[data-testid="stSlider"]')].find(s => s.textContent.includes(name))
            ?.querySelector('[data-testid="stSliderThumbValue"]')?.textContent).join() === "10,80"
        """,
        timeout=60_000,
    )
    page.wait_for_function(new_tile, arg=tile, timeout=60_000)
    # At the zoom it states: each tile as many CSS pixels wide as it has pixels (at a
    # device pixel ratio of 1), not shrunk into a column.
    tiles = page.wait_for_function(
        f"""() => {{
        const tiles = [...document.querySelectorAll(
            '[data-testid="stExpander"] [data-testid="stImage"] img')];
        if (tiles.length !== {results} || !tiles.every(i => i.complete && i.naturalWidth))
            return null;  // still loading
        return tiles.map(img => [img.getBoundingClientRect().width, img.naturalWidth]);
    }}""",
        timeout=60_000,
    ).json_value()
    assert tiles and all(abs(css - own) <= 1 and own == 320 for css, own in tiles), tiles
    framed = page.locator('[data-testid="stExpander"] [data-testid="stImage"] img').first
    assert framed.evaluate("img => getComputedStyle(img).outlineStyle") == "solid"
    page.locator('[data-testid="stExpander"]').first.scroll_into_view_if_needed()
    save_view(page, "zoom.png")
    page.get_by_text("Zoom: the same spot of every result", exact=False).click()  # close

    # Before/after: a self-contained iframe whose two images load.
    page.get_by_text("Before / after", exact=True).click()
    frame = page.frame_locator("iframe").first
    frame.locator("input[type=range]").wait_for(timeout=30_000)
    loaded = frame.locator("img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert len(loaded) == 2 and min(loaded) > 0
    frame.locator("input[type=range]").fill("25")
    save_view(page, "before-after.png")
    # Five results: how far they agree, and their times.
    assert page.get_by_role("heading", name="Agreement and speed").count() == 1

    # The ZIP downloads with every file of the run.
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download all results (ZIP)").click()
    path = download.value.path()
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            [*(f"astronaut/{key}_{kind}" for key in IN_BOX_KEYS for kind in KINDS), LEFT_OUT]
        )
        assert "RMBG 2.0: failed" in archive.read(LEFT_OUT).decode()  # said, not silent
    assert download.value.suggested_filename == "portrait-blur-results.zip"


RESULT_IMAGE = '[data-testid="stMain"] [data-testid="stImage"] img'
IN_BOX_KEYS = [spec.key for spec in registry.REGISTRY if spec.default]


def model_label(name: str) -> re.Pattern:
    """A sidebar checkbox's label: the model's name, then its availability mark."""
    return re.compile(f"^{re.escape(name)}\\s+(ready|gated|offline|~)")


def untick_all_but(page, keep: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    for name in IN_BOX:
        if name != keep:
            box = sidebar.locator("label").filter(has_text=model_label(name))
            box.click()
            page.wait_for_function("b => b.getAttribute('data-selected') !== 'true'",
                                   arg=box.element_handle(), timeout=30_000)  # fmt: skip


def loaded_image_box(page) -> dict:
    """Where the first result image is on the screen, once it has loaded."""
    return page.wait_for_function(
        f"""() => {{
            const img = document.querySelector('{RESULT_IMAGE}');
            if (!img || !img.complete || !img.naturalWidth) return null;
            const box = img.getBoundingClientRect();
            return {{width: box.width, height: box.height, y: box.y}};
        }}""",
        timeout=120_000,
    ).json_value()


def fully_visible(page) -> bool:
    box = loaded_image_box(page)
    return box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


def wait_for_new_image(page, *old: str) -> str:
    """The first result image's address, once it is none of ``old`` and has loaded (the
    first image itself: with several results, another may load before it)."""
    found = page.wait_for_function(
        f"""old => {{
            const img = document.querySelector('{RESULT_IMAGE}');
            return img && img.complete && img.naturalWidth && !old.includes(img.src) && img.src;
        }}""",
        arg=list(old),
        timeout=60_000,
    )
    return found.json_value()


def test_every_page_opens_at_its_address(browser, server_url):
    """Each page app.py declares, opened by its URL: the title, its own content, no error."""
    import app

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    for index, (file, title, _) in enumerate(app.PAGE_FILES):
        # Streamlit's address for a page file: its name without .py; the first is the root.
        page.goto(f"{server_url}/{Path(file).stem if index else ''}")
        main = page.locator('[data-testid="stMain"]')
        main.get_by_role("heading", name="Portrait Blur Arena").wait_for(timeout=60_000)
        main.locator('[data-testid="stMarkdownContainer"]').first.wait_for(timeout=60_000)
        assert page.locator('[data-testid="stException"]').count() == 0, title
        assert page.title() == "Portrait Blur Arena"
    page.close()


def test_a_photo_added_opens_its_own_tab(browser, server_url):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server_url)
    uploader = page.locator('input[type="file"]')
    uploader.set_input_files(str(PHOTOS / "astronaut.png"))
    page.get_by_text("512x512 · not run yet").wait_for(timeout=60_000)
    uploader.set_input_files(str(PHOTOS / "chelsea.png"))  # added to the first
    page.get_by_role("tab", name="chelsea.png").wait_for(timeout=60_000)
    page.get_by_text("451x300 · not run yet").wait_for(timeout=60_000)  # its tab is open
    selected = page.get_by_role("tab", selected=True)
    assert selected.inner_text().strip() == "chelsea.png"
    page.close()


def test_a_phone_user_tries_the_sample(browser, server_url):
    """390 px wide: one click on the sample button shows the offline model's result."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server_url)
    page.get_by_role("button", name="Try a sample portrait").click()
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("MediaPipe Selfie").first.wait_for(timeout=120_000)  # its result's card
    assert main.get_by_text("not run yet").count() == 0
    image = loaded_image_box(page)
    assert image["width"] > 300 and image["y"] < 844  # in the first screen
    edges = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMainBlockContainer"]');
        const content = main.getBoundingClientRect().right
            - parseFloat(getComputedStyle(main).paddingRight);
        const group = document.querySelector('[data-testid="stButtonGroup"]');
        return [content, ...[...group.querySelectorAll('button')].map(
            b => b.getBoundingClientRect().right)];
    }""")
    assert max(edges[1:]) <= edges[0] + 0.5, edges  # every view's button whole on screen
    save_view(page, "phone.png")
    page.close()


def errors_logged(page) -> list[str]:
    """What the browser logs as an error from now on: its console's errors and every
    answer of 400 or more (an image asked for after the server deleted it, a resource it
    could not fetch)."""
    errors = []

    def console(message) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text}")

    def response(answer) -> None:
        if answer.status >= 400:
            errors.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("response", response)
    return errors


SENT = f"() => [...document.querySelectorAll('{RESULT_IMAGE}')].map(img => img.src)"
# A result image has an address none of ``old`` had: a step's run is sending its images.
ONE_NEW_SENT = "old => (" + SENT + ")().some(src => !old.includes(src))"


def test_the_first_row_stays_put_and_slider_steps_log_no_error(browser, server_url):
    """The uploader and the sample button are usable when first drawn and do not move when
    the sidebar and the rest arrive. Then Blur Strength steps, each taken as soon as the
    last step's run has ended (as when a user taps the arrow key; its images may still be
    loading): no error in the browser's console and no failed request from the first load
    to the last step (Streamlit deletes an image file at the end of the run that replaces it, maybe
    before the browser has asked for it; ui.served keeps it one run longer)."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    errors = errors_logged(page)
    page.goto(server_url)
    uploader = page.wait_for_function(USABLE, timeout=60_000).json_value()[0]
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator("label").filter(has_text=model_label("MediaPipe Selfie")).wait_for()
    page.wait_for_function(IDLE, timeout=60_000)
    # Where it is and how wide: its height is Streamlit's (the dropzone puts its button
    # beside its text, or above it, once it has measured its own width).
    assert page.evaluate(USABLE)[0][:3] == uploader[:3]  # no layout jump

    page.get_by_role("button", name="Try a sample portrait").click()
    all_loaded = f"({LOADED_RESULT_IMAGES})().length >= {len(IN_BOX)}"
    page.wait_for_function(all_loaded, timeout=120_000)
    page.get_by_role("button", name="Cancel queued runs").wait_for(state="detached")
    for _ in range(10):
        # The last step's run is over (its old toolbar gone: a key press cannot land on a
        # slider about to be replaced); its images may still be loading.
        page.wait_for_function(ONE_SLIDER, timeout=60_000)
        sent = page.evaluate(SENT)
        page.get_by_role("slider", name="Blur Strength").focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(ONE_NEW_SENT, arg=sent, timeout=60_000)
    page.wait_for_function(ONE_SLIDER, timeout=60_000)
    page.wait_for_function(IDLE, timeout=60_000)
    page.wait_for_function(all_loaded, timeout=60_000)
    assert not errors, errors
    page.close()


def green_rows(png: bytes) -> int:
    """How many pixel rows of a chart's picture hold a green heatmap cell (IoU near 1)."""
    import io

    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    green = (rgb[..., 1] > rgb[..., 0] + 40) & (rgb[..., 1] > rgb[..., 2] + 40)
    return int((green.sum(axis=1) > 10).sum())


def save_view(page, name: str) -> None:
    screenshot = OUTPUT / name
    page.screenshot(path=str(screenshot))
    if os.environ.get("UPDATE_SCREENSHOTS"):
        shutil.copy(screenshot, ROOT / "docs" / name)


FRAME_FIT = """() => {
    const frame = [...document.querySelectorAll('iframe')].find(f =>
        f.contentDocument && f.contentDocument.querySelector('.ba img'));
    if (!frame) return null;
    const img = frame.contentDocument.querySelector('.ba img');
    if (!img.complete || !img.naturalWidth) return null;
    const outer = frame.getBoundingClientRect(), inner = img.getBoundingClientRect();
    if (Math.abs(inner.height - outer.height) > 4) return null;  // not sized to it (yet)
    return {frame_w: outer.width, frame_h: outer.height, img_w: inner.width,
            img_h: inner.height, divide: frame.contentDocument.querySelector('input').value};
}"""


@pytest.mark.parametrize("width", [390, 1440])
def test_before_after_fits_a_narrow_photo_and_keeps_its_divide(browser, server_url, tmp_path,
                                                               width):  # fmt: skip
    """A 512x600 photo: the comparison shows all of it, with no blank band, at a phone's and
    a laptop's width; the divide stays where it was put when the page reruns."""
    from PIL import Image

    photo = tmp_path / "tall.png"
    Image.open(PHOTOS / "astronaut.png").convert("RGB").resize((512, 600)).save(photo)
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(server_url)
    page.locator('input[type="file"]').set_input_files(str(photo))
    run = page.get_by_role("button", name=RUN_LABEL)
    page.wait_for_function("b => !b.disabled", arg=run.element_handle(), timeout=30_000)
    run.click()
    loaded_image_box(page)
    page.get_by_text("Before / after", exact=True).click()
    # The frame takes the image's height (no band above or below, nothing cut), or this
    # times out.
    fit = page.wait_for_function(FRAME_FIT, timeout=30_000).json_value()
    assert fit["img_w"] <= fit["frame_w"] + 1  # the whole width is shown
    assert abs(fit["img_h"] / fit["img_w"] - 600 / 512) < 0.02  # not squeezed
    page.frame_locator("iframe").first.locator("input[type=range]").fill("25")
    slider = page.get_by_role("slider", name="Blur Strength")
    slider.focus()
    page.keyboard.press("ArrowRight")  # a rerun redraws the comparison with the new blur
    page.wait_for_timeout(1500)
    fit = page.wait_for_function(FRAME_FIT, timeout=60_000).json_value()
    assert float(fit["divide"]) == 25
    if width == 390:
        page.locator("iframe").first.scroll_into_view_if_needed()
        save_view(page, "before-after-phone.png")
    page.close()


def test_a_ground_truth_matte_gives_a_scores_table(browser, server_url):
    """A photo and its true matte (here MediaPipe's own recorded mask): the table of scores
    appears under the results, with MediaPipe ranked first."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server_url)
    page.locator('input[type="file"]').first.set_input_files(str(PHOTOS / "astronaut.png"))
    run = page.get_by_role("button", name=RUN_LABEL)
    page.wait_for_function("b => !b.disabled", arg=run.element_handle(), timeout=30_000)
    run.click()
    loaded_image_box(page)
    page.get_by_role("heading", name="Against the ground truth").wait_for(timeout=60_000)
    truth = DATA / "selfie_reference" / "astronaut.png"
    page.locator('input[type="file"]').nth(1).set_input_files(str(truth))
    # The grid is drawn on a canvas; its accessible copy in the page holds the text.
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].some(t =>
            t.textContent.includes('Boundary IoU') && t.textContent.includes('MediaPipe Selfie')
            && t.getBoundingClientRect().height > 50)""",
        timeout=60_000,
    )
    page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
            .find(t => t.textContent.includes('Boundary IoU')).scrollIntoView()"""
    )
    page.wait_for_timeout(500)
    save_view(page, "ground-truth.png")
    page.close()


def test_a_refined_result_beside_the_models_own(browser, server_url):
    """The sidebar's Refine picks MediaPipe Selfie: after Run, its refined result (closed-form
    matting, offline) shows beside the model's own, both loaded in the first screen."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server_url)
    try:
        page.get_by_text("Portrait Blur Arena").first.wait_for(timeout=60_000)
        untick_all_but(page, "MediaPipe Selfie")
        page.locator('input[type="file"]').set_input_files(str(PHOTOS / "astronaut.png"))
        run = page.get_by_role("button", name=RUN_LABEL)
        page.wait_for_function("b => !b.disabled", arg=run.element_handle(), timeout=30_000)
        page.get_by_text("not run yet").wait_for()  # the upload's rerun is over
        sidebar = page.locator('[data-testid="stSidebar"]')
        picker = sidebar.locator('[data-testid="stMultiSelect"]').get_by_role("combobox")
        picker.click()
        page.keyboard.type("MediaPipe")  # the list filters to it; Enter picks it
        page.get_by_role("option", name="MediaPipe Selfie", exact=True).wait_for()
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        sidebar.get_by_text("Refiner").wait_for(timeout=30_000)
        page.wait_for_function("b => !b.disabled", arg=run.element_handle(), timeout=30_000)
        run.click()
        page.wait_for_function(f"({LOADED_RESULT_IMAGES})().length >= 2", timeout=120_000)
        page.get_by_text("MediaPipe Selfie + closed-form matting").first.wait_for()
        # The runs are over and a rerun's stale copy of the grid is gone (it briefly keeps
        # the old toolbar and images below the new ones); then both images loaded and
        # within the first screen.
        page.get_by_role("button", name="Cancel queued runs").wait_for(state="detached")
        page.wait_for_function(ONE_SLIDER, timeout=60_000)
        boxes = page.wait_for_function(
            f"""() => {{
                const imgs = [...document.querySelectorAll('{RESULT_IMAGE}')];
                const loaded = imgs.filter(i => i.complete && i.naturalWidth);
                if (imgs.length !== 2 || loaded.length !== 2) return null;
                return imgs.map(i => i.getBoundingClientRect().bottom);
            }}""",
            timeout=60_000,
        ).json_value()
        assert all(bottom <= 900 for bottom in boxes)
        page.get_by_role("radio", name="Matte", exact=True).click()
        page.wait_for_timeout(1000)
        save_view(page, "refine.png")
        # Agreement of the two: a heatmap tall enough for a row per model, and the IoU
        # table's every column in view.
        heatmap = page.locator('[data-testid="stVegaLiteChart"]').first
        heatmap.scroll_into_view_if_needed()
        heatmap.locator("canvas, svg").first.wait_for()
        assert green_rows(heatmap.screenshot()) >= 2 * 30  # two rows of cells, not a strip
        page.screenshot(path=str(OUTPUT / "agreement.png"))
    except Exception:
        page.screenshot(path=str(OUTPUT / "refine-failure.png"), full_page=True)
        raise
    finally:
        page.close()


ARENA_NAMES = sorted({s.label for s in registry.REGISTRY} | {s.key for s in registry.REGISTRY})
NAMES_SHOWN = """names => {
    const attributes = [...document.querySelectorAll('*')].flatMap(
        e => [...e.attributes].map(a => a.value));
    const text = document.body.innerText + ' ' + attributes.join(' ') + ' ' + document.title;
    return names.filter(name => text.includes(name));
}"""


VERDICTS_IN_VIEW = """height => {
    const verdicts = [...document.querySelectorAll('button')].filter(
        b => /better|Tie|Both bad/.test(b.innerText));
    return verdicts.length === 4
        && verdicts.every(b => b.getBoundingClientRect().bottom <= height);
}"""


CHART_DRAWN = """() => {
    const chart = document.querySelector('[data-testid="stVegaLiteChart"] canvas, '
        + '[data-testid="stVegaLiteChart"] svg');
    return chart && chart.getBoundingClientRect().height > 100;
}"""


def arena_pair(page) -> list[str]:
    """The two result images of the pair on screen, once both have loaded."""
    page.wait_for_function(f"({LOADED_RESULT_IMAGES})().length >= 2", timeout=120_000)
    return page.evaluate(LOADED_RESULT_IMAGES)[:2]


def test_a_blind_vote_in_the_arena(browser, server_url, server_home):
    """The Arena page holds no model's name before the vote (text, attributes, image
    addresses); a key press votes; the vote is in the database with this browser's voter
    id (its cookie), the names show, and a new pair comes."""
    import sqlalchemy as sa

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{server_url}/arena")
    page.get_by_role("button", name="Vote on the sample portraits").click()
    page.get_by_role("button", name="A better").wait_for(timeout=120_000)
    arena_pair(page)
    page.wait_for_function(QUIET, polling=100, timeout=120_000)  # the models' runs ended
    first = arena_pair(page)
    assert page.evaluate(NAMES_SHOWN, ARENA_NAMES) == []
    page.wait_for_function(VERDICTS_IN_VIEW, arg=900, timeout=30_000)  # the first screen
    save_view(page, "arena.png")
    page.keyboard.press("b")
    page.get_by_text("Your vote:").wait_for(timeout=30_000)
    # Another pair: at least one image is new (a model may stay, on the same photo).
    page.wait_for_function(
        f"old => {{ const s = ({LOADED_RESULT_IMAGES})(); "
        "return s.length >= 2 && s.slice(0, 2).join() !== old.join(); }",
        arg=first, timeout=30_000,
    )  # fmt: skip
    engine = sa.create_engine(f"sqlite:///{server_home / 'arena.db'}")
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT v.winner, p.voter, p.model_a, p.model_b FROM votes v "
            "JOIN pairs p ON p.id = v.pair_id")).all()  # fmt: skip
    ((winner, voter, model_a, model_b),) = rows
    assert winner == "model_b"
    revealed = page.get_by_text("Your vote:").inner_text()
    names = [registry.get_spec(key).label for key in (model_b, model_a)]
    assert revealed == f"Your vote: {names[0]} (B) better than {names[1]} (A)."
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    assert cookies["arena_voter"] == voter
    page.get_by_role("tab", name="Leaderboard").click()
    page.locator('[data-testid="stDataFrame"]').wait_for(timeout=30_000)
    page.wait_for_function(CHART_DRAWN, timeout=30_000)
    page.wait_for_function(IDLE, timeout=30_000)
    save_view(page, "leaderboard.png")
    page.close()
    # Back later in the same browser: the same voter.
    again = context.new_page()
    again.goto(f"{server_url}/arena")
    again.get_by_role("button", name="Vote on the sample portraits").click()
    arena_pair(again)
    again.get_by_role("button", name="Tie").click()
    again.get_by_text("Your vote:").wait_for(timeout=30_000)
    with engine.connect() as connection:
        voters = connection.execute(sa.text("SELECT DISTINCT voter FROM pairs")).scalars().all()
    assert voters == [voter]
    context.close()


PLAYERS_LOADED = """n => {
    const players = [...document.querySelectorAll('[data-testid="stMain"] video')];
    return players.length === n && players.every(v => v.readyState >= 2);
}"""
PLAYER_TIMES = "() => [...document.querySelectorAll('video')].map(v => v.currentTime)"
PLAYING = "() => [...document.querySelectorAll('video')].map(v => !v.paused)"


def test_two_models_on_the_demo_clip_play_in_sync_with_their_scores(browser, server_url):
    """The demo clip, two in-box models: their blurred clips side by side, one play, pause
    and seek for both, the scores against the clip's exact mattes, and a worst frame that
    every player jumps to."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{server_url}/video")
    page.get_by_role("button", name="Try the demo clip").wait_for(timeout=60_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    for name in IN_BOX:
        if name not in ("MediaPipe Selfie landscape", "SINet"):
            box = sidebar.locator("label").filter(has_text=model_label(name))
            box.click()
            page.wait_for_function(IDLE, timeout=30_000)
    page.get_by_role("button", name="Try the demo clip").click()
    page.wait_for_function(PLAYERS_LOADED, arg=2, timeout=180_000)
    page.wait_for_function(QUIET, polling=100, timeout=60_000)
    page.wait_for_function(IDLE, timeout=30_000)
    main = page.locator('[data-testid="stMain"]')
    for label in ("MediaPipe Selfie landscape", "SINet"):
        main.get_by_text(label, exact=True).first.wait_for()
    table = main.locator('[data-testid="stTable"]')
    table.wait_for(timeout=30_000)
    for column in ("Frames/s", "Flicker ‰", "Jumps %", "MAD", "dtSSD", "SINet"):
        assert column in table.inner_text(), column
    save_view(page, "video.png")
    # A worst frame, clicked (a real click: the page may now play sound): every player shows it.
    seek = main.locator("button[data-seek]").first
    at = float(seek.get_attribute("data-seek"))
    seek.click()
    page.wait_for_function(f"() => ({PLAYER_TIMES})().every(t => Math.abs(t - {at}) < 0.05)")
    # One play plays both; one pause pauses both; a seek on one moves the other.
    page.evaluate("() => document.querySelectorAll('video')[1].play()")
    page.wait_for_function(f"() => ({PLAYING})().every(p => p)", timeout=10_000)
    page.evaluate("() => document.querySelectorAll('video')[0].pause()")
    page.wait_for_function(f"() => ({PLAYING})().every(p => !p)", timeout=10_000)
    page.evaluate("() => { document.querySelectorAll('video')[0].currentTime = 1.5; }")
    page.wait_for_function(f"() => ({PLAYER_TIMES})().every(t => Math.abs(t - 1.5) < 0.05)")
    # The other views are there too: other clips, loaded.
    blurred = page.evaluate("() => [...document.querySelectorAll('video')].map(v => v.src)")
    page.get_by_role("radio", name="Matte", exact=True).click()
    page.wait_for_function(
        "old => [...document.querySelectorAll('video')].every(v => !old.includes(v.src))",
        arg=blurred, timeout=30_000,
    )  # fmt: skip
    page.wait_for_function(PLAYERS_LOADED, arg=2, timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def test_a_file_that_is_no_clip_says_why(browser, server_url, tmp_path):
    """An upload that cannot be a clip (sound only, damaged) gets a message naming the cause
    and the fix, at once; a good clip after it is taken."""
    from tests.clips import audio_only, make_clip

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{server_url}/video")
    uploader = page.locator('[data-testid="stFileUploader"] input[type=file]')
    uploader.wait_for(state="attached", timeout=60_000)
    uploader.set_input_files(str(audio_only(tmp_path / "voice.mp4")))
    page.get_by_text("holds only sound, no video track").wait_for(timeout=30_000)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(make_clip(tmp_path / "whole.mp4").read_bytes()[:300])
    uploader.set_input_files(str(damaged))
    page.get_by_text("the file may be damaged or cut short").wait_for(timeout=30_000)
    uploader.set_input_files(str(make_clip(tmp_path / "good.mp4")))
    page.get_by_text("good.mp4 · 64x48").wait_for(timeout=30_000)
    assert page.get_by_text("damaged or cut short").count() == 0
    page.close()
