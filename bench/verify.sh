#!/usr/bin/env bash
# The rollback-check benchmark: `omslint verify --rolled-back` comparing every table of a
# restored MetaDB with its backup, row for row, against the mariadb client's
# `CHECKSUM TABLE` on the same tables.
#
#   bash bench/verify.sh [SIZE...]      SIZE: small, large (default: small large)
#
#   small  bench/data/live-small:   500,000 projects,  2,000,000 heartbeat rows (generated if missing)
#   large  bench/data/large:      2,000,000 projects, 10,000,000 heartbeat rows (generated if missing)
#
# For each size: the size's dumps (DIR/metadb/*.sql, made by bench/generate.sh with the
# real mariadb-dump) are the backups. A sandbox MariaDB (bench/data/.verify/sandbox,
# stopped on any exit) gets them restored as the runbook's rollback does (not measured),
# and a SELECT-only user 'verify'@'127.0.0.1' with a random password. Then, warm (one
# untimed run each, then two timed runs each, interleaved; the better wall and the higher
# peak RSS are reported):
#   omslint   verify --rolled-back --backup-dir DIR/metadb --metadb mysql://verify@127.0.0.1:PORT
#   checksum  the mariadb client: CHECKSUM TABLE of every table of the three databases
#             (one statement; the same tables omslint compares)
# and once each, after changing the restored MetaDB (omslint must then exit 1 with OMS108):
#   1 row     one heartbeat row deleted and one project renamed
#   1 %       every 100th heartbeat row changed
#   all       every heartbeat row changed (the bounded-memory worst case: many passes)
# Each measured command runs under /usr/bin/time -f '%e %M' with a nanosecond clock around
# it. Prints a Markdown table, also written to bench/results/verify-latest.md. Timings are
# reported, never asserted: the exit code is non-zero only when something could not be
# measured (omslint exiting other than expected, the server not starting or loading).
#
# Environment: BENCH_OMSLINT=/path/to/omslint (default: the newest release build with
# `verify` in $CARGO_TARGET_DIR, ./target or ../target; cargo build --release when there
# is none), BENCH_OMSLINT_TIMEOUT (seconds per measured command, default 1800),
# BENCH_VERIFY_ALL=0 skips the "all rows changed" case.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
SIZES=()
for a in "$@"; do
  case $a in
    small|large) SIZES+=("$a") ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown size: $a (expected small or large)" ;;
  esac
done
((${#SIZES[@]})) || SIZES=(small large)

size_dir() { case $1 in small) echo "$BENCH_DIR/data/live-small" ;; large) echo "$BENCH_DIR/data/large" ;; esac; }
size_args() { case $1 in small) echo "--projects 500000 --heartbeat-rows 2000000" ;; large) echo "--projects 2000000 --heartbeat-rows 10000000" ;; esac; }

GNU_TIME=/usr/bin/time
[[ -x $GNU_TIME ]] || die "GNU time is needed at $GNU_TIME"
for c in mariadb python3; do command -v "$c" >/dev/null || die "$c is needed (not in PATH)"; done
load_sandbox_lib

WORK="$BENCH_DIR/data/.verify"
SB="$WORK/sandbox"
RESULTS="$BENCH_DIR/results"
TIMEOUT_S=${BENCH_OMSLINT_TIMEOUT:-1800}
[[ $TIMEOUT_S =~ ^[0-9]+$ ]] || die "BENCH_OMSLINT_TIMEOUT must be a number of seconds"
T_START=$(date +%s%N)

[[ -f $SB/sandbox.pid ]] && { mariadb_sandbox_stop "$SB" >/dev/null 2>&1 || true; }
rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"

sb_up=0
LOAD_PIDS=()
cleanup() {
  local rc=$? p
  for p in "${LOAD_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if ((sb_up)); then
    log "stopping the sandbox MariaDB"
    mariadb_sandbox_stop "$SB" >/dev/null 2>&1 || true
    sb_up=0
  fi
  rm -rf "$SB"
  rm -f "$WORK"/*/client.cnf
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

find_omslint() {
  local c best="" best_t=0 t
  if [[ -n ${BENCH_OMSLINT:-} ]]; then
    [[ -x $BENCH_OMSLINT ]] || die "BENCH_OMSLINT=$BENCH_OMSLINT is not an executable"
    echo "$BENCH_OMSLINT"; return
  fi
  for c in ${CARGO_TARGET_DIR:+"$CARGO_TARGET_DIR/release/omslint"} \
           "$REPO_DIR/target/release/omslint" "$REPO_DIR/../target/release/omslint"; do
    [[ -x $c ]] || continue
    "$c" verify --help >/dev/null 2>&1 || { log "skipping $c: it has no verify (an older build)"; continue; }
    t=$(stat -c %Y "$c")
    ((t > best_t)) && { best=$(realpath "$c"); best_t=$t; }
  done
  [[ -n $best ]] && { echo "$best"; return; }
  command -v cargo >/dev/null || die "no omslint release binary and no cargo to build one"
  log "no omslint release binary: cargo build --release (a few minutes; log: $WORK/cargo-build.log)"
  (cd "$REPO_DIR" && cargo build --release) >"$WORK/cargo-build.log" 2>&1 \
    || { tail -n 30 "$WORK/cargo-build.log" >&2; die "cargo build --release failed"; }
  c=${CARGO_TARGET_DIR:-$REPO_DIR/target}/release/omslint
  [[ -x $c ]] || die "cargo built, but $c is not there"
  realpath "$c"
}
OMSLINT_SRC=$(find_omslint)
OMSLINT="$WORK/omslint"
cp "$OMSLINT_SRC" "$OMSLINT"
OMSLINT_VERSION=$("$OMSLINT" --version 2>/dev/null | head -n1 || echo "omslint (version unknown)")
log "omslint: $OMSLINT_SRC ($OMSLINT_VERSION)"

timed() { # NAME CMD...: "wall_s maxrss_kb" in NAME.time, the wall in ns in NAME.ns
  local name=$1; shift
  local rc=0 t0 t1
  t0=$(date +%s%N)
  "$GNU_TIME" -f '%e %M' -o "$name.time" "$@" || rc=$?
  t1=$(date +%s%N)
  echo $((t1 - t0)) >"$name.ns"
  return "$rc"
}
secs() { awk '{ printf "%.3f", $1 / 1e9 }' "$1.ns"; }
rss_kb() { tail -n1 "$1.time" | awk '{ print $2 }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
elapsed_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
num() { sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<<"$1"; }

settle() { # wait until mariadbd is idle (CPU < 5% for 3 s), at most 120 s
  local pid=$1 hz prev now quiet=0 i
  hz=$(getconf CLK_TCK)
  prev=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  for ((i = 0; i < 120 && quiet < 3; i++)); do
    sleep 1
    now=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    if (((now - prev) * 20 < hz)); then quiet=$((quiet + 1)); else quiet=0; fi
    prev=$now
  done
}

BENCH_FAILED=0
declare -A OUT

measure_size() {
  local size=$1 dir args w f db dbs=() t i lpid
  dir=$(size_dir "$size")
  args=$(size_args "$size")
  w="$WORK/$size"
  mkdir -p "$w"
  if ! dumps_present "$dir"; then
    log "$size: no complete dumps in ${dir#"$REPO_DIR"/}: bench/generate.sh $args"
    # shellcheck disable=SC2086
    bash "$BENCH_DIR/generate.sh" $args --out "$dir" >&2
  fi
  dir=$(cd "$dir" && pwd)
  OUT[$size,bytes]=$(total_bytes "$dir"/metadb/*.sql)

  # ---- the rollback's restore (not measured)
  rm -rf "$SB"; mkdir -p "$SB"
  mariadb_sandbox_start "$SB" || die "$size: the sandbox MariaDB did not start"
  sb_up=1
  sb_tune_for_load 2 || log "$size: could not tune the server (continuing with its defaults)"
  t=$(date +%s%N)
  LOAD_PIDS=()
  for f in "$dir"/metadb/*.sql; do
    db=$(head -n 20 "$f" | sed -n -E 's/^-- Host: .*Database: ([^[:space:]]+).*$/\1/p' | head -n1)
    [[ -n $db ]] || die "$f: no '-- Host: ... Database: X' header line"
    dbs+=("$db")
    mariadb_sandbox_client -e "CREATE DATABASE \`$db\`" || die "cannot create database $db"
    log "$size: restoring $(basename "$f") ($(human_bytes "$(stat -c %s "$f")")) into $db"
    mariadb_sandbox_client "$db" <"$f" 2>"$w/load-$db.err" &
    LOAD_PIDS+=($!)
  done
  for i in "${!LOAD_PIDS[@]}"; do
    lpid=${LOAD_PIDS[$i]}
    wait "$lpid" || { cat "$w/load-${dbs[$i]}.err" >&2; die "$size: restoring ${dbs[$i]} failed"; }
  done
  LOAD_PIDS=()
  OUT[$size,load]=$(elapsed_since "$t")
  log "$size: restored in ${OUT[$size,load]} s"

  local pw grants="" in_list tables
  pw=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
  for db in "${dbs[@]}"; do grants+="GRANT SELECT ON \`$db\`.* TO 'verify'@'127.0.0.1'; "; done
  mariadb_sandbox_client -e "CREATE USER 'verify'@'127.0.0.1' IDENTIFIED BY '$pw'; $grants" \
    || die "cannot create the verify user"
  (umask 077; printf '[client]\nuser=verify\npassword=%s\nhost=127.0.0.1\nport=%s\nprotocol=tcp\n' \
    "$pw" "$MARIADB_SANDBOX_PORT" >"$w/client.cnf")
  in_list=$(printf "'%s'," "${dbs[@]}"); in_list=${in_list%,}
  tables=$(mariadb_sandbox_client -N -B -e "SELECT GROUP_CONCAT(CONCAT('\`', TABLE_SCHEMA, '\`.\`', TABLE_NAME, '\`') SEPARATOR ', ')
    FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ($in_list)")
  OUT[$size,tables]=$(mariadb_sandbox_client -N -B -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ($in_list)")
  OUT[$size,rows]=$(mariadb_sandbox_client -N -B -e "SELECT SUM(c) FROM (
    SELECT COUNT(*) c FROM rm_bench.oms_project UNION ALL SELECT COUNT(*) FROM rm_bench.oms_sync_project
    UNION ALL SELECT COUNT(*) FROM cm_bench.config_job UNION ALL SELECT COUNT(*) FROM cm_hb_bench.heatbeat_sequence) x")
  OUT[$size,heartbeat]=$(mariadb_sandbox_client -N -B -e "SELECT COUNT(*) FROM cm_hb_bench.heatbeat_sequence")
  settle "$MARIADB_SANDBOX_PID"

  local url="mysql://verify@127.0.0.1:$MARIADB_SANDBOX_PORT"
  verify() { # NAME EXPECTED_RC [timed]
    local name=$1 want=$2 rc=0
    if [[ ${3:-} == timed ]]; then
      OMSLINT_METADB_PASSWORD=$pw timed "$w/$name" timeout "$TIMEOUT_S" "$OMSLINT" verify --rolled-back \
        --backup-dir "$dir/metadb" --metadb "$url" --ssl-mode disabled --format json \
        >"$w/$name.json" 2>"$w/$name.stderr" || rc=$?
    else
      OMSLINT_METADB_PASSWORD=$pw timeout "$TIMEOUT_S" "$OMSLINT" verify --rolled-back \
        --backup-dir "$dir/metadb" --metadb "$url" --ssl-mode disabled --format json \
        >"$w/$name.json" 2>"$w/$name.stderr" || rc=$?
    fi
    if ((rc != want)); then
      log "$size: omslint verify ($name) exited $rc, expected $want; stderr:"
      tail -n 20 "$w/$name.stderr" >&2 || true
      return 1
    fi
  }
  checksum() { # NAME [timed]
    local name=$1 rc=0
    if [[ ${2:-} == timed ]]; then
      timed "$w/$name" timeout "$TIMEOUT_S" mariadb --defaults-file="$w/client.cnf" --batch \
        -e "CHECKSUM TABLE $tables" >"$w/$name.tsv" 2>"$w/$name.stderr" || rc=$?
    else
      timeout "$TIMEOUT_S" mariadb --defaults-file="$w/client.cnf" --batch \
        -e "CHECKSUM TABLE $tables" >"$w/$name.tsv" 2>"$w/$name.stderr" || rc=$?
    fi
    ((rc == 0)) || { log "$size: CHECKSUM TABLE failed"; cat "$w/$name.stderr" >&2; return 1; }
  }
  findings() { # NAME: OMS108 findings, with their counts
    python3 - "$w/$1.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
out = [f"{f['subject']['id']}: {f['evidence'].get('missing', 0):,} missing, {f['evidence'].get('extra', 0):,} extra, {f['evidence'].get('changed', 0):,} changed"
       for f in r["findings"] if f["code"] == "OMS108"]
print("; ".join(out) or "none")
EOF
  }

  local o_ok=1 c_ok=1
  log "$size: warm-up runs (untimed): omslint verify, then CHECKSUM TABLE"
  verify verify-warm 0 || o_ok=0
  checksum checksum-warm || c_ok=0
  for i in 1 2; do
    log "$size: timed run $i of 2"
    ((o_ok)) && { verify "verify-$i" 0 timed || o_ok=0; }
    ((c_ok)) && { checksum "checksum-$i" timed || c_ok=0; }
  done
  best() { # PREFIX -> "wall_s rss_kb"
    awk -v a="$(secs "$w/$1-1")" -v b="$(secs "$w/$1-2")" -v ra="$(rss_kb "$w/$1-1")" -v rb="$(rss_kb "$w/$1-2")" \
      'BEGIN { printf "%s %d\n", (a < b ? a : b), (ra > rb ? ra : rb) }'
  }
  if ((o_ok)); then
    read -r "OUT[$size,o_wall]" "OUT[$size,o_rss]" < <(best verify)
    OUT[$size,o_runs]="$(secs "$w/verify-1") / $(secs "$w/verify-2")"
  else
    OUT[$size,o_wall]=failed; BENCH_FAILED=1
  fi
  if ((c_ok)); then
    read -r "OUT[$size,c_wall]" "OUT[$size,c_rss]" < <(best checksum)
    OUT[$size,c_runs]="$(secs "$w/checksum-1") / $(secs "$w/checksum-2")"
  else
    OUT[$size,c_wall]=failed; BENCH_FAILED=1
  fi

  # ---- restores that are not faithful (each measured once)
  local cases=(one pct)
  [[ ${BENCH_VERIFY_ALL:-1} == 0 ]] || cases+=(all)
  for c in "${cases[@]}"; do
    case $c in
      one) mariadb_sandbox_client -e "DELETE FROM cm_hb_bench.heatbeat_sequence WHERE id = (SELECT id FROM
               (SELECT id FROM cm_hb_bench.heatbeat_sequence ORDER BY id LIMIT 1 OFFSET 5000) x);
             UPDATE rm_bench.oms_project SET project_name = CONCAT(project_name, '-x') ORDER BY id LIMIT 1" ;;
      pct) mariadb_sandbox_client -e "UPDATE cm_hb_bench.heatbeat_sequence SET gmt_modified = gmt_modified + INTERVAL 1 SECOND WHERE id % 100 = 0" ;;
      all) mariadb_sandbox_client -e "UPDATE cm_hb_bench.heatbeat_sequence SET gmt_modified = gmt_modified + INTERVAL 2 SECOND" ;;
    esac
    settle "$MARIADB_SANDBOX_PID"
    log "$size: omslint verify after the change '$c'"
    if verify "verify-$c" 1 timed; then
      OUT[$size,$c]="$(secs "$w/verify-$c") s, $(mb "$(rss_kb "$w/verify-$c")") MB: $(findings "verify-$c")"
    else
      OUT[$size,$c]=failed; BENCH_FAILED=1
    fi
  done

  mariadb_sandbox_stop "$SB" >/dev/null 2>&1 || true
  sb_up=0
  rm -rf "$SB"
  rm -f "$w/client.cnf"
  log "$size: done"
}

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
for s in "${SIZES[@]}"; do measure_size "$s"; done
TOTAL_S=$(elapsed_since "$T_START")

report() {
  local s
  echo "# omslint verify --rolled-back benchmark"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); git: $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$REPO_DIR" diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ modified)'); ${OMSLINT_VERSION}"
  echo "- machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) x $(nproc), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM; $(mariadbd --version 2>/dev/null | awk '{ print $3 }' || echo 'MariaDB ?'); load average at start $LOADAVG; $TOTAL_S s in all"
  echo "- omslint compares the backups (DIR/metadb, read from disk) with the restored tables (read live over TCP as a SELECT-only user); CHECKSUM TABLE reads only the live tables and says nothing of the backup or of which rows differ"
  echo
  echo "| size | tables | rows (4 largest tables) | backups | omslint verify wall s | omslint peak RSS MB | CHECKSUM TABLE wall s | mariadb client peak RSS MB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for s in "${SIZES[@]}"; do
    echo "| $s | ${OUT[$s,tables]} | $(num "${OUT[$s,rows]}") | $(awk -v b="${OUT[$s,bytes]}" 'BEGIN { printf "%.1f MB", b / 1e6 }') | ${OUT[$s,o_wall]} | ${OUT[$s,o_rss]:+$(mb "${OUT[$s,o_rss]}")} | ${OUT[$s,c_wall]} | ${OUT[$s,c_rss]:+$(mb "${OUT[$s,c_rss]}")} |"
  done
  echo
  echo "Timed runs (wall s): omslint / CHECKSUM TABLE"
  echo
  for s in "${SIZES[@]}"; do echo "- $s: ${OUT[$s,o_runs]:-—} / ${OUT[$s,c_runs]:-—} (restore, not measured: ${OUT[$s,load]} s)"; done
  echo
  echo "After a restore that is not faithful (one run each: wall, peak RSS, OMS108 findings):"
  echo
  for s in "${SIZES[@]}"; do
    echo "- $s, one heartbeat row deleted and one project renamed: ${OUT[$s,one]:-—}"
    echo "- $s, every 100th heartbeat row changed: ${OUT[$s,pct]:-—}"
    echo "- $s, every heartbeat row changed: ${OUT[$s,all]:-not run (BENCH_VERIFY_ALL=0)}"
  done
}
report | tee "$RESULTS/verify-latest.md"
exit "$BENCH_FAILED"
