"""Fuzzing: Schemathesis against the live server's own ``/openapi.json``.

Every operation, positive and negative examples, bounded (``STANCEGRAPH_FUZZ_EXAMPLES``, default 10 per operation
in CI, 100 with ``STANCEGRAPH_SOAK=1``); checks: no 5xx (``not_a_server_error``) and every
documented response body matches its schema (``response_schema_conformance``). The server
has writes enabled, and the fuzzer sends no token: write operations must refuse cleanly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # fuzzes every operation: deselected by -m "not slow"

schemathesis = pytest.importorskip("schemathesis", minversion="4.0")

from conftest import running_server  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error, response_schema_conformance  # noqa: E402

SOAK = os.environ.get("STANCEGRAPH_SOAK") == "1"
EXAMPLES = int(os.environ.get("STANCEGRAPH_FUZZ_EXAMPLES", "100" if SOAK else "10"))
COUNTS: dict[str, int] = {"examples": 0, "operations": 0, "no_negative": 0}
STATUS: dict[int, int] = {}


def _fuzz_operation(op: Any, base_url: str, mode: Any) -> None:
    @given(case=op.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report, don't minimise
    )
    def run(case: Any) -> None:
        COUNTS["examples"] += 1
        response = case.call_and_validate(
            base_url=base_url, checks=[not_a_server_error, response_schema_conformance], timeout=30
        )
        STATUS[response.status_code] = STATUS.get(response.status_code, 0) + 1

    run()


def test_openapi_fuzz(tmp_path: Path) -> None:
    # (Schemathesis' pytest plugin does not support this pytest version; drive it directly.)
    env = {"STANCEGRAPH_WRITE_TOKEN": "fuzz-write-token-0123456789"}
    failures: list[str] = []
    with running_server("--timeout", "3", env=env, tmp=tmp_path) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        for result in schema.get_all_operations():
            op = result.ok()
            COUNTS["operations"] += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    _fuzz_operation(op, server.url, mode)
                except Unsatisfiable:
                    COUNTS["no_negative"] += 1  # nothing in this operation can be made invalid
                except Exception as exc:  # a check failed: record it, fuzz the rest
                    failures.append(
                        f"{op.label} ({mode.value}): {type(exc).__name__}: {str(exc)[:1500]}"
                    )
        assert server.process.poll() is None, "the server died during fuzzing"
        log = server.output()
    print(
        f"\nfuzzing: {COUNTS['operations']} operations, {COUNTS['examples']} examples "
        f"(max {EXAMPLES} per operation and mode, positive + negative), statuses {dict(sorted(STATUS.items()))}, "
        f"{len(failures)} failure(s); {COUNTS['no_negative']} operation(s) have no negative inputs"
    )
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in log, log[-3000:]
    assert "fuzz-write-token" not in log
