"""A throwaway PostgreSQL + PostGIS server for tests and benchmarks.

:class:`ThrowawayCluster` runs ``initdb`` and ``pg_ctl`` into a temporary directory, listens on a
free loopback port with trust authentication and durability switched off, and is deleted when
stopped. Run as root, the server runs as the ``postgres`` user (PostgreSQL refuses to run as
root). :class:`ExistingServer` uses a server given by a libpq URL instead. Both hand out fresh
databases created from a template that already has the PostGIS extension, which is fast.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

TEMPLATE_PREFIX = "mineaction_tpl_"


class ClusterUnavailable(RuntimeError):
    """PostgreSQL binaries or the PostGIS extension are not installed here."""


def find_bindir() -> Path:
    """The directory of ``initdb`` and ``pg_ctl``: $PG_BINDIR, Debian's layout, or PATH."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: (p != "/usr/lib/postgresql/15/bin", p))
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).parent))
    for c in candidates:
        if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    raise ClusterUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found; install "
                             "postgresql-15-postgis-3 (scripts/system-deps.sh)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """What both kinds of server share: a PostGIS template and fresh databases from it."""

    admin_url: str  # libpq URL of a database to run CREATE DATABASE from

    def __init__(self) -> None:
        self.template = TEMPLATE_PREFIX + uuid.uuid4().hex[:10]
        self.databases: list[str] = []

    def url_for(self, database: str) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        """Drop what this server made (a throwaway cluster: stop it and remove its files)."""
        raise NotImplementedError

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.admin_url, autocommit=True)

    def make_template(self) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0")
                         .format(sql.Identifier(self.template)))
        try:
            with psycopg.connect(self.url_for(self.template), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.errors.FeatureNotSupported as exc:  # pragma: no cover
            raise ClusterUnavailable(f"PostGIS is not installed on the server: {exc}") from exc
        except psycopg.errors.UndefinedFile as exc:
            raise ClusterUnavailable(f"PostGIS is not installed on the server: {exc}") from exc

    def new_database(self, prefix: str = "mineaction_", *, like: str | None = None) -> str:
        """Create an empty database with PostGIS, or a copy of the database ``like`` (a URL or
        name on this server, with nobody connected to it); returns its ``postgresql://``
        URL."""
        name = prefix + uuid.uuid4().hex[:12]
        template = like.rsplit("/", 1)[-1].split("?")[0] if like else self.template
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(template)))
        self.databases.append(name)
        return self.url_for(name)

    def drop_database(self, url_or_name: str) -> None:
        name = url_or_name.rsplit("/", 1)[-1].split("?")[0]
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        if name in self.databases:
            self.databases.remove(name)

    def drop_all(self) -> None:
        for name in [*self.databases, self.template]:
            with contextlib.suppress(psycopg.Error):
                self.drop_database(name)


class ExistingServer(_Server):
    """A server the caller runs (``MINEACTION_TEST_PG``); databases are made and dropped on it."""

    def __init__(self, url: str):
        super().__init__()
        self.admin_url = url
        self.make_template()

    def url_for(self, database: str) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.admin_url)
        info["dbname"] = database
        user = str(info.get("user") or "")
        password = info.get("password")
        host = str(info.get("host") or "localhost")
        port = str(info.get("port") or "5432")
        auth = user + (f":{password}" if password else "") + ("@" if user else "")
        return f"postgresql://{auth}{host}:{port}/{database}"

    def stop(self) -> None:
        self.drop_all()


class ThrowawayCluster(_Server):
    """A PostgreSQL cluster of our own in a temporary directory. Use as a context manager."""

    def __init__(self, base: str | Path | None = None, *, user: str = "postgres"):
        super().__init__()
        self.bindir = find_bindir()
        self.run_as: str | None = None
        if os.geteuid() == 0:
            self.run_as = "postgres"
            try:
                import pwd

                self._owner = pwd.getpwnam(self.run_as)
            except KeyError as exc:
                raise ClusterUnavailable("running as root and there is no 'postgres' user to "
                                         "run the server as") from exc
        self.root = Path(tempfile.mkdtemp(prefix="mineaction-pg-", dir=base))
        self.datadir = self.root / "data"
        self.sockdir = self.root
        self.user = user
        self.port = 0
        self.admin_url = ""
        self._started = False

    def _cmd(self, *args: str) -> list[str]:
        if self.run_as:
            return ["runuser", "-u", self.run_as, "--", *args]
        return list(args)

    def _run(self, *args: str) -> None:
        proc = subprocess.run(self._cmd(*args), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n"
                               f"{proc.stderr}")

    def start(self) -> ThrowawayCluster:
        if self.run_as:
            os.chown(self.root, self._owner.pw_uid, self._owner.pw_gid)
            os.chmod(self.root, 0o700)
        self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", self.user,
                  "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        last: Exception | None = None
        for _ in range(5):  # another process may take the free port before the server does
            self.port = free_port()
            try:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w",
                          "-t", "60", "-l", str(self.root / "server.log"), "-o",
                          f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 "
                          "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                          "-c max_connections=100", "start")
                break
            except RuntimeError as exc:
                last = exc
                time.sleep(0.2)
        else:
            raise RuntimeError(f"could not start PostgreSQL: {last}\n{self.log_tail()}")
        self._started = True
        self.admin_url = self.url_for("postgres")
        try:
            self.make_template()
        except BaseException:
            self.stop()
            raise
        return self

    def url_for(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def log_tail(self, lines: int = 30) -> str:
        log = self.root / "server.log"
        try:
            return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self._started:
            with contextlib.suppress(RuntimeError):
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w",
                          "-m", "immediate", "stop")
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ThrowawayCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def server(base: str | Path | None = None) -> _Server:
    """The server given by $MINEACTION_TEST_PG, else a started throwaway cluster.

    Raises :class:`ClusterUnavailable` when neither can be had. Call ``stop()`` when done.
    """
    url = os.environ.get("MINEACTION_TEST_PG")
    if url:
        return ExistingServer(url)
    return ThrowawayCluster(base).start()
