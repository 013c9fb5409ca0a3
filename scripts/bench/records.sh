#!/usr/bin/env bash
# Records store: ingest rate (results per second, decoded and written in batches as the
# ingest service does) and run-list query times on 1,000,000 stored runs, on SQLite and on
# PostgreSQL 15 started here. RECORDS_FILL changes the run count (default 1000000);
# RECORDS_ONLY=postgres skips SQLite.
source "$(dirname "$0")/common.sh"

fill=${RECORDS_FILL:-1000000}

if [ "${RECORDS_ONLY:-}" != postgres ]; then
  echo "### SQLite"
  "$bin/dify-producer" bench-records --store "sqlite:$bench_dir/records.db" --fill "$fill"
fi

echo
echo "### PostgreSQL 15"
pg_bin=/usr/lib/postgresql/15/bin
pg_dir=$(mktemp -d /tmp/dify-bench-pg.XXXXXX)
chown postgres:postgres "$pg_dir"
pg_port=$(free_port)
runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 --no-sync >"$bench_dir/initdb.log" 2>&1
# Durable settings as shipped (fsync on), only memory raised a little for a 1M-row table.
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
stop_postgres() {
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap 'cp "$pg_dir/postgres.log" "$bench_dir/" 2>/dev/null; stop_postgres; bench_cleanup' EXIT
"$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -q -c "CREATE DATABASE records" postgres
"$bin/dify-producer" bench-records --store "postgres://postgres@127.0.0.1:$pg_port/records" --fill "$fill"
