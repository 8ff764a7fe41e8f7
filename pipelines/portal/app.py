"""The upload portal: an HTTP API and server-rendered pages over the same intake as `ciess submit`.

Each institution signs in with its own token and only ever sees its own submissions (another
institution's receipt is 404, so existence does not leak); an operator token sees all. Uploads
are streamed to disk under a size limit, their content type checked, and the client's file name
is kept only as a label, never used as a path.

The parts: `api` (JSON routes and their models), `pages` (HTML routes and the portal's words),
`returns_api` and `review_pages` (the reporting cycle: returns, explanations, review, locks, on
top of `cycle_actions`), `dependencies` (who is asking; what is stored on `app.state`), `sessions` (the pages' signed
session and CSRF secret), `limits` (rate, size, content
type), `uploads` (a file handed to the intake), `visibility` (which submissions a principal may
see), `language` (which language to answer in), `auth` (the token store).
"""

import logging
import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from pipelines.common.home_problems import HomeProblem, plain_words
from pipelines.common.settings import Settings
from pipelines.common.store import STORE_ERRORS
from pipelines.intake.storing.doctor import sweep_leftovers
from pipelines.intake.storing.ledger import Ledger
from pipelines.portal import api, contact_pages, feedback_pages, pages, returns_api, review_pages
from pipelines.portal.auth import TokenStore
from pipelines.portal.dependencies import FormNotTrusted
from pipelines.portal.headers import SecurityHeaders
from pipelines.portal.limits import MULTIPART_OVERHEAD, USUAL_PACE, BodyLimit, RateLimiter, UploadPace
from pipelines.portal.sessions import Sessions
from pipelines.warehouse.locking import Build

STATIC_DIR = Path(__file__).with_name("static")


LOG = logging.getLogger("ciess.portal")


def _home_problem(request: Request, error: Exception) -> JSONResponse:
    """A problem of the home folder (missing ledger, full disk...): 503 with what it is, never a traceback."""
    settings = request.app.state.settings
    words = str(error) if isinstance(error, HomeProblem) else plain_words(error, settings.home)
    if words is None:  # not a problem the home folder explains: the operator's log says what it was
        LOG.error("%s %s answered 503", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": words or "the portal could not store what it received; nothing was recorded. "
                                            "Try again later, or tell CIESS"}, status_code=503)  # fmt: skip


def create_app(
    settings: Settings,
    rate_limit: int | None = None,
    build: Build | None = None,
    page_rate_limit: int | None = None,
    upload_pace: UploadPace = USUAL_PACE,
) -> FastAPI:
    """The portal. `build` is the warehouse build a lock runs (`ciess serve` gives the Dagster job);
    without one, locking is left to the command line."""
    settings.ensure()
    sweep_leftovers(settings)
    app = FastAPI(
        title="CIESS submissions portal",
        version="1.0.0",
        description="Upload quarterly staffing and training files and read their receipts. "
        "Authenticate with `Authorization: Bearer <token>` (tokens are issued with `ciess tokens create`).",
    )
    app.state.settings = settings
    app.state.tokens = TokenStore.of(settings)
    app.state.sessions = Sessions(settings.secrets_dir)
    app.state.ledger = Ledger.of(settings)
    app.state.build = build
    limits = settings.store("limits")  # shared by every worker of the portal on this home
    app.state.rate_limiter = RateLimiter(rate_limit or int(os.environ.get("CIESS_RATE_LIMIT", "120")), store=limits)
    app.state.page_limiter = RateLimiter(page_rate_limit or int(os.environ.get("CIESS_PAGE_RATE_LIMIT", "120")),
                                         store=limits, name="pages")  # fmt: skip
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + MULTIPART_OVERHEAD, pace=upload_pace)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_exception_handler(HomeProblem, _home_problem)
    app.add_exception_handler(pages.TooManyPages, pages.too_many_pages)
    app.add_exception_handler(FormNotTrusted, pages.form_not_trusted)
    app.add_exception_handler(OSError, _home_problem)
    for error in STORE_ERRORS:
        app.add_exception_handler(error, _home_problem)
    app.include_router(api.router)
    app.include_router(returns_api.router)
    app.include_router(pages.router)
    app.include_router(review_pages.router)
    app.include_router(feedback_pages.router)
    app.include_router(contact_pages.router)
    return app
