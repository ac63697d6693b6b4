"""A shared arena: two app servers on one real PostgreSQL database, two voters on each
voting at the same time in Chromium; every vote lands, and both servers show one
leaderboard."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOADED_RESULT_IMAGES,
    QUIET,
    free_port,
    wait_healthy,
)  # fmt: skip
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)",
)
PAIR = f"() => ({LOADED_RESULT_IMAGES})().slice(0, 2)"
NEW_PAIR = f"old => {{ const s = ({PAIR})(); return s.length === 2 && s.join() !== old.join(); }}"
ROUNDS = 3


def app_server(database_url: str, home) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HOME=str(home), HF_HUB_OFFLINE="1", PORTRAIT_BLUR_DB=database_url)
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    log = (home / f"server-{port}.log").open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return server, f"http://127.0.0.1:{port}"


def test_two_servers_many_voters_one_leaderboard(postgres_server, tmp_path):
    from playwright.sync_api import sync_playwright

    url = postgres_server.new_database()
    servers = [app_server(url, tmp_path) for _ in range(2)]
    try:
        for server, address in servers:
            wait_healthy(address, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            pages = []
            for _, address in servers:
                for _ in range(2):  # two voters (browsers) per server
                    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
                    page.goto(f"{address}/arena")
                    page.get_by_role("button", name="Vote on the sample portraits").click()
                    pages.append(page)
            for page in pages:
                page.wait_for_function(f"({PAIR})().length === 2", timeout=120_000)
                page.wait_for_function(QUIET, polling=100, timeout=120_000)
            for _ in range(ROUNDS):
                shown = [page.evaluate(PAIR) for page in pages]
                for page in pages:  # the four votes go out together
                    page.keyboard.press("t")
                for page, old in zip(pages, shown, strict=True):
                    page.wait_for_function(NEW_PAIR, arg=old, timeout=60_000)
            said = []
            for _, address in servers:  # a fifth visitor on each server
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(f"{address}/arena")
                page.get_by_role("tab", name="Leaderboard").click()
                said.append(page.get_by_text("votes by").inner_text(timeout=60_000))
            browser.close()
    finally:
        for server, _ in servers:
            server.terminate()
            server.wait(15)
    expected = f"{len(pages) * ROUNDS} votes by {len(pages)} voters"
    assert said == [f"{expected} on this server's database in all."] * 2
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT count(*), count(DISTINCT p.voter) FROM votes v JOIN pairs p ON p.id = v.pair_id"
        )).one()  # fmt: skip
    engine.dispose()
    assert tuple(rows) == (len(pages) * ROUNDS, len(pages))
