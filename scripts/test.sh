#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need when it is missing,
# then runs formatting and lint checks and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_pkgs+=(mariadb-server)
command -v mariadb-dump >/dev/null 2>&1 || need_pkgs+=(mariadb-client)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)         # TLS test certificates
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)         # JUnit XML parsing in a test
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing ${need_pkgs[*]} (tests run a real MariaDB server)"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt >/dev/null 2>&1 || true

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
