"""The portal as an ASGI application made from the environment ($CIESS_HOME and the other
settings), for uvicorn's workers (`ciess up`: `uvicorn --factory pipelines.cli.serving:portal_app`)
and `ciess serve`: a lock from the review pages runs the warehouse build, as `ciess period lock` does."""

from __future__ import annotations

from pipelines.cli.cycle import build_for_lock
from pipelines.common.settings import Settings
from pipelines.portal.app import create_app


def portal_app(settings: Settings | None = None):
    settings = settings or Settings.from_env()
    return create_app(settings, build=build_for_lock(settings))
