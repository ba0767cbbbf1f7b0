#!/usr/bin/env bash
# Generate the omslint benchmark data set: a synthetic OMS MetaDB (rm, cm, cm_hb) made in a
# sandbox MariaDB with INSERT ... SELECT from the sequence engine, dumped with the real
# mariadb-dump, plus the config.yaml and omslint.yaml of a single-region deployment.
#
#   bash bench/generate.sh [--projects N] [--heartbeat-rows M] [--out DIR] [--force]
#
# Defaults: 2,000,000 projects, 10,000,000 heartbeat rows, DIR = bench/data/large
# (about 1.2 GB of dumps). Quick size: --projects 200000 --heartbeat-rows 1000000.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROJECTS=2000000
HB_ROWS=10000000
OUT="$BENCH_DIR/data/large"
FORCE=0

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

while (($#)); do
  case $1 in
    --projects) PROJECTS=${2:?--projects needs a value}; shift 2 ;;
    --projects=*) PROJECTS=${1#*=}; shift ;;
    --heartbeat-rows) HB_ROWS=${2:?--heartbeat-rows needs a value}; shift 2 ;;
    --heartbeat-rows=*) HB_ROWS=${1#*=}; shift ;;
    --out) OUT=${2:?--out needs a value}; shift 2 ;;
    --out=*) OUT=${1#*=}; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ $PROJECTS =~ ^[0-9]+$ && $PROJECTS -ge 8 ]] || die "--projects must be an integer >= 8"
[[ $HB_ROWS =~ ^[0-9]+$ && $HB_ROWS -ge 1 ]] || die "--heartbeat-rows must be a positive integer"

mkdir -p "$OUT/metadb"
OUT=$(cd "$OUT" && pwd)

write_configs() {
  cat >"$OUT/config.yaml" <<'EOF'
# Single-region OMS config.yaml of the omslint benchmark deployment (synthetic).
oms_meta_host: 10.0.0.10
oms_meta_port: 2883
oms_meta_user: oms_meta_user
oms_meta_password: bench-not-a-real-password
drc_rm_db: rm_bench
drc_cm_db: cm_bench
drc_cm_heartbeat_db: cm_hb_bench
cm_url: http://10.0.0.1:8088
cm_location: 1
cm_region: cn-bench
cm_region_cn: cn-bench
cm_is_default: true
cm_nodes:
  - 10.0.0.1
EOF
  cat >"$OUT/omslint.yaml" <<'EOF'
# omslint settings of the benchmark deployment: the source version comes from oms_version.
to: 4.2.3
EOF
}

report_sizes() {
  local f files
  mapfile -t files < <(dump_files "$OUT")
  for f in "${files[@]}"; do
    printf '  %-40s %s\n' "${f#"$OUT"/}" "$(human_bytes "$(stat -c %s "$f")")"
  done
  local total
  total=$(total_bytes "${files[@]}")
  printf '  %-40s %s\n' "total" "$(human_bytes "$total")"
  if ((total < 1000000000)); then
    echo "  (below 1 GB: a reduced-size data set)"
  fi
}

if ((!FORCE)) && dumps_present "$OUT"; then
  [[ -f $OUT/config.yaml && -f $OUT/omslint.yaml ]] || write_configs
  echo "$OUT already has complete dumps; not regenerating (use --force to)."
  report_sizes
  exit 0
fi

load_sandbox_lib
SCHEMA=$(find_reference_schema)
SANDBOX="$OUT/.sandbox-generate"
NS=$((PROJECTS / 4))
NC=$((PROJECTS / 8))
NR=$((NC * 4))

started=0
cleanup() {
  local rc=$?
  if ((started)); then
    mariadb_sandbox_stop "$SANDBOX" >/dev/null 2>&1 || true
  fi
  rm -rf "$SANDBOX"
  rm -f "$OUT"/metadb/*.sql.tmp
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

log "generating $PROJECTS projects, $NS sync projects, $NR config_job rows, $HB_ROWS heartbeat rows into $OUT"
# Old dumps go first: a failed run must not leave dumps of another size looking complete.
for db in "${BENCH_DBS[@]}"; do rm -f "$OUT/metadb/$db.sql"; done
rm -rf "$SANDBOX"
mkdir -p "$SANDBOX"
mariadb_sandbox_start "$SANDBOX"
started=1
log "sandbox MariaDB up (pid $MARIADB_SANDBOX_PID, socket $MARIADB_SANDBOX_SOCKET)"

# Generation only: no durability needed, and a buffer pool that holds the data.
sb_tune_for_load 0 || log "warning: could not tune the sandbox server for loading (continuing)"

# Schema: the reference file, split at its "-- ===== rm|cm|cm_hb =====" markers.
SCHEMA_SQL=$(awk '
  /^-- ===== rm =====/    { print "DROP DATABASE IF EXISTS rm_bench; CREATE DATABASE rm_bench; USE rm_bench;"; next }
  /^-- ===== cm =====/    { print "DROP DATABASE IF EXISTS cm_bench; CREATE DATABASE cm_bench; USE cm_bench;"; next }
  /^-- ===== cm_hb/       { print "DROP DATABASE IF EXISTS cm_hb_bench; CREATE DATABASE cm_hb_bench; USE cm_hb_bench;"; next }
  { print }' "$SCHEMA")
grep -q 'USE cm_hb_bench' <<<"$SCHEMA_SQL" || die "unexpected layout of $SCHEMA (no rm/cm/cm_hb markers)"
sb_client <<<"SET NAMES utf8mb4; $SCHEMA_SQL"

t=$(date +%s.%N)
sed -e "s/{{N}}/$PROJECTS/g" -e "s/{{NS}}/$NS/g" -e "s/{{NC}}/$NC/g" -e "s/{{NR}}/$NR/g" \
    -e "s/{{M}}/$HB_ROWS/g" "$BENCH_DIR/sql/fill.sql" \
  | sb_client --default-character-set=utf8mb4 -vvv \
  | awk '/rows affected/ { print "  " $0 }' >&2
log "filled in $(elapsed "$t") s"

sb_client --table -e "
  SELECT 'rm_bench.oms_project' AS tbl, COUNT(*) AS \`rows\` FROM rm_bench.oms_project
  UNION ALL SELECT 'rm_bench.oms_sync_project', COUNT(*) FROM rm_bench.oms_sync_project
  UNION ALL SELECT 'rm_bench.oms_datasource', COUNT(*) FROM rm_bench.oms_datasource
  UNION ALL SELECT 'rm_bench.oms_normal_config', COUNT(*) FROM rm_bench.oms_normal_config
  UNION ALL SELECT 'cm_bench.config_job', COUNT(*) FROM cm_bench.config_job
  UNION ALL SELECT 'cm_hb_bench.heatbeat_sequence', COUNT(*) FROM cm_hb_bench.heatbeat_sequence" >&2

t=$(date +%s.%N)
for db in "${BENCH_DBS[@]}"; do
  sb_dump --single-transaction "$db" >"$OUT/metadb/$db.sql.tmp"
  mv "$OUT/metadb/$db.sql.tmp" "$OUT/metadb/$db.sql"
done
log "dumped in $(elapsed "$t") s"

write_configs
mariadb_sandbox_stop "$SANDBOX" >/dev/null 2>&1 || true
started=0

echo "generated $OUT in $(elapsed "$T0") s:"
report_sizes
