"""The API against its own OpenAPI schema, with Schemathesis, on a live server on loopback.

Every operation gets a bounded number of generated requests, valid and invalid ones; none may
answer 5xx, and every response must match the schema (status code, content type, body,
headers). Failures are collected across operations, so one run reports all of them.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from comparisons import classify
from tests.api.conftest import build_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}


def check_operation(operation, mode, failures):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        pass  # no invalid value exists (e.g. a path segment that is any string): nothing to send
    except (Exception, BaseExceptionGroup) as error:  # all operations are reported together
        failures.append(f"{operation.label} ({mode.value}): {str(error)[:1500]}")


def test_api_matches_its_schema(live_server, transactional_db, tmp_path, fake_encoder):
    build_world(tmp_path, fake_encoder)
    # Train the per-process classifier first: its first request would otherwise spend longer
    # than a client's timeout training, and Hypothesis reports the replay as flaky.
    classify.trained_classifier(fake_encoder)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    failures, checked = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in EXAMPLES:
            check_operation(operation, mode, failures)
        checked += 1
    assert checked >= 20
    assert not failures, "\n\n".join(failures)
