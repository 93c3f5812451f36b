"""HTTP layer: ThreadingHTTPServer with keep-alive, the routing table and per-kind pipelines."""

import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from sandbox import api, control, files
from sandbox.app import App
from sandbox.auth import TOKEN_PATH, UNAUTHORIZED, TokenError
from sandbox.errors import ApiError
from sandbox.messages import Request, Response

MAX_BODY_BYTES = 1024 * 1024
log = logging.getLogger(__name__)

Handler = Callable[[App, Request], Response]


def token(app: App, request: Request) -> Response:
    if app.faults.token_flap():
        flap = {"error": "invalid_grant", "error_description": "Invalid user credentials"}
        return Response.json(401, flap)
    try:
        grant = app.tokens.grant(request.body, request.headers.get("Authorization"))
    except TokenError as error:
        return Response.json(error.status, error.body)
    return Response.json(200, grant, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def synthetic_file(app: App, request: Request) -> Response:
    file = files.parse(request.params["name"], request.query)
    headers = {
        "Content-Type": file.content_type,
        "Accept-Ranges": "bytes" if file.ranges else "none",
    }
    wanted = files.byte_range(request.headers.get("Range"), file.size) if file.ranges else None
    if wanted is None:
        return Response(200, file.body(), headers, length=file.size)
    start, end = wanted
    headers["Content-Range"] = f"bytes {start}-{end}/{file.size}"
    return Response(206, file.body(start, end), headers, length=end - start + 1)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    kind: str  # "api" (one of the six operations), "token", "control" or "files"
    operation: str = ""

    def match(self, segments: list[str]) -> dict[str, str] | None:
        parts = self.pattern.strip("/").split("/")
        if len(parts) != len(segments):
            return None
        params = {}
        for part, segment in zip(parts, segments, strict=True):
            if part.startswith("{"):
                if not segment:
                    return None
                params[part[1:-1]] = segment
            elif part != segment:
                return None
        return params


IMAGE = f"{api.IMAGES_PATH}/{{imageId}}"
# Literal paths come before parameterised ones (`/stats` before `/{imageId}`).
ROUTES = [
    Route("POST", TOKEN_PATH, token, "token", "token"),
    Route("GET", api.IMAGES_PATH, api.retrieve_image_list, "api", "retrieveImageList"),
    Route("POST", api.IMAGES_PATH, api.create_custom_image, "api", "createCustomImage"),
    Route(
        "GET",
        f"{api.IMAGES_PATH}/stats",
        api.retrieve_custom_images_stats,
        "api",
        "retrieveCustomImagesStats",
    ),
    Route("GET", IMAGE, api.retrieve_image, "api", "retrieveImage"),
    Route("PATCH", IMAGE, api.update_image, "api", "updateImage"),
    Route("DELETE", IMAGE, api.delete_image, "api", "deleteImage"),
    Route("GET", "/files/{name}", synthetic_file, "files"),
    Route("HEAD", "/files/{name}", synthetic_file, "files"),
    Route("GET", "/_sandbox/faults", control.get_faults, "control"),
    Route("POST", "/_sandbox/faults", control.set_faults, "control"),
    Route("POST", "/_sandbox/reset", control.reset, "control"),
    Route("POST", "/_sandbox/seed", control.seed, "control"),
    Route("GET", "/_sandbox/calls", control.get_calls, "control"),
    Route("POST", "/_sandbox/calls/reset", control.reset_calls, "control"),
    Route("POST", "/_sandbox/images/{imageId}", control.force_image, "control"),
]


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.removeprefix("::ffff:")).is_loopback
    except ValueError:
        return False


def route(app: App, request: Request) -> Response:
    """Find the route for the request and run it through its kind's pipeline."""
    segments = [unquote(s) for s in request.path.strip("/").split("/")]
    for candidate in ROUTES:
        params = candidate.match(segments)
        if params is None:
            continue
        same_path = [r for r in ROUTES if r.pattern == candidate.pattern]
        chosen = next((r for r in same_path if r.method == request.method), None)
        if chosen is None:
            allow = ", ".join(r.method for r in same_path)
            raise ApiError(405, "Method Not Allowed", {"Allow": allow})
        request.params = params
        return _run(app, chosen, request)
    raise ApiError(404, "Not Found")


def _run(app: App, chosen: Route, request: Request) -> Response:
    if chosen.kind == "control" and not (
        app.settings.allow_remote_control or _is_loopback(request.client_host)
    ):
        raise ApiError(403, "The sandbox control API only answers loopback clients")
    if chosen.operation:
        app.faults.count(chosen.operation)
    if chosen.kind == "api":
        knobs = app.faults.knobs
        if knobs.latency_ms:
            time.sleep(knobs.latency_ms / 1000)
        injected = app.faults.injected_error()
        if injected:
            raise injected
        if app.tokens.verify_bearer(request.headers.get("Authorization")) is None:
            raise ApiError(401, UNAUTHORIZED, {"WWW-Authenticate": 'Bearer realm="contabo"'})
        api.check_headers(request)
    return chosen.handler(app, request)


class RequestHandler(BaseHTTPRequestHandler):
    """Parses requests, calls `route` and writes its Response (HTTP/1.1 keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "contabo-sandbox/1.0"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: "SandboxHTTPServer"

    def __getattr__(self, name: str):
        # http.server looks up do_<METHOD>; every method goes through the routing table.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ApiError(411, "Length Required: chunked request bodies are not supported")
        raw = self.headers.get("Content-Length", "0").strip() or "0"
        if not raw.isdigit():
            raise ApiError(400, "Invalid Content-Length")
        if int(raw) > MAX_BODY_BYTES:
            raise ApiError(413, "Request body too large")
        return self.rfile.read(int(raw))

    def _dispatch(self) -> None:
        app = self.server.app
        try:
            body = self._read_body()
        except ApiError as error:
            self.close_connection = True
            self._write(Response.error(error))
            return
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            client_host=self.client_address[0],
        )
        try:
            response = route(app, request)
        except ApiError as error:
            response = Response.error(error)
        except Exception:
            log.exception("unhandled error for %s %s", self.command, split.path)
            response = Response.error(ApiError(500, "Internal Server Error"))
        self._write(response)

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.status != 204:
                length = response.length if response.length is not None else len(response.body)
                self.send_header("Content-Length", str(length))
            self.end_headers()
            if self.command == "HEAD" or response.status == 204:
                return
            if isinstance(response.body, bytes):
                self.wfile.write(response.body)
            else:
                for block in response.body:
                    self.wfile.write(block)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:
        # Only the request line and status are logged: never headers or bodies (tokens, secrets).
        log.info("%s %s", self.client_address[0], format % args)


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server carrying the App its handlers use."""

    daemon_threads = True

    def __init__(self, app: App):
        self.app = app
        self.address_family = socket.AF_INET6 if ":" in app.settings.host else socket.AF_INET
        super().__init__((app.settings.host, app.settings.port), RequestHandler)
