"""The `idp` command: administration groups, the development server and the production
server (`idp serve`, gunicorn with several workers sharing only the database)."""

import os

import click
from flask.cli import FlaskGroup
from flask.cli import ScriptInfo
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from .commands.audit import audit
from .commands.centres import centres
from .commands.citizens import citizens
from .commands.clients import clients
from .commands.evidence import evidence
from .commands.keys import keys
from .commands.mandates import mandates
from .commands.pki import pki


def _create_app():
    from . import create_app

    try:
        return create_app()
    except RuntimeError as error:  # refused configuration: say why, without a traceback
        raise click.ClickException(str(error)) from None


def register_cli(app):
    for group in (audit, centres, citizens, clients, evidence, keys, logout, mandates, pki):
        if group.name not in app.cli.commands:
            app.cli.add_command(group)


@click.group("logout", help="Back-channel logout deliveries.")
def logout():
    pass


@logout.command("deliver")
@with_appcontext
def deliver():
    """Send the back-channel logout tokens that are due (retries included)."""
    from .oauth.backchannel import deliver_due

    delivered, failed = deliver_due()
    click.echo(f"delivered {delivered}, failed {failed}")


def _check_bind(ctx, param, value):
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter("must be HOST:PORT, e.g. 127.0.0.1:8000")
    return value


cli = FlaskGroup(create_app=_create_app, add_default_commands=False,
                 help="Bawaba identity provider administration.")


@cli.command("run", with_appcontext=False)
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.pass_context
def run(ctx, host, port):
    """Development server: migrate, make keys if there are none, and serve."""
    from flask_migrate import upgrade

    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        upgrade()
        from .oauth.keys import key_ring

        made = key_ring().ensure()
        if made:
            click.echo(f"created signing keys: {', '.join(made)}")
    from .housekeeping import start_housekeeping

    start_housekeeping(app)
    click.echo(f"Bawaba on http://{host}:{port} (issuer {app.config['IDP_ISSUER']})")
    run_simple(host, port, app, threaded=True)


@cli.command("serve", with_appcontext=False)
@click.option("--bind", default="127.0.0.1:5000", show_default=True, callback=_check_bind,
              help="HOST:PORT to listen on.")
@click.option("--workers", default=os.cpu_count() or 2, show_default=True,
              type=click.IntRange(1, 256), help="Worker processes.")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Threads per worker.")
def serve(bind, workers, threads):
    """Production WSGI server: gunicorn with several worker processes."""
    from .serving import NotReadyError
    from .serving import serve as run_gunicorn

    try:
        run_gunicorn(bind, workers, threads)
    except NotReadyError as error:
        raise click.ClickException(f"not starting: {error}") from None


def main():
    cli.main(prog_name="idp")
