#!/usr/bin/env python3
"""taskflowd benchmark harness.

Starts its own private PostgreSQL cluster (initdb/pg_ctl, scram auth, run as
the `postgres` user when invoked as root) and the release build of the daemon,
then measures, each next to a baseline taken in the same run:

  1. /health throughput and p50/p99 at 50 keep-alive connections, next to a
     bare warp server answering the same JSON (examples/bare_warp.rs);
  2. GET /api/v1/members with 500 members, same load, next to /health;
  3. process start -> first 200 on /health with saved credentials, on an
     already-migrated database and on an empty one (median of N runs);
  4. resident memory (VmRSS) idle after start and after the loads;
  5. recovery: PostgreSQL stopped for 10 s, then started -> first 200;
  6. isolation: /health p99 while 4 test-connection probes hang on a host
     that never answers, next to the idle p99;
  7. the release binary's size;
  8. the team API at 10 connections, next to /health at 10 connections: the
     dashboard's GET /api/v1/tasks with 500 tasks of 4 sub-tasks each, the
     same list filtered, sorted and searched, and a task page
     GET /api/v1/tasks/{id} with 20 sub-tasks and 30 daily updates (there is
     no previous code for these routes to compare with).

`--scenario same-user` (issue #20) measures the same-user rule's owner
lookup: new connections per second (`Connection: close` to /health and to
/api/v1/settings/status) and keep-alive requests, with the check on and off,
in one run (no PostgreSQL needed).

`--scenario versus --baseline-bin OLD` measures two builds side by side in
one run (a redesign must not cost speed): /health, the members list, a
member rename, the dashboard, a search and a task page, alternating
baseline, new, baseline.

`--scenario team` (issue #14) instead measures a team on one small server
(`--slots`, default 40): N daemons directly (`--direct`, default 30) and
through PgBouncer in transaction mode (`--pooled`, default 200), each with
`TASKFLOW_DB_POOL_MAX=--pool-max` (default 1): how many become healthy, the
errors in a burst of concurrent reads and writes from every daemon, and the
server sessions per idle daemon after `--idle-wait` seconds (default 35; the
daemon trims its pool after 30 s without a request). PgBouncer runs with its
stock settings except listen port, auth file, pool mode and `max_client_conn`
(its default 100 is below 200 daemons).

`--scenario operators` (issue 21) measures what `GET /metrics` and the log
file cost: /health at 50 connections and the dashboard list (GET
/api/v1/tasks: 501 tasks, the data set of `versus`, at 10 connections) on this
branch's release build with both on (`taskflowd.log` in a temp folder,
the default `info` filter) next to `--baseline-bin` (a build without them, e.g. main before issue 21),
both serving the same database, measured alternately (off, on, off, on, off,
on: `--rounds`, default 3) so that a drift of the machine hits both.

Nothing here is a test and nothing fails because the machine is slow: it
prints figures (and writes them as Markdown with --markdown FILE).

Usage:  python3 scripts/bench.py [--duration 10] [--runs 10] [--markdown BENCH.md] [--tasks-only]
Needs:  wrk (Debian package `wrk`), PostgreSQL server binaries, a release build
        (`cargo build --release --bin taskflowd --example bare_warp`; the script
        runs it unless --no-build).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "target" / "release"
IS_ROOT = os.geteuid() == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        sys.exit(f"{name} not found: install Debian's `postgresql` package")
    return candidates[-1]


class Cluster:
    """A private PostgreSQL cluster on a free loopback port."""

    def __init__(self, max_connections: int = 200) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="taskflowd-bench-pg-"))
        os.chmod(self.root, 0o755)
        self.data = self.root / "data"
        self.port = free_port()
        self.password = "bench-admin-" + os.urandom(6).hex()
        pwfile = self.root / "pw"
        pwfile.write_text(self.password)
        if IS_ROOT:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth-host=scram-sha-256",
                  "--auth-local=trust", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.root}'\nmax_connections = {max_connections}\n")
        self.start()

    def _run(self, *cmd: str) -> None:
        full = (["runuser", "-u", "postgres", "--"] if IS_ROOT else []) + list(cmd)
        subprocess.run(full, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def sql(self, statement: str, db: str = "postgres") -> str:
        env = dict(os.environ, PGPASSWORD=self.password)
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
                              "-v", "ON_ERROR_STOP=1", "-Atqc", statement],
                             check=True, capture_output=True, text=True, env=env)
        return out.stdout.strip()

    def new_database(self, name: str, role: str, password: str) -> None:
        self.sql(f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
                 f"CREATE ROLE {role} LOGIN PASSWORD '{password}'; END IF; END$$")
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.sql(f"CREATE DATABASE {name} OWNER {role}")

    def close(self) -> None:
        try:
            self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


class Daemon:
    """The release taskflowd with its own config folder."""

    def __init__(self, config_dir: Path, port: int | None = None, bin: Path | None = None, **env: str) -> None:
        self.port = port or free_port()
        self.config_dir = config_dir
        full_env = {"PATH": os.environ.get("PATH", ""), "TASKFLOW_PORT": str(self.port),
                    "TASKFLOW_CONFIG_DIR": str(config_dir), "TASKFLOW_LOG": "warn"}
        full_env.update(env)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([str(bin or BIN or RELEASE / "taskflowd")], env=full_env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url(path), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def first_healthy(self, timeout: float = 60.0) -> float:
        """Seconds from process start to the first 200 on /health (polled as fast as possible)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nConnection: close\r\n\r\n".encode())
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.002)
        raise RuntimeError("daemon did not become healthy")

    def wait_healthy_since(self, t0: float, timeout: float = 60.0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            try:
                if self.request("GET", "/health")[0] == 200:
                    return time.perf_counter() - t0
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError("daemon did not recover")

    def save_connection(self, creds: dict, timeout: float = 30.0) -> None:
        """POST save-connection as soon as the daemon answers, then wait until healthy."""
        deadline = time.perf_counter() + timeout
        while True:
            try:
                status, body = self.request("POST", "/api/v1/settings/save-connection", creds)
                if status != 200:
                    sys.exit(f"save-connection failed: {status} {body}")
                break
            except OSError:
                if time.perf_counter() > deadline:
                    sys.exit("daemon did not answer")
                time.sleep(0.01)
        self.wait_healthy_since(time.perf_counter())

    def cpu_seconds(self) -> float:
        """User + system CPU time the daemon has used so far (/proc/<pid>/stat)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wrk(url: str, duration: int, connections: int = 50, headers: tuple[str, ...] = (),
        script: Path | None = None) -> dict:
    extra = [arg for h in headers for arg in ("-H", h)] + (["-s", str(script)] if script else [])
    out = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--latency",
                          *extra, url],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def lat(pct: str) -> float:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50": lat("50"), "p99": lat("99"), "requests": requests,
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(0) if errors else ""}


def hanging_listener() -> tuple[socket.socket, int]:
    """A TCP listener that accepts and never answers (a black-holed host)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held: list[socket.socket] = []

    def accept_forever() -> None:
        while True:
            try:
                conn, _ = srv.accept()
                held.append(conn)
            except OSError:
                return

    threading.Thread(target=accept_forever, daemon=True).start()
    return srv, srv.getsockname()[1]


BIN: Path | None = None


class PgBouncer:
    """Debian's pgbouncer in front of `cluster`, run as `postgres` when we are root."""

    def __init__(self, cluster: Cluster, mode: str, users: dict[str, str], max_client_conn: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="taskflowd-bench-pgb-"))
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        auth = self.dir / "userlist.txt"
        auth.write_text("".join(f'"{u}" "{p}"\n' for u, p in users.items()))
        ini = self.dir / "pgbouncer.ini"
        ini.write_text(f"[databases]\n* = host=127.0.0.1 port={cluster.port}\n[pgbouncer]\n"
                       f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nauth_file = {auth}\n"
                       f"pool_mode = {mode}\nmax_client_conn = {max_client_conn}\n")
        if IS_ROOT:
            for f in (self.dir, auth, ini):
                shutil.chown(f, "postgres", "postgres")
        exe = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        cmd = (["runuser", "-u", "postgres", "--"] if IS_ROOT else []) + [exe, str(ini)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("pgbouncer did not start")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def team(args: argparse.Namespace, report) -> None:
    """N daemons on one small server, directly and through PgBouncer (transaction mode)."""
    from concurrent.futures import ThreadPoolExecutor

    cluster = Cluster(max_connections=args.slots)
    work = Path(tempfile.mkdtemp(prefix="taskflowd-bench-team-"))
    role, pw, db = "team", "teampw" + os.urandom(4).hex(), "bench_team"
    bouncer = None
    try:
        cluster.new_database(db, role, pw)

        def sessions() -> int:
            return int(cluster.sql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{db}' "
                                   f"AND usename = '{role}'"))

        def run(label: str, n: int, port: int) -> None:
            url = f"postgres://{role}:{pw}@127.0.0.1:{port}/{db}?sslmode=disable"
            slug = label.replace(" ", "-")
            t0 = time.perf_counter()
            daemons = [Daemon(work / f"{slug}-{i}", TASKFLOW_DATABASE_URL=url,
                              TASKFLOW_DB_POOL_MAX=str(args.pool_max)) for i in range(n)]
            try:
                with ThreadPoolExecutor(max_workers=32) as ex:
                    def healthy(d: Daemon) -> bool:
                        try:
                            d.wait_healthy_since(t0, timeout=180)
                            return True
                        except RuntimeError:
                            return False
                    ok = sum(ex.map(healthy, daemons))
                took = time.perf_counter() - t0
                report(f"{label}: healthy daemons of {n} on {args.slots} slots", str(ok), f"{n} started",
                       f"{took:.1f} s to all")
                cluster.sql("DELETE FROM members", db=db)

                def one(job: tuple[int, int]) -> bool:
                    i, j = job
                    d = daemons[i]
                    try:
                        if j % 2:
                            st, _ = d.request("POST", "/api/v1/members",
                                              {"name": f"M{i}-{j}", "email": f"{slug}-{i}-{j}@example.org"})
                            return st == 201
                        return d.request("GET", "/api/v1/members")[0] == 200
                    except OSError:
                        return False
                jobs = [(i, j) for j in range(args.burst) for i in range(n)]
                t1 = time.perf_counter()
                with ThreadPoolExecutor(max_workers=min(256, len(jobs))) as ex:
                    results = list(ex.map(one, jobs))
                burst_s = time.perf_counter() - t1
                errors = results.count(False)
                report(f"{label}: burst errors ({len(jobs)} requests, every daemon)", str(errors), "0",
                       f"{len(jobs) / burst_s:.0f} req/s")
                peak = sessions()
                if args.idle_wait > 0:
                    time.sleep(args.idle_wait)
                idle = sessions()
                report(f"{label}: server sessions, after burst / idle {args.idle_wait} s", f"{peak} / {idle}",
                       f"{n} daemons", f"{idle / n:.2f} per idle daemon")
            finally:
                for d in daemons:
                    d.proc.send_signal(signal.SIGTERM)
                for d in daemons:
                    try:
                        d.proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        d.proc.kill()

        if args.direct > 0:
            run("direct", args.direct, cluster.port)
        if args.pooled > 0:
            bouncer = PgBouncer(cluster, "transaction", {role: pw}, max_client_conn=args.pooled * args.pool_max + 50)
            run("pgbouncer transaction", args.pooled, bouncer.port)
    finally:
        if bouncer:
            bouncer.close()
        cluster.close()
        shutil.rmtree(work, ignore_errors=True)



class _Done(Exception):
    """Ends the run early (--tasks-only) but still writes the Markdown."""


def seed_dashboard(d: "Daemon", cluster: "Cluster", db: str) -> tuple[dict, str, float]:
    """The team data set: a lead member, 500 tasks of 4 sub-tasks (a third
    assigned to the lead) and a task page with 20 sub-tasks and 30 daily
    updates (the page task is on the dashboard too: 501 tasks). Returns the
    lead, the page task's id and the dashboard's size in KiB."""
    status, member = d.request("POST", "/api/v1/members", {"name": "Bench Lead", "email": "lead@bench.example"})
    if status != 201:
        sys.exit(f"creating a member failed: {status} {member}")
    # As the Python backend or a long-used team database would hold them:
    # written with SQL (ids from the gen_random_uuid() default), 500 tasks of
    # 4 sub-tasks, a third assigned.
    cluster.sql(f"""
        INSERT INTO tasks (title, description, status, priority, assignee_id, assignee_name, gear_id,
                           blocking_reason, updated_at)
        SELECT 'Task ' || i || ' of the bench', 'What task ' || i || ' is about, in a sentence or two.',
               (ARRAY['To Do','In Progress','Blocked','Done'])[1 + i % 4]::task_status,
               (ARRAY['High','Medium','Low'])[1 + i % 3]::task_priority,
               CASE WHEN i % 3 = 0 THEN '{member["id"]}'::uuid END,
               CASE WHEN i % 3 = 0 THEN 'Bench Lead' END,
               lpad(i::text, 4, '0'),
               CASE WHEN i % 4 = 2 THEN 'waiting for parts' ELSE '' END,
               now() - i * interval '1 minute'
        FROM generate_series(1, 500) i;
        INSERT INTO sub_tasks (task_id, title, position, completed)
        SELECT t.id, 'Step ' || p, p, p % 2 = 0 FROM tasks t, generate_series(0, 3) p;
        ANALYZE;""", db)
    status, tasks = d.request("GET", "/api/v1/tasks")
    if status != 200 or len(tasks) != 500:
        sys.exit(f"the dashboard list failed: {status}")
    size_kib = len(json.dumps(tasks, separators=(",", ":"))) / 1024
    status, page = d.request("POST", "/api/v1/tasks", {"title": "The task page", "status": "In Progress",
                                                       "priority": "High", "assignee_id": member["id"]})
    if status != 201:
        sys.exit(f"creating the page task failed: {status} {page}")
    cluster.sql(f"""
        INSERT INTO sub_tasks (task_id, title, position)
        SELECT '{page["id"]}', 'Checklist item ' || p, p FROM generate_series(0, 19) p;
        INSERT INTO daily_updates (task_id, author_id, author_name, content, created_at, updated_at)
        SELECT '{page["id"]}', '{member["id"]}', 'Bench Lead', 'Day ' || i || ': progress, blockers, next steps.',
               now() - i * interval '1 day', now() - i * interval '1 day'
        FROM generate_series(1, 30) i;""", db)
    return member, page["id"], size_kib


def bench_tasks(d: "Daemon", cluster: "Cluster", db: str, duration: int, report) -> None:
    """8. The team API at 10 connections (the UI's calls), next to /health at 10."""
    health = wrk(d.url("/health"), duration, connections=10)
    report("/health at 10 conns req/s", f"{health['rps']:.0f}", "-", "-")
    report("/health at 10 conns p50 / p99 ms", f"{health['p50']:.3f} / {health['p99']:.3f}", "-", "-")
    member, page_id, size_kib = seed_dashboard(d, cluster, db)
    cases = [
        ("GET /api/v1/tasks (500 tasks x 4 sub-tasks)", "/api/v1/tasks"),
        ("GET /api/v1/tasks?status=In Progress", "/api/v1/tasks?status=In%20Progress"),
        ("GET /api/v1/tasks?sort=priority", "/api/v1/tasks?sort=priority"),
        ("GET /api/v1/tasks?search=task 4", "/api/v1/tasks?search=task%204"),
        (f"GET /api/v1/tasks?assignee=<id>&sort=status", f"/api/v1/tasks?assignee={member['id']}&sort=status"),
    ]
    for what, path in cases:
        r = wrk(d.url(path), duration, connections=10)
        report(f"{what} req/s", f"{r['rps']:.0f}", f"{health['rps']:.0f} /health", f"{r['rps'] / health['rps']:.3f}x")
        report(f"{what} p50 / p99 ms", f"{r['p50']:.3f} / {r['p99']:.3f}",
               f"{health['p50']:.3f} / {health['p99']:.3f}", f"p99 {r['p99'] / health['p99']:.2f}x")
        if r["non2xx"]:
            print(f"  warning: {r['non2xx']} non-2xx answers", flush=True)
    print(f"  (the dashboard body is {size_kib:.0f} KiB)", flush=True)
    r = wrk(d.url(f"/api/v1/tasks/{page_id}"), duration, connections=10)
    what = "GET /api/v1/tasks/{id} (20 sub-tasks, 30 updates)"
    report(f"{what} req/s", f"{r['rps']:.0f}", f"{health['rps']:.0f} /health", f"{r['rps'] / health['rps']:.3f}x")
    report(f"{what} p50 / p99 ms", f"{r['p50']:.3f} / {r['p99']:.3f}",
           f"{health['p50']:.3f} / {health['p99']:.3f}", f"p99 {r['p99'] / health['p99']:.2f}x")


def operators(args: argparse.Namespace, report) -> None:
    """Issue 21: metrics and the log file on (this build) vs off (the
    baseline build), same database, alternating runs."""
    cluster = Cluster()
    work = Path(tempfile.mkdtemp(prefix="taskflowd-bench-ops-"))
    role, role_pw = "bench", "bench pw@:/?#" + os.urandom(4).hex()
    creds = {"host": "127.0.0.1", "port": cluster.port, "database": "bench_ops",
             "username": role, "password": role_pw}
    logs = work / "logs"
    on = off = None
    try:
        cluster.new_database("bench_ops", role, role_pw.replace("'", "''"))
        # The default filter (info): what a user's daemon runs with.
        on = Daemon(work / "on", TASKFLOW_LOG="info", TASKFLOW_LOG_DIR=str(logs))
        off = Daemon(work / "off", bin=args.baseline_bin, TASKFLOW_LOG="info", TASKFLOW_LOG_DIR="none")
        for d in (on, off):
            d.save_connection(creds)
        time.sleep(1)
        idle = {"on": on.rss_mib(), "off": off.rss_mib()}
        seed_dashboard(on, cluster, "bench_ops")
        for d in (on, off):
            status, tasks = d.request("GET", "/api/v1/tasks")
            if status != 200 or len(tasks) != 501:
                sys.exit(f"the dashboard list failed: {status}")
        for path, conns, label in [("/health", 50, "/health (50 conns)"),
                                   ("/api/v1/tasks", 10, "GET /api/v1/tasks, 501 tasks (10 conns)")]:
            runs: dict[str, list[dict]] = {"on": [], "off": []}
            for _ in range(args.rounds):
                for key, d in (("off", off), ("on", on)):
                    cpu = d.cpu_seconds()
                    r = wrk(d.url(path), args.duration, conns)
                    # The daemon's own CPU per answered request: less at the
                    # mercy of how wrk and the daemon share the two cores
                    # than the request rate is.
                    r["cpu_us"] = (d.cpu_seconds() - cpu) / max(r["requests"], 1) * 1e6
                    runs[key].append(r)
            mean = {k: statistics.mean(r["rps"] for r in v) for k, v in runs.items()}
            spread = {k: (min(r["rps"] for r in v), max(r["rps"] for r in v)) for k, v in runs.items()}
            report(f"{label} req/s, metrics + log file on", f"{mean['on']:.0f}", f"{mean['off']:.0f} off",
                   f"{mean['on'] / mean['off']:.3f}x")
            report(f"{label} req/s range of the {args.rounds} runs", f"{spread['on'][0]:.0f}-{spread['on'][1]:.0f}",
                   f"{spread['off'][0]:.0f}-{spread['off'][1]:.0f} off", "-")
            cpu = {k: statistics.median(r["cpu_us"] for r in v) for k, v in runs.items()}
            report(f"{label} daemon CPU µs per request (median of runs)", f"{cpu['on']:.1f}",
                   f"{cpu['off']:.1f} off", f"{cpu['on'] / cpu['off']:.3f}x")
            p99 = {k: statistics.median(r["p99"] for r in v) for k, v in runs.items()}
            report(f"{label} p99 ms (median of runs)", f"{p99['on']:.3f}", f"{p99['off']:.3f} off",
                   f"{p99['on'] / p99['off']:.2f}x")
            for k, v in runs.items():
                if any(r["non2xx"] for r in v):
                    print(f"  warning: non-2xx answers ({k})", flush=True)
        try:
            scrape = urllib.request.urlopen(on.url("/metrics"), timeout=10).read()
            report("/metrics body after the runs (KiB)", f"{len(scrape) / 1024:.1f}", "-", "-")
        except urllib.error.HTTPError as e:
            # An A/A run (--bin a build without /metrics) still gives its figures.
            report("/metrics body after the runs", f"HTTP {e.code}", "-", "-")
        size = sum(f.stat().st_size for f in logs.iterdir()) / 1024 if logs.exists() else 0.0
        report("log folder after the runs (KiB, info filter)", f"{size:.1f}", "-", "-")
        report("VmRSS idle after start (MiB)", f"{idle['on']:.1f}", f"{idle['off']:.1f} off",
               f"{idle['on'] / idle['off']:.2f}x")
        report("VmRSS after the runs (MiB)", f"{on.rss_mib():.1f}", f"{off.rss_mib():.1f} off",
               f"{on.rss_mib() / off.rss_mib():.2f}x")
    finally:
        for d in (on, off):
            if d:
                d.stop()
        cluster.close()
        shutil.rmtree(work, ignore_errors=True)


def same_user(args: argparse.Namespace, report) -> None:
    """Issue 20: what the per-connection owner lookup costs. Two daemons (no
    database: /health answers 503 from memory, /api/v1/settings/status 200
    from the Readiness actor), one with TASKFLOW_SAME_USER_ONLY=true, one
    with false, measured alternately in one run: new connections per second
    (every request with `Connection: close`, so each pays the lookup) and
    keep-alive requests (which pay it once)."""
    work = Path(tempfile.mkdtemp(prefix="taskflowd-bench-su-"))
    on = Daemon(work / "on", TASKFLOW_SAME_USER_ONLY="true")
    off = Daemon(work / "off", TASKFLOW_SAME_USER_ONLY="false")
    try:
        for d in (on, off):
            deadline = time.perf_counter() + 30
            while True:
                try:
                    if d.request("GET", "/api/v1/settings/status")[0] == 200:
                        break
                except OSError:
                    pass
                if time.perf_counter() > deadline:
                    sys.exit("daemon did not answer")
                time.sleep(0.01)
        close = ("Connection: close",)
        for path, headers, conns, label in [
            ("/health", close, 10, "new connections/s, /health"),
            ("/api/v1/settings/status", close, 10, "new connections/s, /api/v1/settings/status"),
            ("/api/v1/settings/status", (), 50, "keep-alive req/s, /api/v1/settings/status"),
        ]:
            # Off first, then on, then off again: the baseline is their mean.
            a = wrk(off.url(path), args.duration, conns, headers)
            b = wrk(on.url(path), args.duration, conns, headers)
            c = wrk(off.url(path), args.duration, conns, headers)
            base = (a["rps"] + c["rps"]) / 2
            report(f"{label} (check on)", f"{b['rps']:.0f}", f"{base:.0f} check off",
                   f"{b['rps'] / base:.2f}x")
            report(f"{label} p50 / p99 ms (check on)", f"{b['p50']:.3f} / {b['p99']:.3f}",
                   f"{a['p50']:.3f} / {a['p99']:.3f}", f"p99 {b['p99'] / a['p99']:.2f}x")
    finally:
        on.stop()
        off.stop()
        shutil.rmtree(work, ignore_errors=True)


def versus(args: argparse.Namespace, report) -> None:
    """Two builds side by side in one run (a redesign must not cost speed):
    the new binary (--bin, default the release build) and --baseline-bin,
    each with its own config folder and its own database holding the same
    data set (500 members, the dashboard's 500 tasks, a task page), measured
    alternately baseline, new, baseline for every case; the baseline figure is
    the mean of its two runs, so a machine that drifts during the run does not
    favour either build."""
    new_bin, old_bin = BIN or RELEASE / "taskflowd", args.baseline_bin
    cluster = Cluster()
    work = Path(tempfile.mkdtemp(prefix="taskflowd-bench-vs-"))
    role, role_pw = "bench", "bench pw@:/?#" + os.urandom(4).hex()
    daemons: dict[str, Daemon] = {}
    try:
        pages = {}
        for name, binary in (("old", old_bin), ("new", new_bin)):
            db = f"bench_{name}"
            cluster.new_database(db, role, role_pw.replace("'", "''"))
            d = Daemon(work / name, bin=binary)
            daemons[name] = d
            d.save_connection({"host": "127.0.0.1", "port": cluster.port, "database": db,
                               "username": role, "password": role_pw})
            for i in range(500):
                d.request("POST", "/api/v1/members", {"name": f"Member {i:03}", "email": f"m{i}@bench.example"})
            _, pages[name], _ = seed_dashboard(d, cluster, db)
        old, new = daemons["old"], daemons["new"]
        # A member write: PATCH of one member's name, a new name every time
        # (so both builds really write: wrk's threads number themselves in
        # `setup`, so no two requests send the same name), at 4 connections.
        renames = work / "rename.lua"
        renames.write_text(
            'local threads = 0\n'
            'function setup(thread) threads = threads + 1; thread:set("tid", threads) end\n'
            'local n = 0\n'
            'request = function()\n'
            '  n = n + 1\n'
            '  return wrk.format("PATCH", nil, nil, \'{"name": "Renamed \' .. tid .. "-" .. n .. \'"}\')\n'
            'end\n')
        first = {n: daemons[n].request("GET", "/api/v1/members")[1][0]["id"] for n in daemons}
        json_body = ("Content-Type: application/json",)
        for label, path, conns, headers, script in [
            ("/health req/s (50 conns)", lambda n: "/health", 50, (), None),
            ("GET /api/v1/members (501 rows) req/s", lambda n: "/api/v1/members", 50, (), None),
            ("PATCH /api/v1/members/{id} (a rename, 4 conns) req/s", lambda n: f"/api/v1/members/{first[n]}", 4,
             json_body, renames),
            ("GET /api/v1/tasks (dashboard, 10 conns) req/s", lambda n: "/api/v1/tasks", 10, (), None),
            ("GET /api/v1/tasks?search=task 4 req/s", lambda n: "/api/v1/tasks?search=task%204", 10, (), None),
            ("GET /api/v1/tasks/{id} (task page, 10 conns) req/s", lambda n: f"/api/v1/tasks/{pages[n]}", 10,
             (), None),
        ]:
            a = wrk(old.url(path("old")), args.duration, conns, headers, script)
            b = wrk(new.url(path("new")), args.duration, conns, headers, script)
            c = wrk(old.url(path("old")), args.duration, conns, headers, script)
            for r in (a, b, c):
                if r["non2xx"]:
                    print(f"  warning: {r['non2xx']} non-2xx answers", flush=True)
            base = (a["rps"] + c["rps"]) / 2
            report(f"{label}", f"{b['rps']:.0f}", f"{base:.0f} {old_bin.name}", f"{b['rps'] / base:.2f}x")
            report(f"{label.replace('req/s', 'p50 / p99 ms')}", f"{b['p50']:.3f} / {b['p99']:.3f}",
                   f"{a['p50']:.3f} / {a['p99']:.3f}", f"p99 {b['p99'] / ((a['p99'] + c['p99']) / 2):.2f}x")
        report("VmRSS after the loads (MiB)", f"{new.rss_mib():.1f}", f"{old.rss_mib():.1f} {old_bin.name}",
               f"{new.rss_mib() / old.rss_mib():.2f}x")
        sizes = [p.stat().st_size / 2**20 for p in (Path(new_bin), Path(old_bin))]
        report("binary size (MiB)", f"{sizes[0]:.1f}", f"{sizes[1]:.1f} {old_bin.name}", f"{sizes[0] / sizes[1]:.2f}x")
    finally:
        for d in daemons.values():
            d.stop()
        cluster.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    global BIN
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", choices=["all", "team", "same-user", "versus", "operators"], default="all",
                    help="what to measure (default all)")
    ap.add_argument("--bin", type=Path, help="taskflowd binary to run (default: the release build)")
    ap.add_argument("--baseline-bin", type=Path, help="versus: the baseline taskflowd binary; operators: a build without metrics and the log file (both required)")
    ap.add_argument("--rounds", type=int, default=3, help="operators: off/on pairs per case (default 3)")
    ap.add_argument("--slots", type=int, default=40, help="team: the server's max_connections (default 40)")
    ap.add_argument("--direct", type=int, default=30, help="team: daemons connecting directly (default 30)")
    ap.add_argument("--pooled", type=int, default=200, help="team: daemons through PgBouncer (default 200)")
    ap.add_argument("--pool-max", type=int, default=1,
                    help="TASKFLOW_DB_POOL_MAX of every daemon started (default 1, the daemon's default)")
    ap.add_argument("--burst", type=int, default=10, help="team: requests per daemon in the burst (default 10)")
    ap.add_argument("--idle-wait", type=int, default=35, help="team: seconds idle before counting sessions")
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    ap.add_argument("--runs", type=int, default=10, help="start-up runs per case (default 10)")
    ap.add_argument("--markdown", type=Path, help="also write the results as Markdown here")
    ap.add_argument("--no-build", action="store_true", help="use the existing release build")
    ap.add_argument("--tasks-only", action="store_true", help="run only the team API figures (8)")
    args = ap.parse_args()
    BIN = args.bin
    # One scenario alone: the release daemon only, figures printed as they come.
    scenarios = {"team": team, "operators": operators, "versus": versus, "same-user": same_user}
    if args.scenario in scenarios:
        if args.scenario != "team" and not shutil.which("wrk"):
            sys.exit("wrk not found: apt-get install wrk")
        if args.scenario in ("operators", "versus") and not args.baseline_bin:
            sys.exit(f"--scenario {args.scenario} needs --baseline-bin OLD_TASKFLOWD "
                     "(operators: a build without metrics and the log file)")
        if not args.no_build and not BIN:
            subprocess.run(["cargo", "build", "--release", "--bin", "taskflowd"], cwd=ROOT, check=True)
        scenarios[args.scenario](args, lambda what, value, baseline, ratio: print(
            f"{what:<58} {value:>14}   baseline {baseline:>14}   {ratio}", flush=True))
        return
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--bin", "taskflowd", "--example", "bare_warp"],
                       cwd=ROOT, check=True)

    rows: list[tuple[str, str, str, str]] = []

    def report(what: str, value: str, baseline: str, ratio: str) -> None:
        rows.append((what, value, baseline, ratio))
        print(f"{what:<58} {value:>22}   baseline {baseline:>22}   {ratio}", flush=True)

    cluster = Cluster()
    work = Path(tempfile.mkdtemp(prefix="taskflowd-bench-"))
    role, role_pw = "bench", "bench pw@:/?#" + os.urandom(4).hex()
    creds = lambda db: {"host": "127.0.0.1", "port": cluster.port, "database": db,  # noqa: E731
                        "username": role, "password": role_pw}
    try:
        cluster.new_database("bench_main", role, role_pw.replace("'", "''"))
        cfg = work / "cfg-main"
        d = Daemon(cfg, TASKFLOW_DB_POOL_MAX=str(args.pool_max))
        d.save_connection(creds("bench_main"))
        time.sleep(1)
        rss_idle = d.rss_mib()
        if args.tasks_only:
            bench_tasks(d, cluster, "bench_main", args.duration, report)
            d.stop()
            raise _Done

        # 1. /health vs bare warp.
        bare_port = free_port()
        bare = subprocess.Popen([str(RELEASE / "examples" / "bare_warp"), str(bare_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        base = wrk(f"http://127.0.0.1:{bare_port}/health", args.duration)
        bare.terminate()
        health = wrk(d.url("/health"), args.duration)
        report("/health req/s (50 conns)", f"{health['rps']:.0f}", f"{base['rps']:.0f} bare warp",
               f"{health['rps'] / base['rps']:.2f}x")
        report("/health p50 / p99 ms", f"{health['p50']:.3f} / {health['p99']:.3f}",
               f"{base['p50']:.3f} / {base['p99']:.3f}", f"p99 {health['p99'] / base['p99']:.2f}x")

        # 2. members list with 500 rows vs /health.
        status, _ = d.request("GET", "/api/v1/members")
        if status == 200:
            for i in range(500):
                d.request("POST", "/api/v1/members", {"name": f"Member {i:03}", "email": f"m{i}@bench.example"})
            members = wrk(d.url("/api/v1/members"), args.duration)
            report("GET /api/v1/members (500 rows) req/s", f"{members['rps']:.0f}",
                   f"{health['rps']:.0f} /health", f"{members['rps'] / health['rps']:.2f}x")
            report("GET /api/v1/members p50 / p99 ms", f"{members['p50']:.3f} / {members['p99']:.3f}",
                   f"{health['p50']:.3f} / {health['p99']:.3f}", f"p99 {members['p99'] / health['p99']:.2f}x")
            if members["non2xx"]:
                print(f"  warning: {members['non2xx']} non-2xx answers", flush=True)
        else:
            report("GET /api/v1/members", f"unavailable ({status})", "-", "-")

        # 8. the team API.
        bench_tasks(d, cluster, "bench_main", args.duration, report)
        rss_loaded = d.rss_mib()

        # 6. isolation: /health p99 while 4 probes hang.
        srv, hang_port = hanging_listener()
        stop_probes = threading.Event()

        def probe_loop() -> None:
            while not stop_probes.is_set():
                try:
                    d.request("POST", "/api/v1/settings/test-connection",
                              dict(creds("x"), port=hang_port))
                except OSError:
                    pass

        threads = [threading.Thread(target=probe_loop, daemon=True) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        hung = wrk(d.url("/health"), args.duration)
        stop_probes.set()
        report("/health p99 ms with 4 hanging probes", f"{hung['p99']:.3f}", f"{health['p99']:.3f} idle",
               f"{hung['p99'] / health['p99']:.2f}x")
        for t in threads:
            t.join(timeout=10)
        srv.close()

        # 5. recovery after a 10 s outage.
        cluster.stop()
        time.sleep(10)
        cluster.start()
        t0 = time.perf_counter()
        recovery = d.wait_healthy_since(t0)
        report("recovery: PostgreSQL accepting -> first 200 (s)", f"{recovery:.2f}", "5.00 backoff cap",
               f"{recovery / 5.0:.2f}x")
        d.stop()

        # 4. memory.
        report("VmRSS idle after start (MiB)", f"{rss_idle:.1f}", "20 target", f"{rss_idle / 20:.2f}x")
        report("VmRSS after the loads (MiB)", f"{rss_loaded:.1f}", "40 target", f"{rss_loaded / 40:.2f}x")

        # 3. start -> healthy, migrated and empty databases.
        migrated, empty = [], []
        for _ in range(args.runs):
            d = Daemon(cfg)
            migrated.append(d.first_healthy())
            d.stop()
        cluster.new_database("bench_empty", role, role_pw.replace("'", "''"))
        cfg_empty = work / "cfg-empty"
        d = Daemon(cfg_empty)
        time.sleep(0.3)
        d.request("POST", "/api/v1/settings/save-connection", creds("bench_empty"))
        d.wait_healthy_since(time.perf_counter())
        d.stop()
        for _ in range(args.runs):
            cluster.new_database("bench_empty", role, role_pw.replace("'", "''"))
            d = Daemon(cfg_empty)
            empty.append(d.first_healthy())
            d.stop()
        m_med, e_med = statistics.median(migrated) * 1000, statistics.median(empty) * 1000
        report(f"start -> healthy, migrated db (median of {args.runs}, ms)", f"{m_med:.0f}", "200 shell poll",
               f"{m_med / 200:.2f}x")
        report(f"start -> healthy, empty db (median of {args.runs}, ms)", f"{e_med:.0f}",
               f"{m_med:.0f} migrated", f"{e_med / m_med:.2f}x")

        # 7. binary size.
        size = (RELEASE / "taskflowd").stat().st_size / (1024 * 1024)
        bare_size = (RELEASE / "examples" / "bare_warp").stat().st_size / (1024 * 1024)
        report("release binary size (MiB)", f"{size:.1f}", f"{bare_size:.1f} bare warp", f"{size / bare_size:.2f}x")
    except _Done:
        pass
    finally:
        cluster.close()
        shutil.rmtree(work, ignore_errors=True)

    if args.markdown:
        cpu = platform.processor() or platform.machine()
        lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores ({cpu}), "
                 f"`python3 scripts/bench.py --duration {args.duration} --runs {args.runs}"
                 f"{' --tasks-only' if args.tasks_only else ''}`.", "",
                 "| measure | taskflowd | baseline (same run) | ratio |", "|---|---|---|---|"]
        lines += [f"| {a} | {b} | {c} | {r} |" for a, b, c, r in rows]
        args.markdown.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
