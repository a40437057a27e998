"""The API against its own OpenAPI schema, with Schemathesis, on a live server on loopback.

Every operation gets a bounded number of generated requests, valid and invalid ones; none may
answer 5xx, and every response must match the schema (status code, content type, body,
headers). Then hostile ones (issue 12): every parameter of every operation (path, query, each
string of the body) carries a NUL byte or non-ASCII text; none may answer 5xx. Failures are
collected across operations, so one run reports all of them.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
HOSTILE_EXAMPLES = 8
# Added to every value: a NUL byte alone, inside, and with other scripts, right-to-left and
# emoji (Schemathesis may generate these, but rarely in a few examples).
HOSTILE_TEXT = ("\x00", "a\x00b", "名前 ünïcødé 😀 \u202e", "\x00😀")


def with_hostile_text(value, text: str):
    """``value`` with ``text`` added to each string, number and flag in it (a number becomes
    a string: the server must refuse it, not fail)."""
    if isinstance(value, dict):
        return {key: with_hostile_text(item, text) for key, item in value.items()}
    if isinstance(value, list):
        return [with_hostile_text(item, text) for item in value]
    if value is None:
        return text
    return f"{value}{text}"


def hostile_case(case, text: str):
    """Every path and query parameter the operation declares (generated or not), and the
    body's values, with hostile text."""
    operation = case.operation
    for location, declared in (
        ("path_parameters", operation.path_parameters),
        ("query", operation.query),
    ):
        values = dict(getattr(case, location) or {})
        for parameter in declared:
            values[parameter.name] = with_hostile_text(values.get(parameter.name), text)
        setattr(case, location, values)
    if isinstance(case.body, (dict, list, str)):
        case.body = with_hostile_text(case.body, text)
    return case


def hostile_strategy(operation):
    cases = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    return st.tuples(cases, st.sampled_from(HOSTILE_TEXT)).map(lambda pair: hostile_case(*pair))


def check_operation(operation, label, failures, *, strategy, examples, checks=CHECKS):
    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(checks=checks)

    try:
        run()
    except Unsatisfiable:
        pass  # no invalid value exists (e.g. a path segment that is any string): nothing to send
    except (Exception, BaseExceptionGroup) as error:  # all operations are reported together
        failures.append(f"{operation.label} ({label}): {str(error)[:1500]}")


def test_api_matches_its_schema(live_server, transactional_db, tmp_path, fake_encoder):
    build_world(tmp_path, fake_encoder)
    # Train the per-process classifier first: its first request would otherwise spend longer
    # than a client's timeout training, and Hypothesis reports the replay as flaky.
    classify.trained_classifier(fake_encoder)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    failures, checked = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            strategy = operation.as_strategy(generation_mode=mode)
            check_operation(operation, mode.value, failures, strategy=strategy, examples=examples)
        # Hostile values are out of the schema (a NUL in an integer): only no 5xx is asked.
        check_operation(
            operation,
            "hostile",
            failures,
            strategy=hostile_strategy(operation),
            examples=HOSTILE_EXAMPLES,
            checks=[not_a_server_error],
        )
        checked += 1
    assert checked >= 20
    assert not failures, "\n\n".join(failures)
