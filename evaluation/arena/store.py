"""Votes in a real database: SQLite by default (a file in the user's data folder, WAL
mode), PostgreSQL for a shared server by URL, through SQLAlchemy; the schema is made and
moved on by Alembic's migrations (migrations/).

Every write is one statement in its own transaction, committed before the call returns:
a vote acknowledged is in the database. A vote is taken only for a pair recorded as shown
to that voter, and a pair's id counts once however often it is sent.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from evaluation.arena.votes import VIEWS, WINNERS, Battle, Pair

DB_ENV = "PORTRAIT_BLUR_DB"  # a file path or a database URL
APP_FOLDER = "portrait-blur"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000  # SQLite: how long a writer waits for another's lock
CONNECT_TIMEOUT_S = 5  # PostgreSQL: a server that does not answer is unavailable after this
# Alembic keeps its migration context in module globals: one migration at a time per
# process (stores of many threads included); across processes, PostgreSQL's lock below.
_MIGRATING = threading.Lock()
MIGRATE_LOCK = 0x61726E61  # PostgreSQL advisory lock key for migrations ("arna")
RETRY_S = 3.0  # after a failure, how long the store says so again without trying

metadata = sa.MetaData()
pairs = sa.Table(
    "pairs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("voter", sa.String(64), nullable=False, index=True),
    sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("photo", sa.String(64), nullable=False),
    sa.Column("photo_set", sa.String(16), nullable=False),
    sa.Column("model_a", sa.String(64), nullable=False),
    sa.Column("model_b", sa.String(64), nullable=False),
    sa.Column("setup_a", sa.JSON, nullable=False),
    sa.Column("setup_b", sa.JSON, nullable=False),
    sa.Column("app_version", sa.String(32), nullable=False),
)
votes = sa.Table(
    "votes",
    metadata,
    sa.Column("pair_id", sa.String(32), sa.ForeignKey("pairs.id"), primary_key=True),
    sa.Column("winner", sa.String(16), nullable=False),
    sa.Column("view", sa.String(16), nullable=False),
    sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
)
photos = sa.Table(
    "shared_photos",
    metadata,
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
)


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or written; the message names the cause and the fix."""


class ForgedVote(ValueError):
    """A vote for a pair that was never shown to that voter."""


def default_url() -> str:
    """PORTRAIT_BLUR_DB (a URL, or a path for SQLite), else arena.db in the user's data
    folder (``~/.local/share/portrait-blur``, under XDG_DATA_HOME where set)."""
    configured = os.environ.get(DB_ENV, "").strip()
    if "://" in configured:
        return configured
    if configured:
        return f"sqlite:///{Path(configured).expanduser().resolve()}"
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return f"sqlite:///{Path(data) / APP_FOLDER / 'arena.db'}"


def engine_for(url: str) -> sa.Engine:
    """An engine for ``url``: ``postgresql://`` goes through psycopg 3; a SQLite file gets
    its folder, WAL mode (readers never block the writer) and a wait for locks."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        connect = {"connect_timeout": CONNECT_TIMEOUT_S}
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def where(url: str) -> str:
    """The database's address without its password, for messages."""
    return sa.make_url(url).render_as_string(hide_password=True)


def unavailable(url: str, error: Exception) -> DatabaseUnavailable:
    cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return DatabaseUnavailable(
        f"The arena's database ({where(url)}) cannot be reached: {cause}. Check that it is "
        f"running and that {DB_ENV} names it (a file path, or postgresql://user@host/db); "
        "your vote is kept and sent again."
    )


def migrate(engine: sa.Engine) -> None:
    """Brings the schema to the newest migration (creates it in an empty database)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # App servers starting together on one database migrate one at a time.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _insert(table: sa.Table, dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING, in the engine's dialect."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def _utc(seconds: float | None = None) -> datetime:
    return datetime.fromtimestamp(time.time() if seconds is None else seconds, UTC)


class VoteStore:
    """The arena's votes, pairs and shared photos in one database (``url``, see
    default_url). Nothing connects until the first call, which brings the schema up to
    date; methods raise DatabaseUnavailable when the database cannot be used, and for
    RETRY_S after that raise it again at once (a page asks several times per rerun, and a
    server that does not answer takes CONNECT_TIMEOUT_S each time)."""

    def __init__(self, url: str | None = None, engine: sa.Engine | None = None) -> None:
        self.url = url or default_url()
        self.engine = engine or engine_for(self.url)
        self._migrated = False
        self._failure: tuple[float, DatabaseUnavailable] | None = None  # (when, why)

    def _guarded(self, work, *args):
        failure = self._failure
        if failure is not None and time.monotonic() - failure[0] < RETRY_S:
            raise failure[1]
        try:
            if not self._migrated:
                with _MIGRATING:
                    if not self._migrated:
                        migrate(self.engine)
                        self._migrated = True
            result = work(*args)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
            problem = unavailable(self.url, error)
            self._failure = (time.monotonic(), problem)
            raise problem from error
        self._failure = None
        return result

    def show(self, pair: Pair, seconds: float | None = None) -> None:
        """Records that ``pair`` was shown to its voter (again: nothing changes)."""
        row = {
            "id": pair.id, "voter": pair.voter, "shown_at": _utc(seconds),
            "photo": pair.photo, "photo_set": pair.photo_set, "model_a": pair.model_a,
            "model_b": pair.model_b, "setup_a": pair.setup_a, "setup_b": pair.setup_b,
            "app_version": pair.app_version,
        }  # fmt: skip
        statement = _insert(pairs, self.engine.dialect.name).values(row)
        self._guarded(self._write, statement.on_conflict_do_nothing())

    def vote(
        self, pair_id: str, voter: str, winner: str, view: str, seconds: float | None = None
    ) -> bool:
        """Counts ``voter``'s verdict on a pair shown to them, seen in ``view``: True when
        counted now, False when that pair's vote was already in (the first one stands).
        Raises ForgedVote for a pair never shown to that voter."""
        assert winner in WINNERS and view in VIEWS, (winner, view)
        # One statement: the pair check and the insert take the write lock together.
        values = (sa.literal(winner), sa.literal(view), sa.literal(_utc(seconds)))
        shown = sa.select(pairs.c.id, *values).where(pairs.c.id == pair_id, pairs.c.voter == voter)
        statement = _insert(votes, self.engine.dialect.name).from_select(
            ["pair_id", "winner", "view", "voted_at"], shown
        )
        counted_now = statement.on_conflict_do_nothing().returning(votes.c.pair_id)
        if self._guarded(self._returned, counted_now):
            return True
        if self._guarded(self._counted, pair_id, voter):
            return False
        raise ForgedVote(f"pair {pair_id} was not shown to this voter: vote not counted")

    def add(self, battles: Sequence[Battle]) -> int:
        """Adds votes cast elsewhere (an imported file) with their pairs, in one
        transaction; a pair id already here is skipped. Returns how many were added."""
        dialect = self.engine.dialect.name
        pair_rows = [{
            "id": b.pair_id, "voter": b.voter, "shown_at": _utc(b.tstamp), "photo": b.photo,
            "photo_set": b.photo_set, "model_a": b.model_a,
            "model_b": b.model_b, "setup_a": b.setup_a, "setup_b": b.setup_b,
            "app_version": b.app_version,
        } for b in battles]  # fmt: skip
        vote_rows = [
            {"pair_id": b.pair_id, "winner": b.winner, "view": b.view, "voted_at": _utc(b.tstamp)}
            for b in battles
        ]

        def write() -> int:
            with self.engine.begin() as connection:
                before = connection.execute(sa.select(sa.func.count()).select_from(votes))
                before = before.scalar_one()
                for start in range(0, len(battles), 500):
                    chunk = slice(start, start + 500)
                    connection.execute(
                        _insert(pairs, dialect).values(pair_rows[chunk]).on_conflict_do_nothing()
                    )
                    connection.execute(
                        _insert(votes, dialect).values(vote_rows[chunk]).on_conflict_do_nothing()
                    )
                after = connection.execute(sa.select(sa.func.count()).select_from(votes))
                return after.scalar_one() - before

        return self._guarded(write) if battles else 0

    def _write(self, statement) -> int:
        with self.engine.begin() as connection:
            return connection.execute(statement).rowcount

    def _returned(self, statement) -> bool:
        """Whether a write made a row (RETURNING: some drivers give no row count)."""
        with self.engine.begin() as connection:
            return connection.execute(statement).first() is not None

    def _counted(self, pair_id: str, voter: str) -> bool:
        query = (
            sa.select(votes.c.pair_id)
            .join(pairs, pairs.c.id == votes.c.pair_id)
            .where(votes.c.pair_id == pair_id, pairs.c.voter == voter)
        )
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def battles(self, view: str | None = None, photo_set: str | None = None) -> list[Battle]:
        """Every counted vote, oldest first, optionally of one view or one photo set."""
        query = sa.select(pairs, votes.c.winner, votes.c.view, votes.c.voted_at).join(
            votes, votes.c.pair_id == pairs.c.id
        )
        if view:
            query = query.where(votes.c.view == view)
        if photo_set:
            query = query.where(pairs.c.photo_set == photo_set)
        query = query.order_by(votes.c.voted_at, pairs.c.id)
        rows = self._guarded(self._rows, query)
        return [
            Battle(
                pair_id=row.id, model_a=row.model_a, model_b=row.model_b, winner=row.winner,
                voter=row.voter, tstamp=_seconds(row.voted_at), view=row.view,
                photo=row.photo, photo_set=row.photo_set, setup_a=row.setup_a,
                setup_b=row.setup_b, app_version=row.app_version,
            )
            for row in rows
        ]  # fmt: skip

    def outcomes(
        self, view: str | None = None, photo_set: str | None = None,
        photos: Collection[str] | None = None,
    ) -> list:  # fmt: skip
        """Every counted vote's (model_a, model_b, winner), oldest first, optionally of one
        view, one photo set or some photos (fingerprints): what the leaderboard needs, read
        without the rest of each row."""
        query = sa.select(pairs.c.model_a, pairs.c.model_b, votes.c.winner).join(
            votes, votes.c.pair_id == pairs.c.id
        )
        if view:
            query = query.where(votes.c.view == view)
        if photo_set:
            query = query.where(pairs.c.photo_set == photo_set)
        if photos is not None:
            query = query.where(pairs.c.photo.in_(list(photos)))
        return self._guarded(self._rows, query.order_by(votes.c.voted_at, pairs.c.id))

    def count(self) -> int:
        """How many votes are counted (cheap: the leaderboard is refitted when it changes)."""
        query = sa.select(sa.func.count()).select_from(votes)
        return self._guarded(self._rows, query)[0][0]

    def tally(self) -> tuple[int, int]:
        """(votes counted, distinct voters who cast them)."""
        query = sa.select(sa.func.count(), sa.func.count(sa.distinct(pairs.c.voter))).join(
            votes, votes.c.pair_id == pairs.c.id
        )
        return tuple(self._guarded(self._rows, query)[0])

    def shown_to(self, voter: str, photo: str) -> set[frozenset[str]]:
        """The model pairs already shown to ``voter`` on ``photo`` (in either order)."""
        query = sa.select(pairs.c.model_a, pairs.c.model_b).where(
            pairs.c.voter == voter, pairs.c.photo == photo
        )
        return {frozenset(row) for row in self._guarded(self._rows, query)}

    def _rows(self, query) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(query))

    def share_photo(self, fingerprint: str, name: str, data: bytes) -> None:
        """Keeps a photo (its file as uploaded) its user chose to share, for other users'
        votes on this server."""
        row = {"fingerprint": fingerprint, "name": name, "data": data, "shared_at": _utc()}
        statement = _insert(photos, self.engine.dialect.name).values(row)
        self._guarded(self._write, statement.on_conflict_do_nothing())

    def unshare_photo(self, fingerprint: str) -> None:
        """Takes a shared photo back (votes on it keep only its fingerprint)."""
        self._guarded(self._write, photos.delete().where(photos.c.fingerprint == fingerprint))

    def shared_photos(self) -> list[tuple[str, str]]:
        """(fingerprint, file name) of every shared photo, oldest first."""
        query = sa.select(photos.c.fingerprint, photos.c.name).order_by(photos.c.shared_at)
        return [tuple(row) for row in self._guarded(self._rows, query)]

    def shared_photo(self, fingerprint: str) -> bytes | None:
        """A shared photo's file as it was uploaded."""
        query = sa.select(photos.c.data).where(photos.c.fingerprint == fingerprint)
        rows = self._guarded(self._rows, query)
        return rows[0][0] if rows else None

    def close(self) -> None:
        self.engine.dispose()


def _seconds(value: datetime) -> float:
    if value.tzinfo is None:  # SQLite keeps no zone: the values written are UTC
        value = value.replace(tzinfo=UTC)
    return value.timestamp()
