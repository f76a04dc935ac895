#!/usr/bin/env bash
# The test command of README.md: every test of the workspace with every
# feature (`cargo test --workspace --all-features`), after making sure
# libclang is there for feature pg-syntax (ci/libclang.sh). Arguments go
# to `cargo test` (`bash ci/test.sh -- --nocapture`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/libclang.sh
exec cargo test --workspace --all-features "$@"
