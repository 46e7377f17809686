"""In-process microbenchmark: the application alone (Flask's test client, no HTTP server,
no load generator), CPU time per iteration of a scenario, optionally profiled. Quieter than
bench/run.py on a shared machine, and the quickest way to see what one change is worth.

    .venv/bin/python bench/inproc.py code_flow [-n 2000] [--target bawaba-postgresql]
        [--profile] [--memory]

--memory runs the logins of the memory target (RSS of one worker after 100,000 code
flows must stay under 150 MB): it prints the process RSS every 10,000 iterations.
"""

import argparse
import base64
import hashlib
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import bawaba_environment  # noqa: E402

SCENARIOS = ("discovery", "jwks", "client_credentials", "introspection", "refresh",
             "code_flow")


def basic(client):
    raw = f"{client['client_id']}:{client['client_secret']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class User:
    """A virtual user: a test client holding one seeded session cookie."""

    def __init__(self, app, setup, index):
        self.http = app.test_client()
        name, _, value = setup["sessions"][index].partition("=")
        self.http.set_cookie(name, value, domain="localhost")
        self.web = setup["web"]
        self.service = setup["service"]

    def code_flow(self, userinfo=True):
        verifier = b64url(secrets.token_bytes(32))
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        response = self.http.get("/authorize", query_string={
            "response_type": "code", "client_id": self.web["client_id"],
            "redirect_uri": self.web["redirect_uri"], "scope": "openid profile offline_access",
            "state": b64url(secrets.token_bytes(8)), "nonce": b64url(secrets.token_bytes(8)),
            "code_challenge": challenge, "code_challenge_method": "S256"})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
        response = self.http.post("/token", headers=basic(self.web), data={
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": self.web["redirect_uri"], "code_verifier": verifier})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        tokens = response.get_json()
        if userinfo:
            response = self.http.get("/userinfo", headers={
                "Authorization": "Bearer " + tokens["access_token"]})
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return tokens

    def discovery(self):
        assert self.http.get("/.well-known/openid-configuration").status_code == 200

    def jwks(self):
        assert self.http.get("/jwks").status_code == 200

    def client_credentials(self):
        response = self.http.post("/token", headers=basic(self.service),
                                  data={"grant_type": "client_credentials", "scope": "api"})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]

    def introspection(self):
        if not hasattr(self, "access_token"):
            self.access_token = self.code_flow(False)["access_token"]
        response = self.http.post("/introspect", headers=basic(self.web),
                                  data={"token": self.access_token})
        assert response.get_json()["active"] is True

    def refresh(self):
        if not hasattr(self, "refresh_token"):
            self.refresh_token = self.code_flow(False)["refresh_token"]
        response = self.http.post("/token", headers=basic(self.web), data={
            "grant_type": "refresh_token", "refresh_token": self.refresh_token})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        self.refresh_token = response.get_json()["refresh_token"]


def seeded_app(tmp, target, users):
    """A fresh Bawaba target's application in this process: its environment (a new
    database and SoftHSM token under tmp), seeded by seed.py with `users` sessions;
    (app, setup)."""
    os.environ.update(bawaba_environment(tmp, target, "http://localhost"))
    os.chdir(tmp)
    # In another process, as in run.py: one process logs in to the token once.
    setup = json.loads(subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent / "seed.py"), str(users)],
        check=True, capture_output=True, text=True).stdout)
    from idp import create_app

    return create_app(), setup


def print_statements(app, step):
    """The statements (and requests) of one iteration, in order."""
    from sqlalchemy import event

    from idp.extensions import db

    with app.app_context():
        engine = db.engine

    def show(conn, cursor, statement, parameters, context, executemany):
        print("   ", " ".join(statement.split())[:150])

    def show_request(environ):
        print(environ["REQUEST_METHOD"], environ["PATH_INFO"])

    event.listen(engine, "before_cursor_execute", show)
    original = app.wsgi_app
    app.wsgi_app = lambda environ, start: (show_request(environ), original(environ, start))[1]
    step()
    event.remove(engine, "before_cursor_execute", show)
    app.wsgi_app = original


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("-n", type=int, default=2000, help="iterations")
    parser.add_argument("--target", default="bawaba-sqlite",
                        choices=("bawaba-sqlite", "bawaba-postgresql"))
    parser.add_argument("--profile", action="store_true", help="pyinstrument report (wall)")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="cProfile on CPU time: the N costliest functions")
    parser.add_argument("--save-profile", metavar="FILE",
                        help="with --cprofile, also write the profile for pstats/snakeviz")
    parser.add_argument("--memory", action="store_true", help="print RSS as it goes")
    parser.add_argument("--sql", action="store_true",
                        help="print the SQL statements of one iteration and stop")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-inproc-"))
    try:
        app, setup = seeded_app(tmp, args.target, 4)
        users = [User(app, setup, i) for i in range(4)]
        run = [getattr(u, args.scenario) for u in users]
        for step in run * 25:  # warm-up: caches, pools, first compilations
            step()
        if args.sql:
            print_statements(app, run[0])
            return
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        elif args.cprofile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        started_cpu, started = time.process_time(), time.perf_counter()
        for i in range(args.n):
            run[i % len(run)]()
            if args.memory and (i + 1) % 10000 == 0:
                print(json.dumps({"iterations": i + 1, "rss_mb": round(rss_mb(), 1)}),
                      flush=True)
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
        if args.profile:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        elif args.cprofile:
            import pstats

            profiler.disable()
            if args.save_profile:
                profiler.dump_stats(args.save_profile)
            stats = pstats.Stats(profiler).strip_dirs()
            stats.sort_stats("tottime").print_stats(args.cprofile)
            stats.sort_stats("cumulative").print_stats(args.cprofile)
        print(json.dumps({
            "scenario": args.scenario, "target": args.target, "iterations": args.n,
            "cpu_us_per_iteration": round(1e6 * cpu / args.n, 1),
            "wall_us_per_iteration": round(1e6 * wall / args.n, 1),
            "iterations_per_cpu_s": round(args.n / cpu, 1),
            "rss_mb": round(rss_mb(), 1),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
