"""schemathesis generates requests from the OpenAPI document (/api) of the served API and
sends each as the public and as an administrator: no server error (5xx), whatever the
parameters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from mineaction.api import create_app
from mineaction.store import open_store
from tests.access.test_matrix import fill
from tests.api.conftest import make_accounts, served, synthetic_hazards

pytestmark = pytest.mark.real

TOKEN: dict[str, str] = {}
EXAMPLES = 20  # per operation and kind of generation


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = tmp_path_factory.mktemp("schemathesis") / "store.gpkg"
    store = open_store(str(path))
    store.create()
    fill(store)
    TOKEN["admin"] = make_accounts(store)["adm"]
    synthetic_hazards(store, 30)
    with served(create_app(str(path), store=store)) as base:
        yield schemathesis.openapi.from_url(f"{base}/api")
    store.close()


def test_no_server_error(api_schema: Any) -> None:
    """Every operation of the document, 20 generated requests each, sent twice."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9
    sent = []
    for operation in operations:
        # any text where the document says text, on any collection; parameters that break
        # the document's rules; and any parameters on a collection that has features
        strategies = [(operation.as_strategy(), False),
                      (operation.as_strategy(GenerationMode.NEGATIVE), True)]
        if "{collection_id}" in operation.path:
            strategies.append((operation.as_strategy(path_parameters={"collection_id":
                                                                      "hazards"}), False))
        for strategy, negative in strategies:

            @given(case=strategy)
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case: Any) -> None:
                for headers in ({}, {"Authorization": f"Bearer {TOKEN['admin']}"}):
                    response = case.call(headers=headers)
                    case.validate_response(response, checks=[not_a_server_error])
                    sent.append(response.status_code)

            try:
                run()
            except Unsatisfiable:  # no parameter to break (/health, /version, ...)
                assert negative, operation.path
    assert sent and all(code < 500 for code in sent)
    print(f"schemathesis: {len(operations)} operations, {len(sent)} requests, statuses "
          f"{sorted(set(sent))}")
