"""The command line tests' example store, for the audit commands."""

from tests.cli.conftest import example_store, store_copy  # noqa: F401
