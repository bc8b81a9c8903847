"""The dashboard's web application (FastAPI): the page, its JSON API and its event stream.

    GET  /                 the page (static files of this package; the charting library is the
                           one the HTML report inlines, served from the installed package)
    GET  /api/status       the lab now: the same fields as `make status JSON=1`
    GET  /api/catalogue    what may be injected: presets (a game day's scenarios), faults, roles
    GET  /api/runs         faults running and recently finished, and a `make chaos` game day
    GET  /api/events       server-sent events, one `tick` a second: status, runs, game day
    GET  /api/session      whether this browser may change the lab (it holds this start's token)
    POST /api/faults       inject: {"scenario": NAME} or {"fault", "target", "params"}, with
                           optional "duration_s" and "double"; 202 with the run, 400 naming what
                           is wrong and what is allowed, 409 while another fault runs
    POST /api/halt         end every fault now, then heal; 200 saying what it did, 500 with the
                           same and an error when the heal failed
    GET  /reports/...      the journals and HTML reports of past runs

Every error under /api is JSON: {"error": sentence, "problems": [...]}. Who may ask what is the
guard's business (guard.py): the Host, the Origin, JSON for a change, and this start's token.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from halab.chaos.errors import ConfigError
from halab.chaos.views import broadcast
from halab.chaos.views import chartlib as chart_vendor
from halab.dashboard.controller import Busy, FaultController
from halab.dashboard.guard import TOKEN_HEADER, Guard, GuardMiddleware
from halab.dashboard.watch import LabWatcher

TICK_S = 1.0
STATIC = resources.files("halab.dashboard") / "static"
ENDPOINTS = ("GET /api/status", "GET /api/catalogue", "GET /api/runs", "GET /api/events", "GET /api/session",
             "POST /api/faults", "POST /api/halt")


def error(status: int, message: str, problems: list[str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "problems": problems or [message]}, status_code=status)


def create_app(watcher: LabWatcher, controller: FaultController, guard: Guard, *, start_watcher: bool = True) -> FastAPI:
    reports = controller.reports

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if start_watcher:
            watcher.start()
        yield
        watcher.stop()
        # Stopping the dashboard (docker stop, Ctrl-C) ends its faults and waits for their reverts;
        # a dashboard killed outright leaves that to each fault's deadline.
        await asyncio.to_thread(controller.cut_short_all)

    app = FastAPI(title="halab dashboard", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(GuardMiddleware, guard=guard)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or exc.status_code == 405:
            if exc.status_code in (404, 405):
                return error(exc.status_code, f"no such endpoint: {request.method} {request.url.path}; "
                                              f"available: {', '.join(ENDPOINTS)}")
            return error(exc.status_code, str(exc.detail))
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # A bug or a Docker refusal: still JSON that names it, not a bare "Internal Server Error".
        return error(500, f"the dashboard failed on {request.method} {request.url.path}: {exc!r}")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error(400, "invalid request", [str(e.get("msg")) for e in exc.errors()])

    @app.get("/", include_in_schema=False)
    def page() -> Response:
        return Response((STATIC / "dashboard.html").read_text(), media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        files = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
        if name not in files:
            return error(404, f"no static file '{name}'")
        return Response((STATIC / name).read_text(), media_type=files[name])

    @app.get("/vendor/{name}", include_in_schema=False)
    def vendor(name: str) -> Response:
        lib = chart_vendor.load()
        files = {"uplot.js": (lib.js, "text/javascript"), "uplot.css": (lib.css, "text/css"),
                 "LICENSE.txt": (lib.licence, "text/plain")}
        if name not in files:
            return error(404, f"no vendored file '{name}'")
        body, media = files[name]
        return Response(body, media_type=media)

    @app.get("/api/status")
    def status() -> Response:
        if watcher.latest is None:
            return error(503, f"no look at the lab yet{': ' + watcher.error if watcher.error else ''}")
        return JSONResponse(watcher.latest)

    @app.get("/api/session")
    def session(request: Request) -> dict:
        refusal = guard.check_token(request.headers.get(TOKEN_HEADER), request.headers.get("cookie"))
        return {"can_change": refusal is None, "why_not": refusal[1] if refusal else None}

    @app.get("/api/catalogue")
    def catalogue() -> dict:
        return controller.catalogue.to_json()

    def runs() -> dict:
        return {**controller.snapshot(), "game_day": broadcast.read_published(reports)}

    @app.get("/api/runs")
    def get_runs() -> dict:
        return runs()

    @app.get("/api/events")
    async def events(request: Request) -> EventSourceResponse:
        async def ticks():
            while not await request.is_disconnected():
                yield {"event": "tick", "data": json.dumps({"lab": watcher.to_json(), "runs": runs(), "now_unix": time.time()})}
                await asyncio.sleep(TICK_S)  # the tick's period, not a wait for something to happen

        return EventSourceResponse(ticks())

    @app.post("/api/faults")
    async def inject(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError as e:
            return error(400, f"the body must be a JSON object ({e}), e.g. {{\"scenario\": \"pg-leader-kill\"}}")
        try:
            run = await asyncio.to_thread(controller.start, body)
        except ConfigError as e:
            return error(400, str(e), e.problems)
        except Busy as e:
            return error(409, str(e))
        scenario = run.gameday.scenarios[0]
        return JSONResponse({"run_id": run.runner.run_id, "scenario": scenario.name, "description": scenario.description,
                             "fault": scenario.fault, "target": str(scenario.target) if scenario.target else None,
                             "duration_s": scenario.duration_s, "double": run.double}, status_code=202)

    @app.post("/api/halt")
    async def halt() -> Response:
        done = await asyncio.to_thread(controller.halt)
        return JSONResponse(done, status_code=500 if done.get("error") else 200)

    reports.mkdir(parents=True, exist_ok=True)
    app.mount("/reports", StaticFiles(directory=reports, check_dir=False), name="reports")
    return app
