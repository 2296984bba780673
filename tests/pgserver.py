"""A throwaway PostgreSQL server for the tests: a fresh cluster in a temporary directory, on a free
port of 127.0.0.1, gone when the tests end. Each test gets a schema of its own in it."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg


def _binaries() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or in Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(versions[0]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayServer:
    """initdb + pg_ctl start; as root, the server runs as the postgres user (it refuses root)."""

    def __init__(self) -> None:
        self.bin = _binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (no initdb found): apt-get install postgresql")
        self.root = Path(tempfile.mkdtemp(prefix="newstrace-pg-"))
        self.port = _free_port()
        self._as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_user:
            shutil.chown(self.root, "postgres")
        self._counter = itertools.count(1)
        data = self.root / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self._run("pg_ctl", "-D", str(data), "-w", "-l", str(self.root / "log"), "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start")
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as_user, str(self.bin / tool), *args], check=True, capture_output=True,
                       cwd=self.root)

    def new_database(self) -> str:
        """The URL of an empty schema of its own (faster to make than a database)."""
        schema = f"t{next(self._counter)}"
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
        return f"{self.admin_url}?options=-csearch_path%3D{schema}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
