#!/usr/bin/env bash
# Generate the omslint benchmark data set: a synthetic OMS MetaDB (rm, cm, cm_hb) made in a
# sandbox MariaDB with INSERT ... SELECT from the sequence engine, dumped with the real
# mariadb-dump, plus the config.yaml and omslint.yaml of a single-region deployment.
#
#   bash bench/generate.sh [--shape findings|components] [--projects N] [--heartbeat-rows M]
#                          [--out DIR] [--force]
#
# --shape findings (default): many findings (about 68,000 projects not ready, 1,600
#   duplicate-name groups), N/8 Incr-Sync components. Defaults: 2,000,000 projects,
#   10,000,000 heartbeat rows, DIR = bench/data/large (about 1.1 GB of dumps).
#   Small size: --projects 200000 --heartbeat-rows 1000000 --out bench/data/small.
# --shape components: few findings (0.08 % of the projects not ready), N/4 Incr-Sync
#   components. Defaults: 2,200,000 projects, 10,000,000 heartbeat rows,
#   DIR = bench/data/large-components. Small size: --projects 220000
#   --heartbeat-rows 1000000 --out bench/data/small-components.
# The shape and sizes are written to DIR/SHAPE (first line: the shape).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHAPE=findings
SHAPE_GIVEN=0
PROJECTS=
HB_ROWS=10000000
OUT=
FORCE=0

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

while (($#)); do
  case $1 in
    --shape) SHAPE=${2:?--shape needs a value}; SHAPE_GIVEN=1; shift 2 ;;
    --shape=*) SHAPE=${1#*=}; SHAPE_GIVEN=1; shift ;;
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
case $SHAPE in
  findings) : "${PROJECTS:=2000000}" "${OUT:=$BENCH_DIR/data/large}" ;;
  components) : "${PROJECTS:=2200000}" "${OUT:=$BENCH_DIR/data/large-components}" ;;
  *) usage >&2; die "--shape must be findings or components, not: $SHAPE" ;;
esac
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

write_shape() {
  printf '%s\nprojects=%s\nheartbeat_rows=%s\n' "$SHAPE" "$PROJECTS" "$HB_ROWS" >"$OUT/SHAPE"
}

if ((!FORCE)) && dumps_present "$OUT"; then
  # Dumps made before --shape existed have no SHAPE file: they are of the findings shape.
  have=$(shape_of "$OUT")
  if ((SHAPE_GIVEN)) && [[ $have != "$SHAPE" ]]; then
    die "$OUT holds dumps of the $have shape, not $SHAPE (use --force to regenerate, or another --out)"
  fi
  [[ -f $OUT/config.yaml && -f $OUT/omslint.yaml ]] || write_configs
  echo "$OUT already has complete dumps ($have shape); not regenerating (use --force to)."
  report_sizes
  exit 0
fi

load_sandbox_lib
SCHEMA=$(find_reference_schema)
SANDBOX="$OUT/.sandbox-generate"
NS=$((PROJECTS / 4))
if [[ $SHAPE == components ]]; then NC=$((PROJECTS / 4)); else NC=$((PROJECTS / 8)); fi
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

log "generating ($SHAPE shape) $PROJECTS projects, $NS sync projects, $NR config_job rows, $HB_ROWS heartbeat rows into $OUT"
# Old dumps go first: a failed run must not leave dumps of another size looking complete.
for db in "${BENCH_DBS[@]}"; do rm -f "$OUT/metadb/$db.sql"; done
rm -f "$OUT/SHAPE"
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
    -e "s/{{M}}/$HB_ROWS/g" -e "s/{{SHAPE}}/$SHAPE/g" "$BENCH_DIR/sql/fill.sql" \
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
sb_client --table -e "
  SELECT 'oms_project' AS tbl, project_status, COUNT(*) AS n FROM rm_bench.oms_project GROUP BY project_status
  UNION ALL
  SELECT 'oms_sync_project', project_status, COUNT(*) FROM rm_bench.oms_sync_project GROUP BY project_status
  ORDER BY 1, 3 DESC" >&2

t=$(date +%s.%N)
for db in "${BENCH_DBS[@]}"; do
  sb_dump --single-transaction "$db" >"$OUT/metadb/$db.sql.tmp"
  mv "$OUT/metadb/$db.sql.tmp" "$OUT/metadb/$db.sql"
done
log "dumped in $(elapsed "$t") s"

write_configs
write_shape
mariadb_sandbox_stop "$SANDBOX" >/dev/null 2>&1 || true
started=0

echo "generated $OUT ($SHAPE shape) in $(elapsed "$T0") s:"
report_sizes
