"""The benchmark: Bawaba (`idp serve`, PostgreSQL and SQLite) and the reference provider
(panva/oidc-provider, in memory) on the same scenarios, server pinned to one core and the
load generator to another. Prints one JSON line per target and scenario, then the ratios
Bawaba / reference per server CPU second and the crypto ceiling of each scenario.

    .venv/bin/python bench/run.py [--duration 10] [--concurrency 16] [--scenarios a,b]
"""

import argparse
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
REFERENCE = BENCH / "reference"
SCENARIOS = ["discovery", "jwks", "client_credentials", "introspection", "refresh", "code_flow"]
# ES256 operations each scenario's iteration needs at the server: (signatures, verifications).
CRYPTO = {
    "discovery": (0, 0), "jwks": (0, 0), "client_credentials": (1, 0),
    "introspection": (0, 1), "refresh": (1, 0), "code_flow": (2, 1),
}
TICKS = os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--targets", default="bawaba-postgresql,bawaba-sqlite,reference")
    parser.add_argument("--server-cpu", default="0", help="core(s) for the server")
    parser.add_argument("--load-cpu", default="1", help="core(s) for the load generator")
    args = parser.parse_args()
    ensure_node_modules()
    scenarios = args.scenarios.split(",")
    results = {}
    for target in args.targets.split(","):
        with start_target(target, args) as (base, pids, setup):
            for scenario in scenarios:
                result = measure(base, pids, setup, scenario, args)
                result["target"] = target
                results[(target, scenario)] = result
                print(json.dumps(result), flush=True)
    ceilings = crypto_ceiling(args.server_cpu)
    for scenario in scenarios:
        line = {"scenario": scenario, "crypto_ceiling_iterations_per_cpu_s": ceilings.get(scenario)}
        reference = results.get(("reference", scenario))
        for target in [t for t in args.targets.split(",") if t.startswith("bawaba")]:
            ours = results.get((target, scenario))
            if ours and reference and reference["iterations_per_server_cpu_s"]:
                line[f"ratio_{target}_per_core"] = round(
                    ours["iterations_per_server_cpu_s"] / reference["iterations_per_server_cpu_s"], 3)
        print(json.dumps(line), flush=True)
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(out / f"{stamp}.jsonl", "w") as f:
        for value in results.values():
            f.write(json.dumps(value) + "\n")


def ensure_node_modules():
    if not (REFERENCE / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=REFERENCE, check=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


class start_target:
    """Start one provider pinned to the server core; yields (base URL, pid function, setup)."""

    def __init__(self, target, args):
        self.target, self.args = target, args
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{target}-"))
        self.process = None

    def __enter__(self):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        pin = ["taskset", "-c", self.args.server_cpu]
        if self.target == "reference":
            setup = {"web": {"client_id": "bench-web", "client_secret": "bench-web-secret",
                             "redirect_uri": "http://127.0.0.1:9/callback"},
                     "service": {"client_id": "bench-service",
                                 "client_secret": "bench-service-secret"}}
            command = pin + ["node", str(REFERENCE / "server.mjs"), "--port", str(port)]
            env = dict(os.environ)
        else:
            env = self.bawaba_env(base)
            seeded = subprocess.run([sys.executable, str(BENCH / "seed.py"),
                                     str(self.args.concurrency)], env=env, check=True,
                                    capture_output=True, text=True, cwd=self.tmp)
            setup = json.loads(seeded.stdout)
            command = pin + [str(ROOT / ".venv" / "bin" / "idp"), "serve", "--bind",
                             f"127.0.0.1:{port}", "--workers", str(self.args.workers)]
        self.process = subprocess.Popen(command, env=env, cwd=self.tmp,
                                        stdout=subprocess.DEVNULL, stderr=open(self.tmp / "server.log", "w"))
        wait_ready(base + "/.well-known/openid-configuration")
        setup_file = self.tmp / "setup.json"
        setup_file.write_text(json.dumps(setup))
        return base, self.server_pids, setup_file

    def bawaba_env(self, base):
        subprocess.run(["bash", str(ROOT / "certs" / "dev-token.sh"), str(self.tmp)], check=True,
                       capture_output=True)
        env = dict(os.environ)
        config = {}
        exec((self.tmp / "config.py").read_text(), config)
        for key in ("SECRET_KEY", "PKCS11_MODULE", "PKCS11_TOKEN_LABEL", "PKCS11_TOKEN_PIN",
                    "SOFTHSM2_CONF"):
            env[key] = config[key]
        # Plain HTTP on loopback, which only the development profile accepts; everything
        # else (SECRET_KEY, PKCS#11 keys, gunicorn workers, the database) is as in production.
        env["IDP_ENV"] = "development"
        env["IDP_ISSUER"] = base
        if self.target == "bawaba-postgresql":
            env["IDP_DATABASE_URL"] = os.environ.get(
                "IDP_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bawaba_bench")
            reset_postgresql(env["IDP_DATABASE_URL"])
        else:
            env["IDP_DATABASE_URL"] = f"sqlite:///{self.tmp}/idp.db"
        return env

    def server_pids(self):
        pids = [self.process.pid]
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids += [int(p) for p in children.read_text().split()]
        except OSError:
            pass
        return pids

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


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


def measure(base, pids, setup_file, scenario, args):
    command = ["taskset", "-c", args.load_cpu, "node", str(REFERENCE / "loadgen.mjs"),
               "--base", base, "--scenario", scenario, "--duration", str(args.duration),
               "--warmup", str(args.warmup), "--concurrency", str(args.concurrency),
               "--setup", str(setup_file)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    # Sample server CPU only over the measured window (after the warm-up).
    time.sleep(args.warmup + 1.0)
    before = cpu_seconds(pids())
    started = time.monotonic()
    out, _ = process.communicate()
    cpu = cpu_seconds(pids()) - before
    window = time.monotonic() - started
    result = json.loads(out.strip().splitlines()[-1])
    ips = result["iterations_per_s"]
    result["server_cpu_s_per_s"] = round(cpu / window, 3) if window else None
    result["iterations_per_server_cpu_s"] = round(ips / (cpu / window), 1) if cpu else None
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
        "print(json.dumps([rate(lambda:k.sign(m,ec.ECDSA(hashes.SHA256()))),"
        "rate(lambda:p.verify(s,m,ec.ECDSA(hashes.SHA256())))]))\n"
    )
    out = subprocess.run(["taskset", "-c", cpu, sys.executable, "-c", code], check=True,
                         capture_output=True, text=True).stdout
    sign, verify = json.loads(out)
    ceilings = {}
    for scenario, (signs, verifies) in CRYPTO.items():
        cost = signs / sign + verifies / verify
        ceilings[scenario] = round(1 / cost, 1) if cost else None
    print(json.dumps({"es256_sign_per_cpu_s": round(sign), "es256_verify_per_cpu_s": round(verify)}))
    return ceilings


if __name__ == "__main__":
    main()
