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
command -v xmllint >/dev/null 2>&1 || need_pkgs+=(libxml2-utils)   # JUnit checked against Jenkins' junit-10.xsd
command -v script >/dev/null 2>&1 || need_pkgs+=(bsdutils)         # the human report under a pseudo-terminal
command -v patch >/dev/null 2>&1 || need_pkgs+=(patch)             # --diff checked with patch -p1
# seekdb comes from PyPI into a venv (below): python3 -m venv needs Debian's python3-venv.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_pkgs+=(python3-venv)
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
apt_install() {
  echo "installing $* (tests run real MariaDB and seekdb servers)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
if [ ${#need_pkgs[@]} -gt 0 ]; then
  apt_install "${need_pkgs[@]}"
fi
export PATH="$PATH:/usr/sbin"

# seekdb, OceanBase's single-node server (the kernel of an OMS MetaDB tenant): the
# pylibseekdb wheel ships the binary. tests/common/seekdb.rs starts it from
# OMSLINT_SEEKDB_HOME, the site-packages directory that holds pylibseekdb/.
seekdb_version=1.4.0.post1
seekdb_venv="${XDG_CACHE_HOME:-$HOME/.cache}/omslint/seekdb-venv"
seekdb_home() {
  "$seekdb_venv/bin/python" - <<'PY' 2>/dev/null
import importlib.util, os
spec = importlib.util.find_spec("pylibseekdb")
home = os.path.dirname(list(spec.submodule_search_locations)[0])
assert os.access(os.path.join(home, "pylibseekdb", "seekdb"), os.X_OK)
print(home)
PY
}
if [ -z "${OMSLINT_SEEKDB_HOME:-}" ]; then
  if ! OMSLINT_SEEKDB_HOME=$(seekdb_home); then
    echo "installing seekdb (pylibseekdb $seekdb_version) into $seekdb_venv"
    mkdir -p "$(dirname "$seekdb_venv")"
    if ! python3 -m venv --clear "$seekdb_venv" >/dev/null 2>&1; then
      apt_install python3-venv
      python3 -m venv --clear "$seekdb_venv"
    fi
    "$seekdb_venv/bin/python" -m pip install -q --disable-pip-version-check "pylibseekdb==$seekdb_version"
    OMSLINT_SEEKDB_HOME=$(seekdb_home) || { echo "pylibseekdb installed no seekdb binary" >&2; exit 1; }
  fi
  export OMSLINT_SEEKDB_HOME
fi

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt >/dev/null 2>&1 || true

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
