"""The benchmark: Bawaba (`idp serve`, PostgreSQL and SQLite) and the reference provider
(panva/oidc-provider, in memory) on the same scenarios, server pinned to one core and the
load generator to another. Prints the machine and its load, one JSON line per target and
scenario, then the ratios Bawaba / reference per server CPU second, the crypto ceiling of
each scenario, the cost of one ES256 signature through PKCS#11 and in process, and a
Markdown table of it all (for bench/README.md).

    .venv/bin/python bench/run.py [--duration 10] [--concurrency 16] [--scenarios a,b]
    .venv/bin/python bench/run.py --memory 100000 [--targets bawaba-postgresql]
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import ciba  # bench/ciba.py
import login_targets  # bench/login_targets.py

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
REFERENCE = BENCH / "reference"
SCENARIOS = ["discovery", "jwks", "client_credentials", "introspection", "refresh", "code_flow"]
# Scenarios with a set-up of their own: CIBA against a target started with the MSSP
# simulator (bench/ciba.py); the code flow through each login method's pages, against a
# target started with the simulators, cards and citizens they need (bench/login_targets.py,
# driven by bench/logins.py); PKI login validation in process (bench/pki.py, Bawaba only).
LOGINS = ["login_sms", "login_card", "login_mobile_id"]
SEPARATE = ["ciba", *LOGINS, "pki_validation"]
# Virtual users per --concurrency in the Mobile ID login, whose iterations mostly wait for
# the phone: enough of them to keep the server core busy.
WAITING_USERS = 4
PKI_VARIANTS = ["pki_cached", "pki_uncached", "pki_raw", "pki_raw_with_ocsp"]
# ES256 operations each scenario's iteration needs at the server: (signatures, verifications).
CRYPTO = {
    "discovery": (0, 0), "jwks": (0, 0), "client_credentials": (1, 0),
    "introspection": (0, 1), "refresh": (1, 0), "code_flow": (2, 1),
    # The code flow's, plus the login's: the SMS login's password check (argon2id, below),
    # the card login's path (the card certificate by the card CA, the token's signature;
    # the card CA's own link to the root is verified once per process and kept).
    "login_sms": (2, 1), "login_card": (2, 3),
}
PASSWORD_CHECKS = {"login_sms": 1}  # argon2id verifications (argon2-cffi's defaults)
TICKS = os.sysconf("SC_CLK_TCK")
RULES = ("token", "token_ip", "authorize", "login", "introspect", "revoke", "userinfo",
         "backchannel_authentication")
# The floors (floors.py): Granian alone and Flask on it, answering with fixed bodies.
FLOOR_SCENARIOS = ("discovery", "client_credentials")
COMPARED = ("bawaba", "floor-")  # targets whose ratio to the reference is printed
MEMORY_LIMIT_MB = 150  # RSS of one worker after the memory run (issue 9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="idp serve --threads")
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian",
                        help="IDP_WSGI_SERVER of the Bawaba targets")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS + SEPARATE))
    parser.add_argument("--targets", default="bawaba-postgresql,bawaba-sqlite,reference,"
                                             "floor-wsgi,floor-flask")
    parser.add_argument("--server-cpu", default="0", help="core(s) for the server")
    parser.add_argument("--load-cpu", default="1", help="core(s) for the load generator")
    parser.add_argument("--profile", action="store_true",
                        help="record the Bawaba workers with py-spy during each measured window "
                             "(bench/results/profile-*.txt; numbers of such a run are not "
                             "comparable)")
    parser.add_argument("--memory", type=int, metavar="FLOWS",
                        help="instead of the scenarios: run FLOWS code flows against each Bawaba "
                             "target and report the RSS of each worker every 10,000 (the "
                             f"target is under {MEMORY_LIMIT_MB} MB after 100,000)")
    args = parser.parse_args()
    ensure_node_modules()
    print(json.dumps(machine()), flush=True)
    if args.memory:
        return memory(args)
    selected = args.scenarios.split(",")
    scenarios = [s for s in selected if s not in SEPARATE]
    targets = args.targets.split(",")
    results, hsm = {}, None
    for target in targets:
        if not scenarios:
            break
        with start_target(target, args) as (base, pids, setup, database):
            for scenario in scenarios:
                if target.startswith("floor-") and scenario not in FLOOR_SCENARIOS:
                    continue
                profile = None
                if args.profile and target.startswith("bawaba"):
                    profile = BENCH / "results" / f"profile-{target}-{scenario}.txt"
                result = measure(base, pids, setup, scenario, args, profile, database)
                result["target"] = target
                results[(target, scenario)] = result
                print(json.dumps(result), flush=True)
            if hsm is None and target.startswith("bawaba"):
                hsm = signing_cost(args.server_cpu, setup.parent)
    pki_ratios = separate_scenarios(selected, targets, args, results)
    scenarios += [s for s in selected if s == "ciba" or s in LOGINS]
    scenarios += PKI_VARIANTS if "pki_validation" in selected else []
    ceilings = crypto_ceiling(args.server_cpu)
    if hsm:
        print(json.dumps(hsm), flush=True)
    lines = []
    for scenario in scenarios:
        line = {"scenario": scenario, "crypto_ceiling_iterations_per_cpu_s": ceilings.get(scenario)}
        reference = results.get(("reference", scenario))
        for target in [t for t in targets if t.startswith(COMPARED)]:
            ours = results.get((target, scenario))
            if ours and reference and reference["iterations_per_server_cpu_s"]:
                line[f"ratio_{target}_per_core"] = round(
                    ours["iterations_per_server_cpu_s"]
                    / reference["iterations_per_server_cpu_s"], 3)
        lines.append(line)
        print(json.dumps(line), flush=True)
    print(markdown(scenarios, targets, results, lines), flush=True)
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(out / f"{stamp}.jsonl", "w") as f:
        for value in [*results.values(), *lines, *pki_ratios]:
            f.write(json.dumps(value) + "\n")


def separate_scenarios(selected, targets, args, results):
    """CIBA on each target started for it; PKI validation on each Bawaba target. Fills
    `results`; returns the PKI ratio lines."""
    if "ciba" in selected:
        for target in [t for t in targets if not t.startswith("floor-")]:
            with start_target(target, args, ciba=True) as (base, pids, setup, database):
                result = measure(base, pids, setup, "ciba", args, None, database)
                result["target"] = target
                results[(target, "ciba")] = result
                print(json.dumps(result), flush=True)
    logins = [s for s in LOGINS if s in selected]
    if logins:
        for target in [t for t in targets if not t.startswith("floor-")]:
            with start_target(target, args, logins=logins) as (base, pids, setup, database):
                for scenario in logins:
                    result = measure(base, pids, setup, scenario, args, None, database,
                                     target.startswith("bawaba"))
                    result["target"] = target
                    results[(target, scenario)] = result
                    print(json.dumps(result), flush=True)
    ratios = []
    if "pki_validation" in selected:
        for target in [t for t in targets if t.startswith("bawaba")]:
            done = subprocess.run(
                ["taskset", "-c", args.server_cpu, sys.executable, str(BENCH / "pki.py"),
                 "--seconds", str(args.duration), "--target", target, "--server-cpu",
                 args.server_cpu, "--workers", str(args.workers), "--server", args.server],
                check=True, capture_output=True, text=True)
            for text in done.stdout.strip().splitlines():
                result = json.loads(text)
                print(text, flush=True)
                if result["scenario"] in PKI_VARIANTS:
                    results[(target, result["scenario"])] = result
                else:
                    ratios.append(result)
    return ratios


def machine():
    """What the numbers were measured on, and how busy it was."""
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": model,
            "cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "node": node,
            "kernel": platform.release()}


def markdown(scenarios, targets, results, lines):
    """The results as the table of bench/README.md."""
    names = {"bawaba-postgresql": "Bawaba PG", "bawaba-sqlite": "Bawaba SQLite",
             "reference": "reference", "floor-wsgi": "Granian floor",
             "floor-flask": "Flask floor"}
    header = ["scenario"]
    for target in targets:
        header += [f"{names.get(target, target)} it/s per CPU s", "p99 ms"]
    header += [f"ratio {names.get(t, t)}" for t in targets if t.startswith(COMPARED)]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for scenario, line in zip(scenarios, lines, strict=True):
        row = [scenario]
        for target in targets:
            result = results.get((target, scenario)) or {}
            row += [str(result.get("iterations_per_server_cpu_s")), str(result.get("p99_ms"))]
        row += [str(line.get(f"ratio_{t}_per_core")) for t in targets if t.startswith(COMPARED)]
        rows.append("| " + " | ".join(row) + " |")
    return "\n".join(rows)


def ensure_node_modules():
    if not (REFERENCE / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=REFERENCE, check=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_ready(url, process, log, timeout=30):
    """Until url answers 200; a server that exits or never answers is reported with the
    end of its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    state = "exited" if process.poll() is not None else "is not answering"
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"{url} did not become ready: the server {state}; its log ends:\n{tail}")


class start_target:
    """Start one provider pinned to the server core; yields (base URL, server pids function,
    setup file, database backend pids function)."""

    def __init__(self, target, args, ciba=False, logins=()):
        self.target, self.args, self.ciba, self.logins = target, args, ciba, logins
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{target}-"))
        self.process = None
        self.env = None
        self.simulator = None
        self.helpers = []

    def __enter__(self):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        pin = ["taskset", "-c", self.args.server_cpu]
        if self.target == "reference" or self.target.startswith("floor-"):
            setup = {"web": {"client_id": "bench-web", "client_secret": "bench-web-secret",
                             "redirect_uri": "http://127.0.0.1:9/callback"},
                     "service": {"client_id": "bench-service",
                                 "client_secret": "bench-service-secret"}}
            command = pin + ["node", str(REFERENCE / "server.mjs"), "--port", str(port)]
            if self.target.startswith("floor-"):
                command = pin + [sys.executable, str(BENCH / "floors.py"),
                                 self.target.removeprefix("floor-"), "--bind",
                                 f"127.0.0.1:{port}", "--workers", str(self.args.workers),
                                 "--threads", str(self.args.threads)]
            env = dict(os.environ)
            if self.ciba:
                command += ["--ciba", "--ciba-delay", str(ciba.CONFIRM_DELAY)]
                setup["ciba"] = ciba.reference_setup()
        else:
            env = bawaba_environment(self.tmp, self.target, base)
            if self.ciba:
                self.simulator, settings = ciba.prepare(env, self.tmp)
                env.update(settings)
            if self.logins:
                self.helpers, settings, login_setup = login_targets.prepare(
                    self.logins, env, self.tmp, self.args)
                env.update(settings)
            seeded = subprocess.run([sys.executable, str(BENCH / "seed.py"),
                                     str(self.args.concurrency)], env=env, check=True,
                                    capture_output=True, text=True, cwd=self.tmp)
            setup = json.loads(seeded.stdout)
            if self.ciba:
                setup["ciba"] = json.loads(subprocess.run(
                    [sys.executable, str(BENCH / "ciba.py")], env=env, check=True,
                    capture_output=True, text=True, cwd=self.tmp).stdout)
            if self.logins:
                setup.update(login_setup, **login_targets.seed(self.logins, env, self.tmp))
            env["IDP_WSGI_SERVER"] = self.args.server
            command = pin + [str(ROOT / ".venv" / "bin" / "idp"), "serve", "--bind",
                             f"127.0.0.1:{port}", "--workers", str(self.args.workers),
                             "--threads", str(self.args.threads)]
        self.env = env
        with open(self.tmp / "server.log", "w") as log:
            self.process = subprocess.Popen(command, env=env, cwd=self.tmp,
                                            stdout=subprocess.DEVNULL, stderr=log)
        wait_ready(base + "/.well-known/openid-configuration", self.process,
                   self.tmp / "server.log")
        if "sms" in setup:
            login_targets.register_citizens(base, setup["sms"])
        setup_file = self.tmp / "setup.json"
        setup_file.write_text(json.dumps(setup))
        (self.tmp / "env.json").write_text(json.dumps(env))
        return base, self.server_pids, setup_file, self.database_pids

    def database_pids(self):
        """PostgreSQL backends serving this target (their CPU is not the server's)."""
        url = self.env.get("IDP_DATABASE_URL", "") if self.env else ""
        if not url.startswith("postgresql"):
            return []
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                (name,)).fetchall()
        return [pid for (pid,) in rows]

    def server_pids(self):
        pids = [self.process.pid]
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids += [int(p) for p in children.read_text().split()]
        except OSError:
            pass
        return pids

    def __exit__(self, *exc):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.simulator is not None:
            ciba.stop(self.simulator)
        login_targets.stop(self.helpers)
        shutil.rmtree(self.tmp, ignore_errors=True)


def bawaba_environment(tmp, target, base):
    """The environment of a Bawaba target: a fresh SoftHSM token and database."""
    subprocess.run(["bash", str(ROOT / "certs" / "dev-token.sh"), str(tmp)], check=True,
                   capture_output=True)
    env = dict(os.environ)
    config = {}
    exec((tmp / "config.py").read_text(), config)
    for key in ("SECRET_KEY", "PKCS11_MODULE", "PKCS11_TOKEN_LABEL", "PKCS11_TOKEN_PIN",
                "SOFTHSM2_CONF"):
        env[key] = config[key]
    # Plain HTTP on loopback, which only the development profile accepts; everything
    # else (SECRET_KEY, PKCS#11 keys, gunicorn workers, the database) is as in production.
    env["IDP_ENV"] = "development"
    env["IDP_ISSUER"] = base
    # Rate limits stay on, counted where production counts them (Redis when one is
    # listening), with allowances far above what one load generator can send: the bench
    # measures their cost, not their refusals. A moving window keeps one entry per hit for
    # its whole length in Redis, so the window is a second: about as many entries as a
    # production rule of a few hundred per minute holds.
    env["IDP_RATELIMIT_STORAGE_URI"] = os.environ.get(
        "IDP_RATELIMIT_STORAGE_URI",
        "redis://127.0.0.1:6379" if port_open(6379) else "memory://")
    env["IDP_RATELIMIT_KEY_PREFIX"] = f"bench-{os.getpid()}-{target}"
    env["IDP_RATELIMIT_RULES"] = json.dumps({rule: "100000 per second" for rule in RULES})
    if target == "bawaba-postgresql":
        env["IDP_DATABASE_URL"] = os.environ.get(
            "IDP_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bawaba_bench")
        reset_postgresql(env["IDP_DATABASE_URL"])
    else:
        env["IDP_DATABASE_URL"] = f"sqlite:///{tmp}/idp.db"
    return env


def reset_postgresql(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def measure(base, pids, setup_file, scenario, args, profile=None, database_pids=None,
            bawaba=False):
    users = args.concurrency * (WAITING_USERS if scenario == "login_mobile_id" else 1)
    generator = ["node", str(REFERENCE / "loadgen.mjs")]
    if bawaba and scenario in LOGINS:  # the login pages, driven as a browser drives them
        generator = [sys.executable, str(BENCH / "logins.py")]
    command = ["taskset", "-c", args.load_cpu, *generator,
               "--base", base, "--scenario", scenario, "--duration", str(args.duration),
               "--warmup", str(args.warmup), "--concurrency", str(users),
               "--setup", str(setup_file)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    # Sample server CPU only over the measured window (after the warm-up).
    time.sleep(args.warmup + 1.0)
    spy = None
    if profile is not None:
        profile.parent.mkdir(exist_ok=True)
        spy = subprocess.Popen(
            ["taskset", "-c", args.load_cpu, str(ROOT / ".venv" / "bin" / "py-spy"), "record",
             "--pid", str(pids()[0]), "--subprocesses", "--nonblocking", "--format", "raw",
             "--rate", "250", "--gil", "--duration", str(max(1, int(args.duration) - 2)),
             "--output", str(profile)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    backends = database_pids() if database_pids else []
    before, db_before = cpu_seconds(pids()), cpu_seconds(backends)
    started = time.monotonic()
    out, _ = process.communicate()
    if spy is not None:
        spy.wait()
        from stacks import summarize  # bench/stacks.py

        print(summarize(profile), file=sys.stderr)
    cpu = cpu_seconds(pids()) - before
    db_cpu = cpu_seconds(backends) - db_before
    window = time.monotonic() - started
    result = json.loads(out.strip().splitlines()[-1])
    ips = result["iterations_per_s"]
    result["server_cpu_s_per_s"] = round(cpu / window, 3) if window else None
    result["iterations_per_server_cpu_s"] = round(ips / (cpu / window), 1) if cpu else None
    if backends:
        # Also per CPU second of server and database together: what a deployment pays.
        result["database_cpu_s_per_s"] = round(db_cpu / window, 3)
        total = (cpu + db_cpu) / window
        result["iterations_per_server_and_database_cpu_s"] = round(ips / total, 1)
    return result


def crypto_ceiling(cpu):
    code = (
        "import time,json\n"
        "from cryptography.hazmat.primitives.asymmetric import ec\n"
        "from cryptography.hazmat.primitives import hashes\n"
        "k=ec.generate_private_key(ec.SECP256R1());p=k.public_key();m=b'x'*300\n"
        "def rate(f):\n"
        " n=0;t=time.perf_counter()\n"
        " while time.perf_counter()-t<1: f();n+=1\n"
        " return n/(time.perf_counter()-t)\n"
        "s=k.sign(m,ec.ECDSA(hashes.SHA256()))\n"
        "from argon2 import PasswordHasher\n"
        "h=PasswordHasher();w='bench lemon kite tuesday';x=h.hash(w)\n"
        "def once():\n"
        " t=time.process_time();h.verify(x,w);return time.process_time()-t\n"
        "print(json.dumps([rate(lambda:k.sign(m,ec.ECDSA(hashes.SHA256()))),"
        "rate(lambda:p.verify(s,m,ec.ECDSA(hashes.SHA256()))),"
        "1/min(once() for _ in range(5))]))\n"
    )
    out = subprocess.run(["taskset", "-c", cpu, sys.executable, "-c", code], check=True,
                         capture_output=True, text=True).stdout
    sign, verify, password = json.loads(out)
    ceilings = {}
    for scenario, (signs, verifies) in CRYPTO.items():
        cost = signs / sign + verifies / verify + PASSWORD_CHECKS.get(scenario, 0) / password
        ceilings[scenario] = round(1 / cost, 1) if cost else None
    print(json.dumps({"es256_sign_per_cpu_s": round(sign),
                      "es256_verify_per_cpu_s": round(verify),
                      "argon2id_verify_per_cpu_s": round(password, 1)}))
    return ceilings


def signing_cost(cpu, instance):
    """One ES256 signature through the target's PKCS#11 token and with `cryptography`."""
    env = json.loads((instance / "env.json").read_text())
    done = subprocess.run(["taskset", "-c", cpu, sys.executable, str(BENCH / "hsm.py")],
                          env=env, cwd=instance, capture_output=True, text=True)
    if done.returncode:
        return {"signing_cost_error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory(args):
    """Code flows by the tens of thousands; the RSS of every worker after each batch."""
    batch = 10000
    for target in [t for t in args.targets.split(",") if t.startswith("bawaba")]:
        with start_target(target, args) as (base, pids, setup, _):
            done = 0
            while done < args.memory:
                count = min(batch, args.memory - done)
                command = ["taskset", "-c", args.load_cpu, "node", str(REFERENCE / "loadgen.mjs"),
                           "--base", base, "--scenario", "code_flow", "--iterations", str(count),
                           "--warmup", "0", "--concurrency", str(args.concurrency),
                           "--setup", str(setup)]
                out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                result = json.loads(out.strip().splitlines()[-1])
                done += result["iterations"]
                workers = {pid: rss_mb(pid) for pid in pids()[1:]}
                print(json.dumps({
                    "target": target, "code_flows": done, "errors": result["errors"],
                    "iterations_per_s": result["iterations_per_s"],
                    "worker_rss_mb": sorted(workers.values()),
                    "under_limit": all(v < MEMORY_LIMIT_MB for v in workers.values()),
                }), flush=True)
                if result["errors"] and not result["iterations"]:
                    raise RuntimeError(result["first_error"])


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


if __name__ == "__main__":
    main()
