#!/usr/bin/env python3
"""Benchmark of `migrate` against refinery, sqlx and diesel_migrations.

Called by bench/run.sh, which starts a throwaway PostgreSQL 15 cluster and
passes its port and log file. Standard library only (Python 3.11).

What it does, for each N (see BENCHMARKS.md for the method):
  1. writes the same N migrations in each library's file format into each
     runner's migrations/ folder and builds the runners (--release);
  2. times fresh applies (a fresh empty database per run) and no-op boots
     (everything applied already; the floor runner, connect + SELECT 1, as a
     row), each run a whole process from spawn to exit;
  3. counts round trips with a TCP proxy and statements from the server log;
  4. boots 8 processes at once on an empty database;
  5. makes test databases with `migrate::testing` (cloned from a template)
     and by migrating an empty database each time;
  6. at the largest N, times `cargo build --release -p <runner>` after
     editing one migration and after adding one, and checks whether the
     binary picked the change up.
Prints a markdown report and writes it to bench/results/latest.md, with the
raw numbers in bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import hashlib
import json
import os
import platform
import re
import selectors
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RUNNERS = BENCH / "runners"
TARGET = BENCH / "target" / "release"
RESULTS = BENCH / "results"

LIBS = ["migrate", "migrate-async", "refinery", "sqlx", "diesel"]
# Ours: `migrate` on the sync client, `migrate-async` on tokio-postgres.
OURS = ["migrate", "migrate-async"]
PEERS = [lib for lib in LIBS if lib not in OURS]
# The rebuild is timed once for ours: both runners embed with the same macro.
REBUILT = [lib for lib in LIBS if lib != "migrate-async"]
FLOOR = "floor"

# Each library's tracking table (for the concurrency and apply checks).
TRACKING = {
    "migrate": "migrate_history",
    "migrate-async": "migrate_history",
    "refinery": "refinery_schema_history",
    "sqlx": "_sqlx_migrations",
    "diesel": "__diesel_schema_migrations",
}


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# A minimal PostgreSQL client (simple query protocol, trust auth) for the
# harness's own administration: creating and dropping databases, checks.


class PgError(Exception):
    pass


class Pg:
    def __init__(self, port: int, db: str = "postgres", user: str = "postgres"):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        params = f"user\0{user}\0database\0{db}\0\0".encode()
        self.sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        self._until_ready()

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise PgError("connection closed by the server")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _message(self) -> tuple[bytes, bytes]:
        head = self._read(5)
        kind, length = head[:1], struct.unpack("!i", head[1:])[0]
        return kind, self._read(length - 4)

    def _until_ready(self) -> list[list[str | None]]:
        rows: list[list[str | None]] = []
        error = None
        while True:
            kind, body = self._message()
            if kind == b"R":
                (code,) = struct.unpack("!i", body[:4])
                if code != 0:
                    raise PgError(f"authentication method {code} is not supported (use trust)")
            elif kind == b"D":
                (ncols,) = struct.unpack("!h", body[:2])
                pos, row = 2, []
                for _ in range(ncols):
                    (n,) = struct.unpack("!i", body[pos : pos + 4])
                    pos += 4
                    if n < 0:
                        row.append(None)
                    else:
                        row.append(body[pos : pos + n].decode())
                        pos += n
                rows.append(row)
            elif kind == b"E":
                fields = dict(
                    (f[:1], f[1:].decode(errors="replace")) for f in body.split(b"\0") if f
                )
                error = PgError(f"{fields.get(b'S', 'ERROR')}: {fields.get(b'M', '?')}")
            elif kind == b"Z":
                if error:
                    raise error
                return rows

    def query(self, sql: str) -> list[list[str | None]]:
        data = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", 4 + len(data)) + data)
        return self._until_ready()

    def scalar(self, sql: str) -> str | None:
        rows = self.query(sql)
        return rows[0][0] if rows else None

    def close(self) -> None:
        try:
            self.sock.sendall(b"X" + struct.pack("!i", 4))
        except OSError:
            pass
        self.sock.close()


class Cluster:
    """The throwaway cluster started by run.sh."""

    def __init__(self, port: int, logfile: Path | None):
        self.port = port
        self.logfile = logfile
        self.admin = Pg(port)
        self.serial = 0

    def url(self, db: str, port: int | None = None) -> str:
        return f"postgres://postgres@127.0.0.1:{port or self.port}/{db}"

    def create(self, prefix: str, log_statements: bool = False) -> str:
        self.serial += 1
        # A library's name may hold a hyphen (migrate-async).
        db = f"b_{prefix.replace('-', '_')}_{self.serial}"
        self.admin.query(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        self.admin.query(f"CREATE DATABASE {db}")
        if log_statements:
            self.admin.query(f"ALTER DATABASE {db} SET log_statement = 'all'")
        return db

    def drop(self, db: str) -> None:
        self.admin.query(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")

    def in_db(self, db: str, sql: str) -> list[list[str | None]]:
        conn = Pg(self.port, db)
        try:
            return conn.query(sql)
        finally:
            conn.close()

    def tables(self, db: str) -> int:
        rows = self.in_db(
            db,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename ~ '^t_[0-9]+$'",
        )
        return int(rows[0][0])

    def log_size(self) -> int:
        return self.logfile.stat().st_size if self.logfile else 0

    def statements_since(self, offset: int, db: str) -> dict[str, int]:
        """Statements the server logged for `db` (log_statement = all)."""
        if not self.logfile:
            return {}
        with open(self.logfile, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        simple = extended = 0
        prefix = f"[{db}] LOG:  "
        for line in text.splitlines():
            if line.startswith(prefix + "statement: "):
                simple += 1
            elif line.startswith(prefix + "execute "):
                extended += 1
        return {"statements": simple + extended, "simple": simple, "extended": extended}

    def errors_since(self, offset: int, db: str) -> list[dict]:
        """The ERROR lines the server logged for `db`, each with the
        statement it logged with it (log_min_error_statement = error)."""
        if not self.logfile:
            return []
        with open(self.logfile, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        prefix = f"[{db}] "
        errors: list[dict] = []
        in_statement = False
        for line in text.splitlines():
            if line.startswith(prefix + "ERROR:  "):
                errors.append({"error": line[len(prefix) + 8 :], "statement": ""})
                in_statement = False
            elif line.startswith(prefix + "STATEMENT:  ") and errors and not errors[-1]["statement"]:
                errors[-1]["statement"] = line[len(prefix) + 12 :]
                in_statement = True
            elif re.match(r"\[[A-Za-z0-9_]*\] [A-Z]+:  ", line):
                in_statement = False
            elif in_statement:
                errors[-1]["statement"] += "\n" + line
        return errors


# --------------------------------------------------------------------------
# The migrations, in each library's own format.


def up_sql(n: int, extra_column: bool = False) -> str:
    extra = "    note TEXT,\n" if extra_column else ""
    return (
        f"CREATE TABLE t_{n} (\n"
        "    id BIGSERIAL PRIMARY KEY,\n"
        "    account_id BIGINT NOT NULL,\n"
        "    label TEXT NOT NULL DEFAULT '',\n"
        f"{extra}"
        "    created_at TIMESTAMPTZ NOT NULL DEFAULT now()\n"
        ");\n"
        f"CREATE INDEX t_{n}_account_created_idx ON t_{n} (account_id, created_at);\n"
    )


def down_sql(n: int) -> str:
    return f"DROP TABLE t_{n};\n"


def migration_files(lib: str, n: int) -> dict[str, str]:
    """Relative path -> content of migration `n` for `lib`."""
    if lib in OURS + ["sqlx"]:
        # migrate: NNNN_name.up.sql/.down.sql; sqlx: its reversible format.
        stem = f"{n:04d}_create_t_{n}"
        return {f"{stem}.up.sql": up_sql(n), f"{stem}.down.sql": down_sql(n)}
    if lib == "refinery":
        return {f"V{n}__create_t_{n}.sql": up_sql(n)}
    if lib == "diesel":
        folder = f"{n:014d}_create_t_{n}"
        return {f"{folder}/up.sql": up_sql(n), f"{folder}/down.sql": down_sql(n)}
    raise ValueError(lib)


def up_file(lib: str, n: int) -> str:
    return next(p for p in migration_files(lib, n) if "down" not in p)


def generate(n_total: int) -> None:
    for lib in LIBS:
        folder = RUNNERS / lib / "migrations"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for n in range(1, n_total + 1):
            for rel, text in migration_files(lib, n).items():
                path = folder / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)


def write_migration(lib: str, n: int, extra_column: bool = False) -> None:
    folder = RUNNERS / lib / "migrations"
    for rel, text in migration_files(lib, n).items():
        if extra_column and "down" not in rel:
            text = up_sql(n, extra_column=True)
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def remove_migration(lib: str, n: int) -> None:
    folder = RUNNERS / lib / "migrations"
    for rel in migration_files(lib, n):
        (folder / rel).unlink()
    if lib == "diesel":
        (folder / f"{n:014d}_create_t_{n}").rmdir()


# --------------------------------------------------------------------------
# Building.


def cargo_env() -> dict[str, str]:
    env = dict(os.environ)
    # Keep the build environment identical from build to build (sqlx's
    # macros look at DATABASE_URL), so that no rebuild is spurious.
    for key in ("DATABASE_URL", "SQLX_OFFLINE"):
        env.pop(key, None)
    return env


def cargo_build(package: str, logpath: Path) -> tuple[float, list[str]]:
    """`cargo build --release -p <package>`: its wall time and the crates it
    compiled."""
    cmd = ["cargo", "build", "--release", "-p", package]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=BENCH, env=cargo_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - started
    with open(logpath, "ab") as out:
        out.write(f"$ {' '.join(cmd)}  # {elapsed:.2f} s\n".encode() + proc.stdout)
    if proc.returncode != 0:
        raise SystemExit(f"cargo build failed ({' '.join(cmd)}); see {logpath}")
    compiled = re.findall(r"^\s*Compiling (\S+) ", proc.stdout.decode(errors="replace"), re.M)
    return elapsed, compiled


# The test databases of `migrate::testing` (runners/testing): embeds the
# migrate runner's set, so it is built after each generate().
TESTING = "testing"


def build_all(logpath: Path) -> dict[str, float]:
    """Builds each runner on its own (`-p`), so that no runner's binary gets
    features of a dependency that only another runner asked for."""
    return {lib: cargo_build(f"bench-{lib}", logpath)[0] for lib in LIBS + [FLOOR, TESTING]}


def binary(lib: str) -> str:
    return str(TARGET / f"bench-{lib}")


# --------------------------------------------------------------------------
# Running a runner process.


def runner_env(url: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": url}


# The floor runner in its raw mode: each migration's SQL as one message in a
# transaction, no tracking (see runners/floor/src/main.rs).
RAW = "raw"


def run_once(lib: str, url: str) -> dict:
    env = runner_env(url)
    if lib == RAW:
        lib = FLOOR
        env["BENCH_FLOOR_SQL_DIR"] = str(RUNNERS / "migrate" / "migrations")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [binary(lib)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    return {
        "wall_ms": wall * 1000,
        "rc": proc.returncode,
        "stdout": out.decode(errors="replace").strip(),
        "stderr": err.decode(errors="replace").strip(),
    }


def applied_count(result: dict) -> int | None:
    m = re.search(r"applied (\d+)", result["stdout"])
    return int(m.group(1)) if m else None


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
        "samples": [round(v, 3) for v in values],
    }


# --------------------------------------------------------------------------
# The counting proxy.


def _int32(b: bytes) -> int:
    return struct.unpack("!i", b)[0]


class ClientParser:
    """Splits the frontend byte stream into messages."""

    def __init__(self) -> None:
        self.buf = b""
        self.startup = True

    def feed(self, data: bytes) -> list[str]:
        self.buf += data
        out = []
        while True:
            if self.startup:
                if len(self.buf) < 8:
                    break
                length = _int32(self.buf[:4])
                if len(self.buf) < length:
                    break
                code = _int32(self.buf[4:8])
                self.buf = self.buf[length:]
                if code == 80877103:
                    out.append("<ssl>")
                elif code == 80877104:
                    out.append("<gss>")
                elif code == 80877102:
                    out.append("<cancel>")
                else:
                    out.append("<startup>")
                    self.startup = False
            else:
                if len(self.buf) < 5:
                    break
                length = _int32(self.buf[1:5])
                if len(self.buf) < 1 + length:
                    break
                out.append(chr(self.buf[0]))
                self.buf = self.buf[1 + length :]
        return out


class ServerParser:
    """Splits the backend byte stream into messages; the answer to an
    SSLRequest or GSSENCRequest is a single byte."""

    def __init__(self) -> None:
        self.buf = b""
        self.single_bytes = 0

    def feed(self, data: bytes) -> list[str]:
        self.buf += data
        out = []
        while True:
            if self.single_bytes and self.buf:
                out.append(f"<{chr(self.buf[0])}>")
                self.buf = self.buf[1:]
                self.single_bytes -= 1
                continue
            if len(self.buf) < 5:
                break
            length = _int32(self.buf[1:5])
            if len(self.buf) < 1 + length:
                break
            out.append(chr(self.buf[0]))
            self.buf = self.buf[1 + length :]
        return out


class ConnStats:
    def __init__(self) -> None:
        self.turns = 0
        self.handshake_turns: int | None = None
        self.turn_messages: list[list[str]] = []
        self.client_messages: collections.Counter = collections.Counter()
        self.server_messages: collections.Counter = collections.Counter()
        self.bytes_up = 0
        self.bytes_down = 0

    def result(self) -> dict:
        signatures = ["".join(m) for m in self.turn_messages]
        terminate_only = sum(1 for s in signatures if s == "X")
        handshake = self.handshake_turns if self.handshake_turns is not None else self.turns
        return {
            "turns": self.turns,
            "handshake_turns": handshake,
            "terminate_only_turns": terminate_only,
            "own_turns": self.turns - handshake - terminate_only,
            "turn_kinds": dict(collections.Counter(signatures[handshake:])),
            "client_messages": dict(self.client_messages),
            "server_messages": dict(self.server_messages),
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
            "first_turns": signatures[:12],
        }


class CountingProxy:
    """Forwards 127.0.0.1:<port> to the cluster and counts, per connection,
    the turns: each time the client sends after the server has sent (the
    first send included), i.e. request -> response exchanges. The messages
    are parsed so that the startup handshake (up to the first ReadyForQuery)
    and a final Terminate-only send can be told apart."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.cv = threading.Condition()
        self.active = 0
        self.finished: list[ConnStats] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.cv:
                self.active += 1
            threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client: socket.socket) -> None:
        stats = ConnStats()
        try:
            server = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            client.close()
            with self.cv:
                self.active -= 1
                self.cv.notify_all()
            return
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cparse, sparse = ClientParser(), ServerParser()
        last = None
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ, "c")
        sel.register(server, selectors.EVENT_READ, "s")
        open_sides = 2
        try:
            while open_sides:
                for key, _ in sel.select():
                    side = key.data
                    src = key.fileobj
                    dst = server if side == "c" else client
                    try:
                        data = src.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(src)
                        open_sides -= 1
                        try:
                            dst.shutdown(socket.SHUT_WR)
                        except OSError:
                            pass
                        continue
                    if side == "c":
                        if last != "c":
                            stats.turns += 1
                            stats.turn_messages.append([])
                        last = "c"
                        stats.bytes_up += len(data)
                        msgs = cparse.feed(data)
                        stats.turn_messages[-1].extend(msgs)
                        stats.client_messages.update(msgs)
                        sparse.single_bytes += sum(1 for m in msgs if m in ("<ssl>", "<gss>"))
                    else:
                        last = "s"
                        stats.bytes_down += len(data)
                        msgs = sparse.feed(data)
                        stats.server_messages.update(msgs)
                        if "Z" in msgs and stats.handshake_turns is None:
                            stats.handshake_turns = stats.turns
                    try:
                        dst.sendall(data)
                    except OSError:
                        pass
        finally:
            sel.close()
            client.close()
            server.close()
            with self.cv:
                self.finished.append(stats)
                self.active -= 1
                self.cv.notify_all()

    def collect(self, timeout: float = 30) -> list[dict]:
        """Waits for every connection to close; returns and clears their stats."""
        with self.cv:
            self.cv.wait_for(lambda: self.active == 0, timeout)
            done, self.finished = self.finished, []
        return [s.result() for s in done]


def counted_run(cluster: Cluster, proxy: CountingProxy, lib: str, db: str) -> dict:
    offset = cluster.log_size()
    result = run_once(lib, cluster.url(db, proxy.port))
    conns = proxy.collect()
    time.sleep(0.05)  # let the server finish writing its log lines
    out = {
        "rc": result["rc"],
        "applied": applied_count(result),
        "stderr": result["stderr"][-2000:],
        "connections": len(conns),
        "turns": sum(c["turns"] for c in conns),
        "handshake_turns": sum(c["handshake_turns"] for c in conns),
        "terminate_only_turns": sum(c["terminate_only_turns"] for c in conns),
        "own_turns": sum(c["own_turns"] for c in conns),
        "per_connection": conns,
    }
    out.update(cluster.statements_since(offset, db))
    return out


# --------------------------------------------------------------------------
# The measures.


def rotated(items: list[str], r: int) -> list[str]:
    r %= len(items)
    return items[r:] + items[:r]


def measure_fresh(cluster: Cluster, n: int, runs: int) -> dict:
    everyone = LIBS + [RAW]
    walls: dict[str, list[float]] = {lib: [] for lib in everyone}
    errors: dict[str, list[str]] = {lib: [] for lib in everyone}
    for r in range(runs):
        for lib in rotated(everyone, r):
            db = cluster.create(f"fresh_{lib}")
            res = run_once(lib, cluster.url(db))
            tables = cluster.tables(db)
            cluster.drop(db)
            if res["rc"] != 0 or tables != n:
                errors[lib].append(f"rc={res['rc']} tables={tables}: {res['stderr'][-500:]}")
                continue
            walls[lib].append(res["wall_ms"])
        log(f"  fresh apply N={n} round {r + 1}/{runs}: "
            + ", ".join(f"{lib} {walls[lib][-1]:.0f} ms" for lib in everyone if walls[lib]))
    return {lib: {**summary(walls[lib]), "errors": errors[lib]} for lib in everyone}


def measure_noop(cluster: Cluster, n: int, runs: int) -> dict:
    dbs = {}
    for lib in LIBS:
        db = cluster.create(f"noop_{lib}")
        res = run_once(lib, cluster.url(db))
        if res["rc"] != 0:
            log(f"  {lib}: the first apply failed: {res['stderr'][-500:]}")
        dbs[lib] = db
    dbs[FLOOR] = cluster.create("noop_floor")
    everyone = LIBS + [FLOOR]
    walls: dict[str, list[float]] = {lib: [] for lib in everyone}
    errors: dict[str, list[str]] = {lib: [] for lib in everyone}
    for lib in everyone:  # warm-up (page cache, server caches)
        run_once(lib, cluster.url(dbs[lib]))
    for r in range(runs):
        for lib in rotated(everyone, r):
            res = run_once(lib, cluster.url(dbs[lib]))
            if res["rc"] != 0 or applied_count(res) not in (0, None):
                errors[lib].append(f"rc={res['rc']} {res['stdout']} {res['stderr'][-300:]}")
                continue
            walls[lib].append(res["wall_ms"])
    for lib in LIBS:
        tables = cluster.tables(dbs[lib])
        if tables != n:
            errors[lib].append(f"{tables} tables after the no-op runs, expected {n}")
    for db in dbs.values():
        cluster.drop(db)
    out = {lib: {**summary(walls[lib]), "errors": errors[lib]} for lib in everyone}
    log(f"  no-op boot N={n} medians: "
        + ", ".join(f"{lib} {out[lib].get('median', float('nan')):.1f} ms" for lib in everyone))
    return out


def measure_round_trips(cluster: Cluster, proxy: CountingProxy, n: int) -> dict:
    out = {}
    db = cluster.create("rt_floor", log_statements=True)
    out[FLOOR] = {"noop": counted_run(cluster, proxy, FLOOR, db)}
    cluster.drop(db)
    for lib in LIBS:
        db = cluster.create(f"rt_{lib}", log_statements=True)
        fresh = counted_run(cluster, proxy, lib, db)
        noop = counted_run(cluster, proxy, lib, db)
        fresh["tables"] = cluster.tables(db)
        cluster.drop(db)
        out[lib] = {"fresh": fresh, "noop": noop}
        log(f"  round trips N={n} {lib}: fresh {fresh['own_turns']} own turns "
            f"({fresh['own_turns'] / n:.2f}/migration), {fresh.get('statements')} statements; "
            f"no-op {noop['own_turns']} own turns, {noop.get('statements')} statements")
    floor_total = out[FLOOR]["noop"]["turns"]
    for lib in LIBS:
        for phase in ("fresh", "noop"):
            r = out[lib][phase]
            # The formula: total minus (floor's total - 1).
            r["turns_minus_floor"] = r["turns"] - (floor_total - 1)
    return out


def measure_testing(cluster: Cluster, n: int, k: int) -> dict:
    """A test's database with the set applied: cloned from the template
    (`migrate::testing`, built by the first) against an empty database
    migrated each time, `k` of each, in one process (runners/testing)."""
    db = cluster.create("testing_admin")
    env = runner_env(cluster.url(db))
    env["BENCH_TESTING_DBS"] = str(k)
    proc = subprocess.run([binary(TESTING)], env=env, capture_output=True, text=True)
    cluster.drop(db)
    if proc.returncode != 0:
        log(f"  WARNING: the testing runner failed: {proc.stderr.strip()[-500:]}")
        return {"error": proc.stderr.strip()[-500:]}
    raw = json.loads(proc.stdout)
    return {
        "migrations": raw["migrations"],
        "first_ms": raw["first_ms"],
        "clone_ms": summary(raw["clone_ms"]),
        "drop_ms": summary(raw["drop_ms"]),
        "migrate_ms": summary(raw["migrate_ms"]),
    }


def measure_concurrent(cluster: Cluster, n: int, procs: int, trials: int) -> dict:
    out = {}
    gate_dir = Path(tempfile.mkdtemp(prefix="migrate-bench-gate-"))
    try:
        for lib in LIBS:
            trial_results = []
            for t in range(trials):
                trial_results.append(_concurrent_trial(cluster, lib, n, procs, gate_dir, t))
            out[lib] = {
                "trials": trial_results,
                "ok": sum(r["ok"] for r in trial_results),
                "runs": procs * trials,
                "failed": sum(r["failed"] for r in trial_results),
                "double_apply_errors": sum(r["double_apply_errors"] for r in trial_results),
                "setup_errors": sum(r["setup_errors"] for r in trial_results),
                "stderr_already_exists": sum(r["stderr_already_exists"] for r in trial_results),
                "duplicate_rows": sum(r["duplicate_rows"] for r in trial_results),
                "extra_apply_events": sum(r.get("extra_apply_events", 0) for r in trial_results),
                "complete": sum(1 for r in trial_results if r["complete"]),
                "wall_ms": summary([r["wall_ms"] for r in trial_results]),
                "trial_count": trials,
            }
            log(f"  {procs} concurrent boots N={n} {lib}: {out[lib]['ok']}/{out[lib]['runs']} ok, "
                f"{out[lib]['double_apply_errors']} double-apply errors, {out[lib]['setup_errors']} setup errors, "
                f"median {out[lib]['wall_ms']['median']:.0f} ms")
    finally:
        shutil.rmtree(gate_dir, ignore_errors=True)
    return out


DOUBLE_APPLY = re.compile(r"already exists|duplicate key", re.IGNORECASE)


MIGRATION_SQL = re.compile(r"CREATE TABLE t_\d+ \(")


def _concurrent_trial(cluster: Cluster, lib: str, n: int, procs: int, gate_dir: Path, t: int) -> dict:
    db = cluster.create(f"conc_{lib}")
    log_offset = cluster.log_size()
    gate = gate_dir / f"gate_{lib}_{t}"
    os.mkfifo(gate)
    env = runner_env(cluster.url(db))
    children = []
    for i in range(procs):
        out = open(gate_dir / f"{lib}_{t}_{i}.out", "w+b")
        err = open(gate_dir / f"{lib}_{t}_{i}.err", "w+b")
        # Each child blocks opening the FIFO until the harness opens it for
        # writing, which releases all of them at the same instant.
        p = subprocess.Popen(
            ["sh", "-c", ': < "$1"; exec "$2"', "sh", str(gate), binary(lib)],
            env=env, stdout=out, stderr=err,
        )
        children.append((p, out, err))
    time.sleep(0.3)  # every child is now blocked in open()
    ends = [0.0] * procs

    def wait(i: int, p: subprocess.Popen) -> None:
        p.wait()
        ends[i] = time.perf_counter()

    waiters = [threading.Thread(target=wait, args=(i, c[0])) for i, c in enumerate(children)]
    for w in waiters:
        w.start()
    started = time.perf_counter()
    fd = os.open(gate, os.O_WRONLY)
    for w in waiters:
        w.join()
    os.close(fd)
    wall = max(ends) - started
    results = []
    for p, out, err in children:
        out.seek(0)
        err.seek(0)
        results.append({
            "rc": p.returncode,
            "stdout": out.read().decode(errors="replace").strip(),
            "stderr": err.read().decode(errors="replace").strip(),
        })
        out.close()
        err.close()
    table = TRACKING[lib]
    rows, distinct = cluster.in_db(db, f"SELECT count(*), count(DISTINCT version) FROM {table}")[0]
    tables = cluster.tables(db)
    extra = {}
    if lib in OURS:
        events = cluster.in_db(db, "SELECT count(*) FROM migrate_history_events WHERE event = 'apply'")
        extra["apply_events"] = int(events[0][0])
        extra["extra_apply_events"] = int(events[0][0]) - n
    cluster.drop(db)
    # The server's view: an error raised by a migration's own SQL (its
    # CREATE TABLE t_<n>) is a second apply of a migration; any other is the
    # runner's own setup (creating its tracking table, say).
    server_errors = cluster.errors_since(log_offset, db)
    in_migration = [e for e in server_errors if MIGRATION_SQL.search(e["statement"])]
    failed = [r for r in results if r["rc"] != 0]
    applied = [applied_count(r) for r in results if r["rc"] == 0]
    return {
        "ok": procs - len(failed),
        "failed": len(failed),
        "double_apply_errors": len(in_migration),
        "setup_errors": len(server_errors) - len(in_migration),
        "server_errors": sorted({e["error"][:200] for e in server_errors}),
        "stderr_already_exists": sum(1 for r in failed if DOUBLE_APPLY.search(r["stderr"])),
        "errors": sorted({r["stderr"].splitlines()[0][:300] if r["stderr"] else f"rc={r['rc']}" for r in failed}),
        "applied_per_process": applied,
        "tracking_rows": int(rows),
        "distinct_versions": int(distinct),
        "duplicate_rows": int(rows) - int(distinct),
        "tables": tables,
        "complete": tables == n and int(distinct) == n,
        "wall_ms": wall * 1000,
        "process_ms": sorted(round((e - started) * 1000, 1) for e in ends),
        **extra,
    }


def measure_rebuild(cluster: Cluster, n: int, samples: int, logpath: Path) -> dict:
    """Times `cargo build --release -p <runner>` after editing migration N/2
    (and after restoring it: each is a sample) and after adding migration
    N+1, with each runner warm. A sample during which cargo compiled any
    other crate (the library under test being edited meanwhile, say) is
    set aside and taken again."""
    out = {}
    k = max(1, n // 2)
    for lib in REBUILT:
        pkg = f"bench-{lib}"
        cargo_build(pkg, logpath)  # warm
        noop_build = cargo_build(pkg, logpath)[0]
        edit_times: list[float] = []
        set_aside: list[dict] = []
        edit_noticed = None
        edited = False
        attempts = 0
        while len(edit_times) < samples and attempts < 3 * samples:
            attempts += 1
            edited = not edited
            write_migration(lib, k, extra_column=edited)
            seconds, compiled = cargo_build(pkg, logpath)
            others = [c for c in compiled if c != pkg]
            if others:
                set_aside.append({"s": seconds, "also_compiled": others})
                continue
            edit_times.append(seconds)
            if edited and edit_noticed is None:
                db = cluster.create(f"edit_{lib}")
                res = run_once(lib, cluster.url(db))
                cols = cluster.in_db(
                    db,
                    "SELECT count(*) FROM information_schema.columns "
                    f"WHERE table_name = 't_{k}' AND column_name = 'note'",
                )
                edit_noticed = res["rc"] == 0 and cols[0][0] == "1"
                cluster.drop(db)
        if edited:
            write_migration(lib, k, extra_column=False)
            cargo_build(pkg, logpath)
        # Add migration N+1, build, apply on a fresh database; remove it.
        for _ in range(3):
            write_migration(lib, n + 1)
            add_time, compiled = cargo_build(pkg, logpath)
            others = [c for c in compiled if c != pkg]
            db = cluster.create(f"add_{lib}")
            res = run_once(lib, cluster.url(db))
            tables = cluster.tables(db)
            cluster.drop(db)
            remove_migration(lib, n + 1)
            remove_time = cargo_build(pkg, logpath)[0]
            if not others:
                break
            set_aside.append({"s": add_time, "also_compiled": others, "add": True})
        out[lib] = {
            "noop_build_s": noop_build,
            "edit_s": summary(edit_times),
            "edit_noticed": edit_noticed,
            "edited_migration": k,
            "add_s": add_time,
            "add_noticed": tables == n + 1,
            "add_tables": tables,
            "add_rc": res["rc"],
            "add_stderr": res["stderr"][-500:],
            "remove_build_s": remove_time,
            "set_aside": set_aside,
        }
        log(f"  rebuild N={n} {lib}: edit median {out[lib]['edit_s'].get('median', float('nan')):.2f} s "
            f"(noticed: {edit_noticed}), add {add_time:.2f} s (noticed: {tables == n + 1})"
            + (f"; {len(set_aside)} sample(s) set aside" if set_aside else ""))
    # The floor runner (connect + SELECT 1 with the postgres crate) after its
    # source is touched: what compiling and linking any small binary on the
    # `postgres` crate costs here.
    main_rs = RUNNERS / FLOOR / "src" / "main.rs"
    floor_times = []
    for _ in range(samples):
        os.utime(main_rs)
        seconds, compiled = cargo_build(f"bench-{FLOOR}", logpath)
        if all(c == f"bench-{FLOOR}" for c in compiled):
            floor_times.append(seconds)
    out[FLOOR] = {"touch_s": summary(floor_times)}
    log(f"  rebuild floor (touch main.rs): median {out[FLOOR]['touch_s'].get('median', float('nan')):.2f} s")
    return out


# --------------------------------------------------------------------------
# Reporting.


def fmt_ms(v: float | None) -> str:
    if v is None:
        return "—"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}"


def conc_errors(c: dict) -> str:
    parts = []
    if c["double_apply_errors"]:
        parts.append(f"{c['double_apply_errors']} double apply")
    if c.get("setup_errors"):
        parts.append(f"{c['setup_errors']} setup")
    return ", ".join(parts) or "0"


def fmt_s(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def crate_versions() -> dict[str, str]:
    lock = BENCH / "Cargo.lock"
    versions: dict[str, str] = {}
    if not lock.exists():
        return versions
    text = lock.read_text()
    for block in text.split("[[package]]"):
        name = re.search(r'^name = "([^"]+)"', block, re.M)
        version = re.search(r'^version = "([^"]+)"', block, re.M)
        if name and version:
            if name.group(1) in (
                "migrate", "refinery", "refinery-core", "sqlx", "sqlx-postgres",
                "diesel", "diesel_migrations", "postgres", "tokio-postgres", "tokio", "pq-sys",
            ):
                versions[name.group(1)] = version.group(1)
    return versions


def render(data: dict) -> str:
    lines: list[str] = []
    meta = data["meta"]
    conc_n = meta["concurrency"]
    lines.append(f"# Benchmark results ({meta['finished']})")
    lines.append("")
    lines.append(
        f"{meta['cpus']} CPUs, {meta['platform']}; PostgreSQL {meta['server_version'].split()[0]} "
        "(throwaway cluster on tmpfs: fsync, synchronous_commit, full_page_writes and autovacuum off); "
        f"{meta['rustc']}. Each time is a whole process, spawn to exit, measured by bench.py; "
        f"{meta['runs']} fresh applies and {meta['noop_runs']} no-op boots per library and N, "
        f"interleaved; {meta['concurrency_trials']} trial(s) of {conc_n} simultaneous boots. "
        f"Whole run: {meta['elapsed_s'] / 60:.0f} min."
    )
    lines.append("")
    lines.append("Crates: " + ", ".join(f"{k} {v}" for k, v in sorted(meta["crates"].items())) + ".")
    start, end = meta.get("library_at_start", {}), meta.get("library_at_end", {})
    if start:
        state = f"migrate at commit {start['commit']}"
        state += " with local changes" if start["local_changes"] else ", no local changes"
        if start != end:
            state += f"; **the library changed during the run** (commit {end.get('commit')} at the end)"
        lines += ["", state + "."]
    for n_key, per_n in data["by_n"].items():
        n = int(n_key)
        fresh, noop = per_n["fresh"], per_n["noop"]
        rt, conc = per_n["round_trips"], per_n["concurrent"]
        floor_med = noop[FLOOR].get("median")
        lines += ["", f"## N = {n:,}", ""]
        lines.append(
            "| library | fresh apply min / median (ms) | no-op boot min / median (ms) | no-op ÷ floor "
            "| round trips per migration (fresh) | no-op round trips | statements per migration (fresh) "
            f"| no-op statements | {conc_n} at once: ok | {conc_n} at once: errors ³ | {conc_n} at once: wall (ms) |"
        )
        lines.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for lib in LIBS + [FLOOR]:
            o = noop.get(lib, {})
            noop_cell = f"{fmt_ms(o.get('min'))} / {fmt_ms(o.get('median'))}" if o.get("n") else "error"
            if o.get("errors"):
                noop_cell += f" ({len(o['errors'])} failed)"
            ratio = f"{o['median'] / floor_med:.2f}×" if o.get("n") and floor_med else "—"
            if lib == FLOOR:
                r = rt[FLOOR]["noop"]
                f = fresh.get(RAW, {})
                raw_cell = f"{fmt_ms(f.get('min'))} / {fmt_ms(f.get('median'))}" if f.get("n") else "—"
                lines.append(
                    f"| floor ¹ | {raw_cell} | {noop_cell} | 1.00× | (1) | "
                    f"{r['own_turns']} | (1) | {r.get('statements', '—')} | — | — | — |"
                )
                continue
            f = fresh.get(lib, {})
            fresh_cell = f"{fmt_ms(f.get('min'))} / {fmt_ms(f.get('median'))}" if f.get("n") else "error"
            if f.get("errors"):
                fresh_cell += f" ({len(f['errors'])} failed)"
            rf, rn = rt[lib]["fresh"], rt[lib]["noop"]
            st_f = rf.get("statements")
            c = conc[lib]
            lines.append(
                f"| {lib} | {fresh_cell} | {noop_cell} | {ratio} | "
                f"{rf['own_turns'] / n:.2f} | {rn['own_turns']} | "
                f"{(st_f / n if st_f is not None else float('nan')):.2f} | {rn.get('statements', '—')} | "
                f"{c['ok']}/{c['runs']} | {conc_errors(c)} | {fmt_ms(c['wall_ms'].get('median'))} |"
            )
        hs = ", ".join(
            f"{lib} {rt[lib]['noop' if lib == FLOOR else 'fresh']['handshake_turns']}" for lib in LIBS + [FLOOR]
        )
        totals = ", ".join(
            f"{lib} {rt[lib]['fresh']['own_turns']:,} / {rt[lib]['fresh'].get('statements', '—'):,}" for lib in LIBS
        )
        lines += [
            "",
            "¹ The floor runner, on the `postgres` crate: for the no-op boot it connects and runs "
            "`SELECT 1`; for the fresh apply it sends each migration's SQL as one message "
            "wrapped in `BEGIN; … COMMIT;`, with no tracking table, lock or checks (what the "
            "server's own work costs).",
            "",
            f"³ Errors the server raised during the {conc_n} simultaneous boots (all trials): "
            "*double apply* — in a migration's own SQL (`CREATE TABLE t_<n>`: `already exists`, "
            "or `duplicate key` on `pg_type` when two create it at once), i.e. a second process "
            "applying a migration; *setup* — anywhere else (creating the tracking table).",
            "",
            f"Fresh apply of all {n:,}, round trips / statements in total: {totals}. "
            f"Connection handshake turns, not counted above: {hs}.",
        ]
        procs = ", ".join(
            f"{lib} [{', '.join(fmt_ms(x) for x in conc[lib]['trials'][-1]['process_ms'])}]" for lib in LIBS
        )
        lines += ["", f"{conc_n} at once, exit times of each process after the start (ms, last trial): {procs}."]
    lines += render_testing(data)
    rebuild = data.get("rebuild")
    if rebuild:
        n = rebuild["n"]
        lines += ["", f"## Rebuild at N = {n:,}", ""]
        lines.append(
            "`cargo build --release -p <runner>` after a warm build; the edit adds a column to "
            f"migration {rebuild['libs'][LIBS[0]]['edited_migration']} (and the restore removes it: "
            "each is one sample). \"In the binary\": a fresh apply after the build shows the change."
        )
        lines.append("")
        lines.append(
            "| library | edit one migration: min / median (s) | edit in the binary | "
            "add one migration (s) | added file applied | nothing changed (s) |"
        )
        lines.append("|---|--:|---|--:|---|--:|")
        for lib in (lib for lib in LIBS if lib in rebuild["libs"]):
            r = rebuild["libs"][lib]
            e = r["edit_s"]
            lines.append(
                f"| {lib} | {fmt_s(e.get('min'))} / {fmt_s(e.get('median'))} | "
                f"{'yes' if r['edit_noticed'] else '**no**'} | {fmt_s(r['add_s'])} | "
                f"{'yes' if r['add_noticed'] else '**no**'} ({r['add_tables']:,} tables after a fresh apply) | "
                f"{fmt_s(r['noop_build_s'])} |"
            )
        if "migrate-async" in LIBS and "migrate-async" not in rebuild["libs"]:
            lines.append("| migrate-async | (as migrate: the same macro embeds its set) | — | — | — | — |")
        fl = rebuild["libs"].get(FLOOR, {}).get("touch_s", {})
        if fl.get("n"):
            lines.append(
                f"| floor: `touch src/main.rs` ² | {fmt_s(fl.get('min'))} / {fmt_s(fl.get('median'))} | — | — | — | — |"
            )
            lines += [
                "",
                "² What compiling and linking the smallest binary on the `postgres` crate "
                "(connect + `SELECT 1`) costs after its source changes, with no migrations.",
            ]
    targets = data.get("targets")
    if targets:
        lines += ["", "## migrate's targets", ""]
        lines.append("| target | measured | met |")
        lines.append("|---|---|---|")
        for t in targets:
            lines.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    lines += [
        "",
        "Round trips: the library's own request→response exchanges, counted by bench.py's proxy "
        "(the connection's startup handshake and a closing Terminate are left out). Statements: "
        "what the server logged with `log_statement = all` (one simple-query message holding "
        "several statements is one).",
        "",
    ]
    return "\n".join(lines)


def render_testing(data: dict) -> list[str]:
    """The section of `migrate::testing`'s test databases, if measured."""
    rows = [(int(k), v["testing"]) for k, v in data["by_n"].items() if "error" not in v.get("testing", {"error": 1})]
    if not rows:
        return []
    lines = ["", "## A migrated database per test (`migrate::testing`)", ""]
    lines.append(
        "Time until a test holds a database with the set applied, in one process on the same server: "
        "`Template::postgres` (`CREATE DATABASE … TEMPLATE` of a template migrated once, under an "
        "advisory lock) against `CREATE DATABASE` + `run` each time (what `#[sqlx::test]` does). "
        "The first template database is built by the first test; dropping a database is paid at the "
        "end of each test either way."
    )
    lines.append("")
    lines.append(
        "| N | first test (builds the template, ms) | cloned: min / median (ms) | "
        "migrated each time: min / median (ms) | faster | drop: median (ms) |"
    )
    lines.append("|--:|--:|--:|--:|--:|--:|")
    for n, t in rows:
        c, m, d = t["clone_ms"], t["migrate_ms"], t["drop_ms"]
        lines.append(
            f"| {n:,} | {fmt_ms(t['first_ms'])} | {fmt_ms(c['min'])} / {fmt_ms(c['median'])} | "
            f"{fmt_ms(m['min'])} / {fmt_ms(m['median'])} | {m['median'] / c['median']:.1f}× | "
            f"{fmt_ms(d['median'])} |"
        )
    return lines


def async_targets(n: int, per_n: dict) -> list[dict]:
    """The async runner against the sync one and sqlx: the same round trips
    as the sync runner, and a lead over sqlx (also async) at least 0.9 times
    the sync runner's, for the no-op boot and the fresh apply (medians)."""
    out = []
    rt = per_n["round_trips"]
    a, s = rt["migrate-async"], rt["migrate"]
    same = all(a[k]["own_turns"] == s[k]["own_turns"] for k in ("noop", "fresh"))
    out.append({
        "target": f"N={n}: migrate-async makes the sync runner's round trips (no-op, fresh)",
        "measured": f"{a['noop']['own_turns']} / {a['fresh']['own_turns']:,} vs "
        f"{s['noop']['own_turns']} / {s['fresh']['own_turns']:,}",
        "met": same,
    })
    for what in ("noop", "fresh"):
        m = per_n[what]
        am, sm, qm = (m[lib].get("median") for lib in ("migrate-async", "migrate", "sqlx"))
        if not (am and sm and qm):
            continue
        label = "no-op boot" if what == "noop" else "fresh apply"
        out.append({
            "target": f"N={n}: migrate-async's {label} leads sqlx by ≥ 0.9× the sync runner's lead (medians)",
            "measured": f"sqlx ÷ async {qm / am:.2f}×, sqlx ÷ sync {qm / sm:.2f}×",
            "met": qm / am >= 0.9 * (qm / sm),
        })
    return out


def evaluate_targets(data: dict) -> list[dict]:
    out = []
    ns = sorted(int(k) for k in data["by_n"])
    for n in ns:
        per_n = data["by_n"][str(n)]
        noop, fresh, rt, conc = per_n["noop"], per_n["fresh"], per_n["round_trips"], per_n["concurrent"]
        peers = PEERS
        m = noop["migrate"].get("median")
        floor = noop[FLOOR].get("median")
        best_peer = min((noop[p]["median"] for p in peers if noop[p].get("n")), default=None)
        turns = rt["migrate"]["noop"]["own_turns"]
        out.append({
            "target": f"N={n}: no-op boot ≤ 2 round trips",
            "measured": f"{turns}",
            "met": turns <= 2,
        })
        if m and floor:
            out.append({
                "target": f"N={n}: no-op boot ≤ 1.15× floor and below every peer (medians)",
                "measured": f"{m:.1f} ms = {m / floor:.2f}× floor {floor:.1f} ms; fastest peer {fmt_ms(best_peer)} ms",
                "met": m <= 1.15 * floor and (best_peer is None or m < best_peer),
            })
        rf = rt["migrate"]["fresh"]
        per = rf["own_turns"] / n
        out.append({
            "target": f"N={n}: fresh apply at most 1 round trip per transactional migration (+ a fixed part ≤ 8)",
            "measured": f"{rf['own_turns']:,} for {n:,} ({per:.3f} each)",
            "met": rf["own_turns"] <= n + 8,
        })
        fm = fresh["migrate"].get("median")
        best_fresh = min(
            ((fresh[p]["median"], p) for p in peers if fresh[p].get("n")), default=(None, None)
        )
        if n >= 1000 and fm and best_fresh[0]:
            out.append({
                "target": f"N={n}: fresh apply ≥ 1.2× faster than the fastest peer (medians)",
                "measured": f"{fm:,.0f} ms vs {best_fresh[1]} {best_fresh[0]:,.0f} ms = {best_fresh[0] / fm:.2f}×",
                "met": best_fresh[0] / fm >= 1.2,
            })
        out += async_targets(n, per_n)
        c = conc["migrate"]
        out.append({
            "target": f"N={n}: {data['meta']['concurrency']} concurrent boots all succeed, no double apply",
            "measured": f"{c['ok']}/{c['runs']} ok, {c['double_apply_errors']} double-apply errors, "
            f"{c['setup_errors']} setup errors, "
            f"{c['duplicate_rows']} duplicate rows, {c['extra_apply_events']} extra apply events",
            "met": c["ok"] == c["runs"] and c["double_apply_errors"] == 0
            and c["duplicate_rows"] == 0 and c["extra_apply_events"] == 0,
        })
    if len(ns) > 1:
        lo, hi = ns[0], ns[-1]
        t_lo = data["by_n"][str(lo)]["round_trips"]["migrate"]["fresh"]["own_turns"]
        t_hi = data["by_n"][str(hi)]["round_trips"]["migrate"]["fresh"]["own_turns"]
        slope = (t_hi - t_lo) / (hi - lo)
        out.append({
            "target": f"fresh apply: at most 1 round trip per added migration, N={lo} → N={hi}",
            "measured": f"({t_hi:,} − {t_lo:,}) / {hi - lo:,} = {slope:.3f}",
            "met": slope <= 1,
        })
    rebuild = data.get("rebuild")
    if rebuild:
        libs = rebuild["libs"]
        n = rebuild["n"]
        m = libs["migrate"]["edit_s"]["median"]
        peers = [(libs[p]["edit_s"]["median"], p) for p in PEERS if p in libs and libs[p]["edit_s"].get("n")]
        best = min(peers)
        out.append({
            "target": f"N={n}: rebuild after editing one migration no slower than the fastest peer (medians)",
            "measured": f"{m:.2f} s vs {best[1]} {best[0]:.2f} s",
            "met": m <= best[0],
        })
        out.append({
            "target": f"N={n}: an added migration file is noticed",
            "measured": "yes" if libs["migrate"]["add_noticed"] else "no",
            "met": libs["migrate"]["add_noticed"],
        })
    return out


# --------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=int(env.get("BENCH_PORT", "55432")),
                   help="the cluster's port (run.sh passes it)")
    p.add_argument("--pglog", type=Path, default=Path(env["BENCH_PGLOG"]) if env.get("BENCH_PGLOG") else None,
                   help="the server's log file, for counting statements")
    p.add_argument("--quick", action="store_true",
                   help="N=100 only, 3 runs, 1 concurrency trial, rebuild with 2 samples at N=100")
    p.add_argument("--n", default=env.get("BENCH_N"), help="comma-separated N values (default 100,1000)")
    p.add_argument("--runs", type=int, default=int(env["BENCH_RUNS"]) if env.get("BENCH_RUNS") else None,
                   help="fresh-apply runs per library and N (default 5)")
    p.add_argument("--noop-runs", type=int,
                   default=int(env["BENCH_NOOP_RUNS"]) if env.get("BENCH_NOOP_RUNS") else None,
                   help="no-op boot runs per library and N (default 4 × runs)")
    p.add_argument("--concurrency", type=int, default=int(env.get("BENCH_CONCURRENCY", "8")))
    p.add_argument("--testing-dbs", type=int, default=int(env.get("BENCH_TESTING_DBS", "10")),
                   help="test databases made each way per N (migrate::testing)")
    p.add_argument("--concurrency-trials", type=int,
                   default=int(env["BENCH_CONCURRENCY_TRIALS"]) if env.get("BENCH_CONCURRENCY_TRIALS") else None,
                   help="trials of the concurrent boot per library and N (default 3)")
    p.add_argument("--rebuild-samples", type=int,
                   default=int(env["BENCH_REBUILD_SAMPLES"]) if env.get("BENCH_REBUILD_SAMPLES") else None,
                   help="timed rebuilds after an edit per library (default 4; each edit or restore is one)")
    p.add_argument("--no-rebuild", action="store_true", default=env.get("BENCH_NO_REBUILD") == "1",
                   help="skip the rebuild measure")
    p.add_argument("--output", type=Path, default=RESULTS, help="where latest.md and latest.json go")
    p.add_argument("--render", type=Path, metavar="JSON",
                   help="only re-render the report (and targets) of a raw JSON file, to stdout")
    p.add_argument("--into", type=Path, metavar="FILE",
                   help="with --render: put the report between the <!-- results:begin --> and "
                   "<!-- results:end --> lines of FILE (BENCHMARKS.md) instead")
    a = p.parse_args()
    a.n = [int(x.replace("_", "").replace(",", "")) for x in (a.n or ("100" if a.quick else "100,1000")).split(",") if x]
    if a.runs is None:
        a.runs = 3 if a.quick else 5
    if a.noop_runs is None:
        a.noop_runs = 4 * a.runs
    if a.concurrency_trials is None:
        a.concurrency_trials = 1 if a.quick else 3
    if a.rebuild_samples is None:
        a.rebuild_samples = 2 if a.quick else 4
    if max(a.n) > 9999:
        p.error("N must be at most 9999 (4-digit migration numbers)")
    return a


def library_state() -> dict:
    """The library's revision and whether its sources have local changes
    (read-only git commands), to tell if it changed during a run."""
    root = BENCH.parent

    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(root), *a], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    paths = ("--", "Cargo.toml", "src", "migrate-runtime", "migrate-macros")
    changed = git("status", "--porcelain", *paths)
    diff = git("diff", "HEAD", *paths)
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "local_changes": changed.splitlines(),
        "diff_sha256": hashlib.sha256(diff.encode()).hexdigest()[:16] if diff else None,
    }


def main() -> None:
    args = parse_args()
    if args.render:
        data = json.loads(args.render.read_text())
        data["targets"] = evaluate_targets(data)
        report = render(data)
        if args.into:
            text = args.into.read_text()
            begin, end = "<!-- results:begin -->\n", "<!-- results:end -->"
            a, b = text.index(begin) + len(begin), text.index(end)
            # Two levels down: the report's headings go under the file's own.
            report = re.sub(r"^(#+) ", r"##\1 ", report, flags=re.M)
            args.into.write_text(text[:a] + "\n" + report.strip() + "\n\n" + text[b:])
        else:
            print(report)
        return
    started = time.time()
    cluster = Cluster(args.port, args.pglog)
    server_version = cluster.admin.scalar("SHOW server_version")
    settings = {
        name: cluster.admin.scalar(f"SHOW {name}")
        for name in ("fsync", "synchronous_commit", "full_page_writes", "autovacuum",
                     "shared_buffers", "max_connections", "log_statement")
    }
    proxy = CountingProxy(args.port)
    build_log = Path(tempfile.gettempdir()) / "migrate-bench-build.log"
    build_log.write_text("")
    data: dict = {
        "meta": {
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
            "python": platform.python_version(),
            "server_version": server_version,
            "server_settings": settings,
            "n": args.n,
            "runs": args.runs,
            "noop_runs": args.noop_runs,
            "concurrency": args.concurrency,
            "concurrency_trials": args.concurrency_trials,
            "rebuild_samples": args.rebuild_samples,
            "rustc": subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip(),
            "library_at_start": library_state(),
        },
        "by_n": {},
    }
    for n in args.n:
        log(f"== N = {n}: generating migrations and building the runners")
        generate(n)
        build_s = build_all(build_log)
        log(f"  built in {sum(build_s.values()):.1f} s")
        per_n: dict = {"build_s": build_s}
        # A check that each runner applies exactly N on a fresh database.
        check = {}
        for lib in LIBS:
            db = cluster.create(f"check_{lib}")
            res = run_once(lib, cluster.url(db))
            check[lib] = {"rc": res["rc"], "applied": applied_count(res), "tables": cluster.tables(db),
                          "stderr": res["stderr"][-500:]}
            cluster.drop(db)
            if res["rc"] != 0 or check[lib]["tables"] != n:
                log(f"  WARNING: {lib} check failed: {check[lib]}")
        per_n["check"] = check
        log(f"== N = {n}: fresh apply")
        per_n["fresh"] = measure_fresh(cluster, n, args.runs)
        log(f"== N = {n}: no-op boot")
        per_n["noop"] = measure_noop(cluster, n, args.noop_runs)
        log(f"== N = {n}: round trips and statements")
        per_n["round_trips"] = measure_round_trips(cluster, proxy, n)
        log(f"== N = {n}: {args.concurrency} concurrent boots")
        per_n["concurrent"] = measure_concurrent(cluster, n, args.concurrency, args.concurrency_trials)
        log(f"== N = {n}: test databases, template against migrating each time")
        per_n["testing"] = measure_testing(cluster, n, args.testing_dbs)
        data["by_n"][str(n)] = per_n
    if not args.no_rebuild:
        n = max(args.n)
        if n != args.n[-1]:
            generate(n)
        log(f"== N = {n}: rebuilds")
        data["rebuild"] = {"n": n, "libs": measure_rebuild(cluster, n, args.rebuild_samples, build_log)}
    data["meta"]["library_at_end"] = library_state()
    data["meta"]["crates"] = crate_versions()
    data["meta"]["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    data["meta"]["elapsed_s"] = round(time.time() - started, 1)
    # The raw numbers first: a failure below must not lose the run.
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "latest.json").write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    data["targets"] = evaluate_targets(data)
    report = render(data)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "latest.md").write_text(report)
    (args.output / "latest.json").write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    print(report)
    log(f"done in {data['meta']['elapsed_s']:.0f} s; wrote {args.output / 'latest.md'} and latest.json")
    cluster.admin.close()


if __name__ == "__main__":
    main()
