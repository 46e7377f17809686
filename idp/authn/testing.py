"""A login method for the test suite only: the test states who logged in and how.
`create_app` refuses to enable it outside TESTING, so a running provider never offers it.

One authenticator is registered per assurance level (`test-level-1`, `test-level-2`,
labelled with their level so a test can see which ones the chooser offers). The form
prefills `sub` from the request's `login_hint`, the way a real method prefills an ID
code or phone number."""

import time

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import render_template_string
from flask import request

from ..extensions import db
from ..models import Account
from ..models.accounts import find_account
from ..oauth.transactions import get_transaction
from .assurance import LEVEL_1
from .assurance import RANK
from .registry import Authenticator
from .registry import register
from .result import AuthenticationResult

bp = Blueprint("test_login", __name__)

FORM = """<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<input name="tx" value="{{ tx }}"><input name="sub" value="{{ login_hint or '' }}">
<input name="acr"><input name="amr"><button>Log in</button></form>"""


def init_app(app):
    if not app.config.get("TESTING"):
        raise RuntimeError("the test login method is for the test suite only")
    for acr in app.config.get("IDP_TEST_LOGIN_ACRS", list(RANK)):
        level = acr.rsplit(":", 1)[-1]
        register(app, Authenticator(f"test-{level}", f"Test login ({level})", acr,
                                    "test_login.start"))
    app.register_blueprint(bp)


@bp.get("/login/test")
def start():
    from ..login.chooser import login_hint

    tx_id = request.args.get("tx", "")
    tx = get_transaction(tx_id)
    hint = login_hint(tx) if tx is not None else None
    return render_template_string(FORM, tx=tx_id, login_hint=hint)


@bp.post("/login/test")
def submit():
    from ..login.complete import finish_login

    if not current_app.config.get("TESTING"):
        abort(404)
    sub = request.form["sub"]
    if find_account(sub) is None:
        db.session.add(Account(sub=sub, profile={"name": f"Test {sub}"}))
    acr = request.form.get("acr") or LEVEL_1
    amr = tuple((request.form.get("amr") or "pwd").split())
    result = AuthenticationResult(sub, "test", acr, amr, int(time.time()))
    return finish_login(request.form.get("tx"), result)
