"""Pieces shared by the development simulators: scripted failures and HTTP serving.

A simulator's behaviour is scripted with ``POST /control``::

    {"mode": "down" | "throttle" | "reject" | "slow" | "undeliverable" | "normal",
     "count": 2,        # optional: only the next N requests, then back to normal
     "delay": 3.0}      # optional, for "slow": seconds before answering (default 5)

Each simulator lists the modes it supports. Nothing here is used in production.
"""

import enum
import logging
import signal
import threading
from dataclasses import dataclass

from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

log = logging.getLogger(__name__)

DEFAULT_DELAY = 5.0
MAX_DELAY = 120.0


class FailureMode(enum.Enum):
    NORMAL = "normal"
    DOWN = "down"
    THROTTLE = "throttle"
    REJECT = "reject"
    SLOW = "slow"
    UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True)
class Action:
    """What to do with one request: the mode, and for ``slow`` the delay."""

    mode: FailureMode
    delay: float = 0.0


class ControlError(ValueError):
    """A ``POST /control`` body that cannot be applied."""


class Control:
    """Thread-safe scripted behaviour; :meth:`take` is called once per request."""

    def __init__(self, modes: tuple[FailureMode, ...]):
        self.modes = modes
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._mode = FailureMode.NORMAL
        self._remaining: int | None = None
        self._delay = DEFAULT_DELAY

    def configure(self, body: object) -> dict:
        """Apply a ``POST /control`` JSON body; :class:`ControlError` if it is invalid."""
        if not isinstance(body, dict):
            raise ControlError("body must be a JSON object")
        try:
            mode = FailureMode(body.get("mode"))
        except ValueError:
            raise ControlError("mode must be one of "
                               + ", ".join(m.value for m in self.modes)) from None
        if mode not in self.modes:
            raise ControlError(f"mode {mode.value} is not supported here")
        count = body.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < 1):
            raise ControlError("count must be a positive integer")
        delay = body.get("delay", DEFAULT_DELAY)
        if isinstance(delay, bool) or not isinstance(delay, int | float) \
                or not 0 <= delay <= MAX_DELAY:
            raise ControlError(f"delay must be between 0 and {MAX_DELAY:g} seconds")
        with self._lock:
            self._mode, self._remaining, self._delay = mode, count, float(delay)
            self._wake.set()
            self._wake = threading.Event()
        log.info("simulator mode: %s", self.snapshot())
        return self.snapshot()

    def snapshot(self) -> dict:
        with self._lock:
            return {"mode": self._mode.value, "count": self._remaining, "delay": self._delay}

    def take(self) -> Action:
        """The behaviour for one request; counts down scripted failures."""
        with self._lock:
            action = Action(self._mode, self._delay if self._mode is FailureMode.SLOW else 0.0)
            if self._remaining is not None:
                self._remaining -= 1
                if self._remaining <= 0:
                    self._mode, self._remaining = FailureMode.NORMAL, None
            return action

    def pause(self, action: Action) -> bool:
        """Wait out a ``slow`` action. False if cut short by a mode change or :meth:`stop`:
        the request is then abandoned, so a reset simulator never completes it later."""
        with self._lock:
            wake = self._wake
        return not wake.wait(action.delay)

    def stop(self) -> None:
        with self._lock:
            self._wake.set()


class QuietRequestHandler(WSGIRequestHandler):
    """Logs only requests that change something or fail (the outbox page polls)."""

    def log_request(self, code="-", size="-"):
        try:
            failed = int(code) >= 400
        except (TypeError, ValueError):
            failed = True
        if self.command != "GET" or failed:
            super().log_request(code, size)


class HttpServerThread:
    """A WSGI app on a real threaded HTTP server; ``port=0`` picks a free port."""

    def __init__(self, app, host: str, port: int):
        self.server = make_server(host, port, app, threaded=True,
                                  request_handler=QuietRequestHandler)
        self.host = host
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name=f"http-{host}:{self.port}")

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> "HttpServerThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


def control_app(name, control):
    """A simulator's Flask app with its health check and its scripted-failure switch
    (``GET``/``POST /control``); the caller adds the system's own API."""
    from flask import Flask
    from flask import request

    app = Flask(name)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/control")
    def control_show():
        return control.snapshot()

    @app.post("/control")
    def control_set():
        try:
            return control.configure(request.get_json(silent=True))
        except ControlError as exc:
            return json_error(400, "invalid_request", str(exc))

    return app


class ApiSimulator:
    """An outside system's API on a real HTTP server with scripted failures (``/control``).
    Subclasses load their data, name the prefix of the settings that point a client at
    them (``settings_prefix``) and describe themselves."""

    settings_prefix = ""

    def __init__(self, config, directory, create_app, modes):
        self.config = config
        self.directory = directory
        self.control = Control(modes)
        self.http = HttpServerThread(create_app(directory, self.control,
                                                api_key=config.api_key),
                                     config.host, config.port)

    @property
    def url(self) -> str:
        return self.http.url

    def settings(self) -> dict:
        """``<prefix>_*`` settings that point a client at this simulator."""
        prefix = self.settings_prefix
        return {f"{prefix}_BACKEND": "http", f"{prefix}_URL": self.url,
                f"{prefix}_API_KEY": self.config.api_key}

    def start(self):
        self.http.start()
        return self

    def stop(self) -> None:
        self.control.stop()
        self.http.stop()


def json_error(status: int, error: str, description: str):
    """A ``{"error", "error_description"}`` JSON answer for Flask views."""
    from flask import jsonify

    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return response


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(1):
        pass
