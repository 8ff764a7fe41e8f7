"""Schemathesis against the portal's own OpenAPI description: generated requests (with a valid
token, and without) never get a server error."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from pipelines.common.settings import Settings
from pipelines.portal.app import create_app
from pipelines.portal.auth import TokenStore

HOME = Path(tempfile.mkdtemp(prefix="ciess-schemathesis-"))
APP = create_app(Settings.from_env(HOME, max_upload_mb=2), rate_limit=100_000)
TOKEN = TokenStore.of(Settings.from_env(HOME)).create("AR-ANSES")[0]
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_with_a_token(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=[not_a_server_error])


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_without_a_token(case):
    case.call_and_validate(checks=[not_a_server_error])
