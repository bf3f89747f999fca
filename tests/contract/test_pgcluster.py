"""The PostgreSQL harness and the PostGIS adapter's URLs, against a real server."""

from __future__ import annotations

import psycopg
import pytest

from mineaction.errors import StoreError
from mineaction.store import open_store
from mineaction.store.pgcluster import ExistingServer
from mineaction.store.postgis import PostGISStore, engine_url


def test_existing_server_makes_and_drops_postgis_databases(pg_server):
    other = ExistingServer(pg_server.admin_url)  # as with MINEACTION_TEST_PG
    try:
        url = other.new_database()
        with psycopg.connect(url) as conn:
            version = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        assert version.split(".")[0] == "3"
        s = open_store(url)
        try:
            assert s.create() != [] and s.schema_version() > 0
        finally:
            s.close()
        other.drop_database(url)
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url).close()
    finally:
        other.stop()
    with psycopg.connect(pg_server.admin_url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s",
                            (other.template,)).fetchone()[0]
    assert left == 0


def test_postgres_scheme_and_hidden_password(pg_server):
    url = pg_server.new_database()
    s = open_store(url.replace("postgresql://", "postgres://", 1))
    try:
        assert isinstance(s, PostGISStore)
        assert s.schema_version() == 0
    finally:
        s.close()
    hidden = PostGISStore("postgresql://ima:s3cret@127.0.0.1:1/none")
    assert "s3cret" not in hidden.url
    assert engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_unreachable_server_is_a_store_error():
    s = open_store("postgresql://nobody@127.0.0.1:1/none")
    try:
        with pytest.raises(StoreError, match="cannot connect"):
            s.schema_version()
    finally:
        s.close()
