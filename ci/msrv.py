#!/usr/bin/env python3
"""Checks that no dependency declares a newer `rust-version` than ours.

No toolchain older than the installed one can be downloaded on the CI
machines, so the workspace's `rust-version` is enforced in two halves:
clippy's `incompatible_msrv` (an error in .ci/run) for our own use of std,
and this script for what the dependencies declare.

Each build below is a feature set of the published crates. Its
dependencies are the normal and build dependencies `cargo tree` lists for
it on every target (`--target all`); dev-dependencies build only our tests
and are not checked. Each dependency's `rust_version` comes from `cargo
metadata`; one that declares none is counted as compatible. A build in
REQUIRED fails the check when a dependency needs more than ours; a build
in OPTIONAL may need more, up to the version it names (README says which),
and fails when it needs more than that.

Usage: python3 ci/msrv.py   (from anywhere in the repository)
"""

import json
import os
import subprocess
import sys

# Builds whose dependencies must all build on our rust-version.
REQUIRED = {
    "default features": ["-p", "migrate"],
    "postgres only": ["-p", "migrate", "--no-default-features", "--features", "postgres"],
    "sqlite-unbundled": ["-p", "migrate", "--no-default-features", "--features", "sqlite-unbundled"],
    "cli": ["-p", "migrate", "--features", "cli"],
}

# Builds allowed to need a newer Rust than ours, and the newest they may
# need (kept equal to what README's feature table says).
OPTIONAL = {
    "all features (migrate)": (["-p", "migrate", "--all-features"], None),
    "all features (migrate-runtime)": (["-p", "migrate-runtime", "--all-features"], None),
}


def version(text):
    """`1.85` or `1.85.0` as a comparable tuple."""
    parts = [int(p) for p in text.split("-")[0].split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def shown(v):
    return ".".join(str(p) for p in v)


def cargo(*args):
    return subprocess.run(
        ["cargo", *args], check=True, capture_output=True, text=True
    ).stdout


def packages(build_args):
    """(name, version) of every normal and build dependency of a build."""
    tree = cargo(
        "tree", "--locked", "--target", "all", "-e", "normal,build",
        "--prefix", "none", "--format", "{p}", *build_args,
    )
    found = set()
    for line in tree.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1].startswith("v"):
            found.add((words[0], words[1][1:]))
    return found


def main():
    root = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], check=True, capture_output=True, text=True
    ).stdout.strip()
    os.chdir(root)
    meta = json.loads(cargo("metadata", "--locked", "--format-version", "1", "--all-features"))
    members = set(meta["workspace_members"])
    ours = {
        version(p["rust_version"])
        for p in meta["packages"]
        if p["id"] in members and p.get("rust_version")
    }
    if len(ours) != 1:
        sys.exit(f"msrv: the workspace members declare {sorted(ours)}, expected one rust-version")
    (ours,) = ours
    declared = {
        (p["name"], p["version"]): version(p["rust_version"])
        for p in meta["packages"]
        if p.get("rust_version") and p["id"] not in members
    }

    failed = False
    builds = [(name, args, ours) for name, args in REQUIRED.items()]
    builds += [(name, args, version(limit) if limit else ours) for name, (args, limit) in OPTIONAL.items()]
    for name, args, limit in builds:
        deps = packages(args)
        needs = sorted(((declared[d], d) for d in deps if d in declared), reverse=True)
        newest = f"{shown(needs[0][0])} ({needs[0][1][0]})" if needs else "(none declared)"
        over = [f"{n} {v} (rust-version {shown(r)})" for r, (n, v) in needs if r > limit]
        status = "ok" if not over else "FAILED"
        print(f"msrv: {name}: {len(deps)} dependencies, the newest rust-version {newest}, "
              f"limit {shown(limit)}: {status}")
        for line in over:
            print(f"    {line}")
        failed |= bool(over)
    if failed:
        sys.exit(f"msrv: a dependency declares a newer rust-version than {shown(ours)} allows")


if __name__ == "__main__":
    main()
