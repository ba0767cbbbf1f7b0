# Shared helpers for bench/generate.sh and bench/run.sh (sourced, not run).
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
SANDBOX_SCRIPT="$REPO_DIR/scripts/mariadb-sandbox.sh"
# The three MetaDB databases of the bench deployment (rm, cm, cm_hb), in load order.
BENCH_DBS=(rm_bench cm_bench cm_hb_bench)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# Locate the MetaDB reference schema: ../shared beside the repo (developers and CI),
# or /work/shared.
find_reference_schema() {
  local c
  for c in "$REPO_DIR/../shared/metadb-reference.sql" /work/shared/metadb-reference.sql; do
    [[ -f $c ]] && { printf '%s\n' "$c"; return 0; }
  done
  die "metadb-reference.sql not found (looked in ../shared/ and /work/shared/)"
}

load_sandbox_lib() {
  [[ -f $SANDBOX_SCRIPT ]] || die "$SANDBOX_SCRIPT is missing: the bench needs it to start MariaDB"
  # shellcheck source=/dev/null
  source "$SANDBOX_SCRIPT"
  declare -F mariadb_sandbox_start >/dev/null && declare -F mariadb_sandbox_stop >/dev/null \
    || die "$SANDBOX_SCRIPT does not define mariadb_sandbox_start / mariadb_sandbox_stop"
}

# The mariadb client / mariadb-dump against the running sandbox (socket, root, no password),
# like scripts/mariadb-sandbox.sh's mariadb_sandbox_client; usable from a child script that
# has only MARIADB_SANDBOX_SOCKET.
sb_client() {
  mariadb --no-defaults --protocol=socket --socket="${MARIADB_SANDBOX_SOCKET:?no sandbox}" -uroot "$@"
}
sb_dump() {
  mariadb-dump --no-defaults --protocol=socket --socket="${MARIADB_SANDBOX_SOCKET:?no sandbox}" -uroot "$@"
}

# Server settings for a bulk load (what a DBA restoring a large dump would set): a buffer
# pool that holds the data and a redo log that does not force a checkpoint every few MB.
# DURABILITY is innodb_flush_log_at_trx_commit (0 for generation, 2 for the manual path).
sb_tune_for_load() {
  sb_client -e "SET GLOBAL innodb_flush_log_at_trx_commit = $1;
    SET GLOBAL innodb_buffer_pool_size = GREATEST(@@innodb_buffer_pool_size, 2147483648);
    SET GLOBAL innodb_log_file_size = GREATEST(@@innodb_log_file_size, 1073741824);"
}

# A dump is complete when it ends with mariadb-dump's trailer.
dump_complete() {
  [[ -s $1 ]] && tail -c 256 "$1" | grep -q -- '-- Dump completed'
}

# All three dumps of DIR are there and complete.
dumps_present() {
  local db
  for db in "${BENCH_DBS[@]}"; do dump_complete "$1/metadb/$db.sql" || return 1; done
}

# The shape of a data set (bench/generate.sh --shape): the first line of DIR/SHAPE;
# findings for a directory made before shapes existed (no SHAPE file).
shape_of() {
  local s=findings
  [[ -f $1/SHAPE ]] && s=$(head -n1 "$1/SHAPE")
  printf '%s\n' "${s:-findings}"
}

dump_files() {
  local db
  for db in "${BENCH_DBS[@]}"; do printf '%s\n' "$1/metadb/$db.sql"; done
}

total_bytes() { local t=0 f s; for f in "$@"; do s=$(stat -c %s "$f"); t=$((t + s)); done; echo "$t"; }

human_bytes() { awk -v b="$1" 'BEGIN { printf "%.1f MB (%.2f GiB)", b / 1e6, b / 1073741824 }'; }
