#!/usr/bin/env bash
# Benchmark of `migrate` against refinery, sqlx and diesel_migrations.
#
#   bash bench/run.sh            # N = 100 and 1,000, 5 runs (about 30 minutes)
#   bash bench/run.sh --quick    # N = 100 only, 3 runs
#   bash bench/run.sh --n 100,500 --runs 7    # or BENCH_N=..., BENCH_RUNS=...
#
# Starts a throwaway PostgreSQL 15 cluster of its own (tmpfs, its own port,
# trust auth, durability off), runs bench/bench.py against it, then stops and
# deletes the cluster. Results: bench/results/latest.md and latest.json.
# Options after run.sh are bench.py's: `python3 bench/bench.py --help`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${BENCH_PORT:-55432}

for tool in initdb pg_ctl; do
    [ -x "$PGBIN/$tool" ] || { echo "run.sh: $PGBIN/$tool not found (set PGBIN)" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "run.sh: python3 not found" >&2; exit 1; }
command -v cargo >/dev/null || { echo "run.sh: cargo not found" >&2; exit 1; }
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "run.sh: something already listens on 127.0.0.1:$PORT (set BENCH_PORT)" >&2
    exit 1
fi

# initdb refuses to run as root: run the server as the postgres user then.
if [ "$(id -u)" = 0 ]; then
    as_pg=(runuser -u postgres --)
else
    as_pg=()
fi

base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/migrate-bench.XXXXXX")
data="$work/data"
pglog="$work/postgres.log"

cleanup() {
    if [ -f "$data/postmaster.pid" ]; then
        "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" = 0 ]; then
    chown postgres: "$work"
fi
chmod 755 "$work"

"${as_pg[@]}" "$PGBIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$work/initdb.log" 2>&1 || {
    cat "$work/initdb.log" >&2
    exit 1
}
cat >>"$data/postgresql.conf" <<EOF
# bench/run.sh: a throwaway cluster for benchmarking only.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$work'
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
logging_collector = off
log_line_prefix = '[%d] '
log_statement = 'none'
EOF
# log_statement = 'all' is switched on per database (ALTER DATABASE ... SET)
# for the databases of the counting runs only, so it costs the timed runs
# nothing.

"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$data" -l "$pglog" -w -t 60 start >/dev/null
echo "run.sh: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, data in $data" >&2

BENCH_PORT=$PORT BENCH_PGLOG=$pglog python3 "$here/bench.py" "$@"
