#!/usr/bin/env bash
# The whole test suite, as CI runs it: creates the Python venv the Flask targets need, then runs
# every Rust test (unit, end-to-end against real targets on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."

# Flask targets and the schema validator live in a venv inside the clone; rebuilt when the
# requirements change.
if [ ! -x .venv/bin/python ] || ! cmp -s tests/targets/requirements.txt .venv/.requirements; then
  echo "setting up .venv for the test targets"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/targets/requirements.txt
  cp tests/targets/requirements.txt .venv/.requirements
fi

# The HTML report test renders the report in Debian's headless Chromium; install it once.
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium for the HTML report test"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# `leakprobe serve` runs its workers on PostgreSQL in one test: Debian's server binaries, started
# by that test on loopback in a temporary directory; install them once.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing postgresql for the server's PostgreSQL test"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
export LEAKPROBE_TEST_POSTGRES=required

# Guard rails before the tests: the tree stays formatted (rustfmt.toml) and free of the lints
# `[workspace.lints]` in Cargo.toml, clippy's defaults and clippy.toml (no unbounded reads) warn about.
cargo fmt --all --check
# The entry points of the fuzz targets (fuzz/, run by scripts/fuzz.sh, not here) are linted in the
# same pass: the `fuzzing` feature only adds a module, and a second pass cost a minute and a half.
cargo clippy --workspace --all-targets --locked --features leakprobe-engine/fuzzing -- -D warnings

cargo test --workspace --locked "$@"
