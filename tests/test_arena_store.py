"""The arena's votes on real databases (SQLite files and a real PostgreSQL server): every
acknowledged vote is in, once; forged pairs are refused; a killed writer loses nothing
committed; an unreachable database says so at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from evaluation.arena import store as arena_store
from evaluation.arena.store import DatabaseUnavailable, ForgedVote, VoteStore
from evaluation.arena.votes import A_WINS, B_WINS, TIE, Pair
from tests.conftest import ROOT

PHOTO = "f" * 64


def shown(store: VoteStore, voter: str, a: str = "u2netp", b: str = "sinet") -> Pair:
    pair = Pair(voter, PHOTO, "sample", a, b, {"device": "cpu"}, {"device": "cpu"})
    store.show(pair)
    return pair


def vote_rows(store: VoteStore) -> int:
    with store.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM votes")).scalar_one()


def test_concurrent_voters_all_land(database_url):
    """8 threads of 200 votes each, every one through its own show and vote: 1,600 rows."""
    store = VoteStore(database_url)
    errors = []

    def voter(n: int) -> None:
        try:
            for k in range(200):
                pair = shown(store, f"voter-{n}")
                assert store.vote(pair.id, f"voter-{n}", (A_WINS, B_WINS, TIE)[k % 3], "Blur")
        except Exception as error:  # reported below, with the thread's number
            errors.append((n, error))

    threads = [threading.Thread(target=voter, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert vote_rows(store) == 1600 and store.tally() == (1600, 8)
    assert len(store.battles()) == 1600


def test_a_repeated_vote_counts_once(database_url):
    store = VoteStore(database_url)
    pair = shown(store, "me")
    assert store.vote(pair.id, "me", A_WINS, "Blur") is True
    assert store.vote(pair.id, "me", B_WINS, "Blur") is False  # a second submit: the first stands
    store.show(pair)  # the same pair shown again changes nothing
    assert [battle.winner for battle in store.battles()] == [A_WINS]
    assert vote_rows(store) == 1


def test_a_forged_pair_is_refused(database_url):
    store = VoteStore(database_url)
    pair = shown(store, "someone")
    with pytest.raises(ForgedVote):
        store.vote(pair.id, "me", A_WINS, "Blur")  # shown to another voter
    with pytest.raises(ForgedVote):
        store.vote("0" * 32, "me", A_WINS, "Blur")  # never shown
    assert vote_rows(store) == 0


def test_the_vote_keeps_what_shaped_the_results(database_url):
    store = VoteStore(database_url)
    pair = Pair("me", PHOTO, "upload", "sinet", "u2netp",
                {"device": "cpu", "strength": 31, "mask": "-grow+4px"}, {"device": "cuda"},
                app_version="0.1.0")  # fmt: skip
    store.show(pair)
    store.vote(pair.id, "me", TIE, "Matte")
    (battle,) = store.battles()
    assert (battle.model_a, battle.model_b, battle.view, battle.photo_set) == (
        "sinet", "u2netp", "Matte", "upload")  # fmt: skip
    assert battle.setup_a == {"device": "cpu", "strength": 31, "mask": "-grow+4px"}
    assert battle.setup_b == {"device": "cuda"} and battle.app_version == "0.1.0"
    assert abs(battle.tstamp - time.time()) < 600
    assert store.battles(view="Blur") == [] and store.battles(photo_set="upload") == [battle]
    assert store.shown_to("me", PHOTO) == {frozenset({"sinet", "u2netp"})}
    assert store.shown_to("me", "0" * 64) == set()


WRITER = """
import sys
from evaluation.arena.store import VoteStore
from evaluation.arena.votes import Pair
store = VoteStore(sys.argv[1])
for n in range(100_000):
    pair = Pair("writer", "f" * 64, "sample", "u2netp", "sinet")
    store.show(pair)
    store.vote(pair.id, "writer", "model_a", "Blur")
    print(pair.id, flush=True)  # acknowledged: committed
"""


def test_a_writer_killed_in_the_middle_loses_no_committed_vote(database_url):
    schema = VoteStore(database_url)
    schema.count()  # the schema first, so the writer only writes votes
    schema.close()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, database_url], cwd=ROOT, stdout=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    first = [writer.stdout.readline().strip() for _ in range(60)]
    writer.send_signal(signal.SIGKILL)  # mid-stream: its next vote is being written
    writer.wait()
    # Every id it printed was committed first; on a busy machine it may have printed many
    # more into the pipe between the reads above and the kill.
    acknowledged = [pair_id for pair_id in first + writer.stdout.read().split() if pair_id]
    assert len(acknowledged) >= 60
    store = VoteStore(database_url)
    counted = {battle.pair_id for battle in store.battles()}
    assert set(acknowledged) <= counted
    assert len(counted) - len(acknowledged) <= 1  # at most the one committed, not yet printed
    if database_url.startswith("sqlite"):
        with store.engine.connect() as connection:
            check = connection.execute(sa.text("PRAGMA integrity_check")).scalar_one()
        assert check == "ok"
    fresh = shown(store, "after")
    assert store.vote(fresh.id, "after", A_WINS, "Blur")  # still writable


def test_an_unreachable_database_says_what_to_do():
    url = "postgresql://arena:secret@127.0.0.1:9/votes"  # port 9: nothing listens
    store = VoteStore(url)  # connects on first use
    with pytest.raises(DatabaseUnavailable) as raised:
        store.count()
    message = str(raised.value)
    assert "cannot be reached" in message and "PORTRAIT_BLUR_DB" in message
    assert "secret" not in message and "127.0.0.1:9" in message


def test_a_server_that_does_not_answer_costs_one_timeout_not_one_per_call(monkeypatch):
    """A host that takes the connection and never answers (a firewall, a hung server):
    the store gives up after its connect timeout, then says so at once while RETRY_S
    lasts, so a page that asks several times per rerun does not wait each time."""
    import socket

    monkeypatch.setattr(arena_store, "CONNECT_TIMEOUT_S", 1)
    monkeypatch.setattr(arena_store, "RETRY_S", 3600)  # lasts however slow the machine is
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepted by the kernel, never answered
    try:
        store = VoteStore(f"postgresql://arena@127.0.0.1:{silent.getsockname()[1]}/votes")
        attempts = []
        sa.event.listen(store.engine, "do_connect", lambda *args: attempts.append(args))
        start = time.monotonic()
        with pytest.raises(DatabaseUnavailable):
            store.count()
        first = time.monotonic() - start
        tried = len(attempts)
        for _ in range(5):
            with pytest.raises(DatabaseUnavailable):
                store.shown_to("me", PHOTO)
    finally:
        silent.close()
    assert first >= 1 and tried >= 1  # it waited out the connect timeout
    assert len(attempts) == tried  # then gave the same answer without connecting again


def test_sqlite_by_default_in_the_data_folder_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.delenv(arena_store.DB_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = VoteStore()
    store.count()
    assert store.url == f"sqlite:///{tmp_path / 'data' / 'portrait-blur' / 'arena.db'}"
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"
    monkeypatch.setenv(arena_store.DB_ENV, str(tmp_path / "moved.db"))
    moved = VoteStore()
    moved.count()
    assert moved.url == f"sqlite:///{tmp_path / 'moved.db'}"
    assert (tmp_path / "moved.db").exists()


def test_migrations_reach_the_newest_schema_and_run_again(database_url):
    store = VoteStore(database_url)
    store.count()
    VoteStore(database_url).count()  # a second start: nothing to do, nothing lost
    with store.engine.connect() as connection:
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        assert version.scalar_one() == "0001"
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"pairs", "votes", "shared_photos", "alembic_version"} <= tables
    # The schema the migrations make is the one the store's queries are written for.
    for table in arena_store.metadata.sorted_tables:
        columns = {c["name"] for c in sa.inspect(store.engine).get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name


def test_shared_photos_are_kept_once(database_url):
    store = VoteStore(database_url)
    store.share_photo(PHOTO, "me.png", b"\x89PNG...")
    store.share_photo(PHOTO, "me again.png", b"\x89PNG...")
    assert store.shared_photos() == [(PHOTO, "me.png")]
    assert store.shared_photo(PHOTO) == b"\x89PNG..." and store.shared_photo("0" * 64) is None
    store.unshare_photo(PHOTO)
    assert store.shared_photos() == [] and store.shared_photo(PHOTO) is None


def test_servers_starting_together_make_the_schema_once(database_url):
    """Four stores of their own (as four app servers have) open a new database at the same
    moment: one makes the schema, the others wait for it; none fails or hangs."""
    start = threading.Barrier(4)
    failures = []

    def open_store() -> None:
        store = VoteStore(database_url)
        start.wait()
        try:
            store.count()
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a store hung on the schema"
    assert not failures
    assert VoteStore(database_url).count() == 0
