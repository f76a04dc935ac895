#!/usr/bin/env bash
# What feature pg-syntax costs a build: a crate that embeds the project's
# example set (migrations/) and one that embeds 1,000 generated
# migrations, each built from clean (its dependencies included) and again
# after one of its migrations is edited, without and with the feature
# (`migrate` with `postgres`, debug profile, as `cargo build` does).
#
#   bash bench/build-cost.sh          # prints a table of wall-clock seconds
#
# Each configuration has a target folder of its own, removed at the end.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A crate `name` embedding `migrations/` (copied from `from`, or generated
# when `from` is `generated`) with `migrate`'s `features`.
make_crate() {
    local name=$1 from=$2 features=$3
    local dir="$work/$name"
    mkdir -p "$dir/src" "$dir/migrations"
    cat >"$dir/Cargo.toml" <<TOML
[package]
name = "$name"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
migrate = { path = "$root", default-features = false, features = [$features] }

[workspace]
TOML
    cat >"$dir/src/main.rs" <<'RS'
static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("migrations", engine = "postgres");

fn main() {
    println!("{}", MIGRATIONS.len());
}
RS
    if [ "$from" = generated ]; then
        for i in $(seq 1 1000); do
            printf -v v '%04d' "$i"
            cat >"$dir/migrations/${v}_create_t_$i.up.sql" <<SQL
-- Migration $i: a table and an index.
CREATE TABLE t_$i (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX t_${i}_name ON t_$i (name); -- migrate:allow index-without-concurrently
SQL
            echo "DROP TABLE t_$i;" >"$dir/migrations/${v}_create_t_$i.down.sql"
        done
    else
        cp "$from"/*.sql "$dir/migrations/"
    fi
    cp "$root/Cargo.lock" "$dir/Cargo.lock"
}

# Seconds `cargo build` takes in `dir` with `target`.
build() {
    local dir=$1 target=$2 start end
    start=$(date +%s.%N)
    cargo build --quiet --manifest-path "$dir/Cargo.toml" --target-dir "$target"
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

# "first build": from clean for the example set (the dependencies
# included), then the 1,000 set in the same target folder (the crate
# alone); "rebuild": after one up file is edited.
printf '%-16s %-12s %12s %10s\n' set features "first build" rebuild
for features in '"postgres"' '"postgres", "pg-syntax"'; do
    label=$([ "$features" = '"postgres"' ] && echo "postgres" || echo "+pg-syntax")
    target="$work/target-${label//[^a-z]/}"
    for set in example thousand; do
        name="cost_${set}_${label//[^a-z]/}"
        if [ "$set" = example ]; then
            make_crate "$name" "$root/migrations" "$features"
        else
            make_crate "$name" generated "$features"
        fi
        clean=$(build "$work/$name" "$target")
        ups=("$work/$name/migrations"/*.up.sql)
        echo "-- edited" >>"${ups[0]}"
        rebuild=$(build "$work/$name" "$target")
        printf '%-16s %-12s %12.1f %10.1f\n' "$set" "$label" "$clean" "$rebuild"
    done
done
