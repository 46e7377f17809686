"""Production serving: Granian (a WSGI server written in Rust; the default) or gunicorn,
chosen by IDP_WSGI_SERVER. The master checks that the provider can serve (config, schema,
signing keys) and then starts the workers; each worker creates its own application, so
database pools and the PKCS#11 session are never shared between processes. All state a
request needs lives in the database or in cookies signed with SECRET_KEY, so any worker
can answer any request.

Granian parses HTTP and keeps connections alive outside Python, and runs the application in
`--threads` threads per worker; gunicorn runs `sync` workers (one request at a time, a new
connection per request) or, with `--threads` above 1, `gthread` workers. bench/README.md
has the measurements behind the default."""

import functools
import logging
import os
import signal

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from gunicorn.app.base import BaseApplication
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)


class NotReadyError(Exception):
    """The provider cannot serve yet; the message says what to do."""


SERVERS = ("granian", "gunicorn")


class _Server(BaseApplication):
    def __init__(self, options, config):
        self.options = options
        self.config = config
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25 opens ~/.gunicorn/gunicorn.ctl, shared by every instance.
            self.cfg.set("control_socket_disable", True)

    def load(self):
        return worker_app(self.config)


def worker_app(config):
    """The application of one worker process, made after the worker started."""
    from . import create_app
    from .housekeeping import start_housekeeping

    app = create_app(config)
    hops = app.config["IDP_PROXY_HOPS"]
    if hops:
        # Behind reverse proxies: the client address and scheme they forward.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    probe_signing(app)
    start_housekeeping(app)
    return app


def check_ready():
    """Refuse to serve without a valid configuration, the current schema and an active
    signing key for every algorithm. Returns the settings every worker must share."""
    from . import MIGRATIONS
    from . import create_app
    from .extensions import db
    from .models.keys import ACTIVE
    from .models.keys import all_keys
    from .oauth.keys import ALGORITHMS

    try:
        app = create_app()
    except RuntimeError as error:
        raise NotReadyError(str(error)) from None
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
            heads = set(ScriptDirectory(MIGRATIONS).get_heads())
            if current != heads:
                raise NotReadyError(
                    "the database schema is not up to date: run `idp db upgrade`")
            active = {k.alg for k in all_keys() if k.state == ACTIVE}
        except SQLAlchemyError as error:
            raise NotReadyError(
                f"cannot read the database: {type(error).__name__}; check IDP_DATABASE_URL"
            ) from None
        finally:
            db.session.remove()
            db.engine.dispose()  # no connection crosses the fork
        missing = [alg for alg in ALGORITHMS if alg not in active]
        if missing:
            raise NotReadyError(
                f"no active signing key for {', '.join(missing)}: run `idp keys rotate`")
    # A development key generated at random must be the same in every worker, or a form
    # served by one worker would fail its CSRF check in another.
    cfg = app.config
    server = cfg.get("IDP_WSGI_SERVER") or SERVERS[0]
    if server not in SERVERS:
        raise NotReadyError(f"IDP_WSGI_SERVER must be one of: {', '.join(SERVERS)}")
    return {
        "server": server,
        "SECRET_KEY": cfg["SECRET_KEY"],
        "rate_limits_per_process": bool(cfg.get("IDP_RATE_LIMITS")) and str(
            cfg.get("IDP_RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"),
    }


def probe_signing(app):
    """Sign once in the new worker, so a wrong PIN or missing token stops the server at
    boot instead of failing requests."""
    from .oauth.keys import key_ring

    with app.app_context():
        ring = key_ring()
        ring.sign({"probe": True}, app.config["IDP_DEFAULT_ID_TOKEN_ALG"])


def serve(bind, workers, threads):
    config = check_ready()
    if workers > 1 and config.pop("rate_limits_per_process"):
        log.warning("rate-limit counters are in memory: each of the %d workers allows the "
                    "full limit; set IDP_RATELIMIT_STORAGE_URI=redis://...", workers)
    if config.pop("server") == "granian":
        serve_granian(bind, workers, threads, config)
    else:
        serve_gunicorn(bind, workers, threads, config)


def serve_granian(bind, workers, threads, config):
    from granian.constants import HTTPModes
    from granian.constants import Interfaces
    from granian.server import Server

    host, _, port = bind.rpartition(":")
    server = Server(
        "idp.serving:worker_app",  # named in logs; workers load through target_loader
        address=host.strip("[]"),
        port=int(port),
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        http=HTTPModes.http1,
        websockets=False,
        log_access=False,
        log_dictconfig={"handlers": {
            "console": {"formatter": "generic", "class": "logging.StreamHandler",
                        "stream": "ext://sys.stderr"},
            "access": {"formatter": "access", "class": "logging.StreamHandler",
                       "stream": "ext://sys.stderr"},
        }},
        respawn_failed_workers=True,
        workers_kill_timeout=30,  # a worker stuck in a request does not hold up a shutdown
    )
    # A forked Granian worker inherits the master's SIGTERM/SIGINT handlers, which only set
    # flags in the master's memory, until it installs its own after loading: a stop sent
    # while the worker starts would be lost and the worker killed 30 s later. Nothing is in
    # flight before then, so such a stop may end the worker at once.
    os.register_at_fork(after_in_child=_stop_on_signals_until_serving)
    server.serve(target_loader=functools.partial(worker_app, config), wrap_loader=False)


def _stop_on_signals_until_serving():
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def serve_gunicorn(bind, workers, threads, config):
    _Server(
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "accesslog": None,
            "errorlog": "-",
            "timeout": 30,
            "keepalive": 5,
            "proc_name": "bawaba",
        },
        config,
    ).run()
