"""Production serving with gunicorn: the application is created in each worker after the
fork, so database pools and the PKCS#11 session are never shared between processes."""

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from . import create_app
        from .housekeeping import start_housekeeping

        app = create_app()
        start_housekeeping(app)
        return app


def check_ready():
    """Refuse to serve without the schema and an active signing key."""
    from . import create_app
    from .models.keys import ACTIVE
    from .models.keys import all_keys

    app = create_app()
    with app.app_context():
        if not any(k.state == ACTIVE for k in all_keys()):
            raise SystemExit("no active signing key: run `idp db upgrade` and `idp keys rotate`")


def serve(bind, workers, threads):
    check_ready()
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
        }
    ).run()
