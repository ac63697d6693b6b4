"""Real database servers for the arena's tests: a PostgreSQL cluster made in a temporary
folder with initdb and started with pg_ctl on a free port (as the postgres user when the
tests run as root, which initdb refuses), one new database per test; and SQLite files."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from tests.browser import free_port

INSTALL = "apt-get install -y postgresql (.ci/run does it)"


def postgres_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: {INSTALL}")
    return found


def postgres_or_skip() -> None:
    """Skips a test where PostgreSQL is not installed, with the fix, as the browser tests do
    without Chromium; under .ci/run (PORTRAIT_BLUR_CI set), which installs it, it fails."""
    import pytest

    try:
        postgres_bin("initdb")
    except RuntimeError as missing:
        if os.environ.get("PORTRAIT_BLUR_CI"):
            raise
        pytest.skip(str(missing))


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresServer:
    """A throwaway PostgreSQL server: trust authentication on 127.0.0.1 only."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="arena-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync", "-E", "UTF8")  # fmt: skip
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.options = options
        self.start()
        self.admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")

    def start(self) -> None:
        self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-o", self.options,
                  "-l", str(self.folder / "log"), "-w", "start")  # fmt: skip

    def pause(self) -> None:
        """Stops the server (its data kept): clients now find nothing listening."""
        self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _run(self, *command: str) -> None:
        subprocess.run(_as_owner(list(command)), check=True, capture_output=True, text=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        name = "arena_" + uuid.uuid4().hex[:12]
        with self.admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
        return self.url(name)

    def stop(self) -> None:
        self.admin.dispose()
        subprocess.run(_as_owner([postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate",
                                  "stop"]), capture_output=True)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)
