#!/usr/bin/env bash
# The omslint benchmark: one command, one report.
#
#   bash bench/run.sh          every shape of BENCH_SHAPES (default "findings components")
#   bash bench/run.sh DIR      just DIR (its shape from DIR/SHAPE; no small set)
#
# Shapes (bench/generate.sh --shape; data sets generated when missing):
#   findings    bench/data/large, small set bench/data/small: many findings
#   components  bench/data/large-components, small set bench/data/small-components: few
#               findings, many components
#
# Environment: CARGO_TARGET_DIR (where cargo builds omslint), BENCH_OMSLINT=/path/to/omslint
# (measure that binary, no build), BENCH_RUNS (omslint runs per large set, default 5),
# BENCH_OMSLINT_TIMEOUT (seconds, default 900), BENCH_MANUAL_TUNE=0 (manual path on the
# sandbox's default server settings), BENCH_SHAPES (the shapes to measure, in order).
#
# Measures, for each shape, on the same dump files of the large set's metadb/:
#   cat      reading them to /dev/null, twice: the second (warm page cache) is the ceiling
#   omslint  omslint lint DIR --format json > /dev/null, BENCH_RUNS times (median, spread,
#            largest peak RSS), then once more untimed to count its findings by code
#   manual   the guides' path: restore the dumps into MariaDB with the mariadb client, then
#            run the guides' SQL checks (server start and stop not counted)
#   small    omslint on the small set of the same shape (memory flatness)
# Wall time and peak RSS come from GNU time (/usr/bin/time -f '%e %M').
# Prints one Markdown report (a section per shape) and writes it to bench/results/latest.md.
# Timings are reported, never asserted: the exit code is non-zero only when something could
# not be measured (omslint exiting other than 0 or 1, the manual path failing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RESULTS="$BENCH_DIR/results"
WORK="$BENCH_DIR/data/.run"
GNU_TIME=/usr/bin/time
[[ -x $GNU_TIME ]] || die "GNU time is needed at $GNU_TIME"
(($# <= 1)) || die "usage: bash bench/run.sh [DIR]"

large_dir_of() { case $1 in findings) echo "$BENCH_DIR/data/large" ;; components) echo "$BENCH_DIR/data/large-components" ;; esac; }
small_dir_of() { case $1 in findings) echo "$BENCH_DIR/data/small" ;; components) echo "$BENCH_DIR/data/small-components" ;; esac; }
small_args_of() { case $1 in findings) echo "--projects 200000 --heartbeat-rows 1000000" ;; components) echo "--projects 220000 --heartbeat-rows 1000000" ;; esac; }

# The sections to measure: "SHAPE LARGE_DIR SMALL_DIR" (SMALL_DIR "-" = none).
SECTIONS=()
if (($#)); then
  DIR=$(realpath -m "$1")
  shape=$(shape_of "$DIR")
  # A known directory not generated yet: the shape its name says (it is generated below).
  if [[ ! -f $DIR/SHAPE ]]; then
    for s in findings components; do
      if [[ $DIR == "$(realpath -m "$(small_dir_of "$s")")" || $DIR == "$(realpath -m "$(large_dir_of "$s")")" ]]; then
        shape=$s
      fi
    done
  fi
  SECTIONS+=("$shape $DIR -")
else
  read -r -a shapes <<<"${BENCH_SHAPES:-findings components}"
  ((${#shapes[@]})) || die "BENCH_SHAPES is empty"
  for s in "${shapes[@]}"; do
    [[ $s == findings || $s == components ]] || die "BENCH_SHAPES: unknown shape $s (findings or components)"
    SECTIONS+=("$s $(large_dir_of "$s") $(small_dir_of "$s")")
  done
fi

if [[ -f $SANDBOX_SCRIPT ]]; then
  load_sandbox_lib
  # A server left behind by an interrupted run would hold the files we are about to remove.
  if [[ -f $WORK/sandbox-manual/sandbox.pid ]]; then
    mariadb_sandbox_stop "$WORK/sandbox-manual" >/dev/null 2>&1 || true
  fi
fi
mkdir -p "$RESULTS" "$WORK"
rm -rf "${WORK:?}"/*
R="$WORK/results.env"   # key=value facts for bench/report.py; per-shape keys are SHAPE.key
: >"$R"
put() { printf '%s=%s\n' "$1" "$2" >>"$R"; }
SEC=
sput() { put "$SEC.$1" "$2"; }
BENCH_FAILED=0

# ensure_data DIR SHAPE [generate args...]: generate DIR when its dumps are missing.
ensure_data() {
  local d=$1 shape=$2; shift 2
  dumps_present "$d" && return 0
  log "no complete dumps in $d: generating them ($shape shape)"
  bash "$BENCH_DIR/generate.sh" --shape "$shape" --out "$d" "$@" >&2
}

# ---------------------------------------------------------------- data (before any timing)
for sec in "${SECTIONS[@]}"; do
  read -r shape large small <<<"$sec"
  if [[ $small == - ]]; then
    if ! dumps_present "$large"; then
      known=0
      for s in findings components; do
        if [[ $large == "$(realpath -m "$(large_dir_of "$s")")" ]]; then
          ensure_data "$large" "$s"; known=1
        elif [[ $large == "$(realpath -m "$(small_dir_of "$s")")" ]]; then
          # shellcheck disable=SC2046
          ensure_data "$large" "$s" $(small_args_of "$s"); known=1
        fi
      done
      ((known)) || die "$large has no complete dumps (metadb/rm_bench.sql, cm_bench.sql, cm_hb_bench.sql)"
    fi
  else
    ensure_data "$large" "$shape"
    # shellcheck disable=SC2046
    ensure_data "$small" "$shape" $(small_args_of "$shape")
  fi
done

# Machine facts for the report header.
put sections "$(for sec in "${SECTIONS[@]}"; do printf '%s ' "${sec%% *}"; done | sed 's/ $//')"
put date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
put cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) x $(nproc)"
put mem "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
put kernel "$(uname -r)"
put mariadb "$(mariadbd --version 2>/dev/null | awk '{ print $3 }')"
put git_rev "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo none)"
put runs "${BENCH_RUNS:-5}"
put loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"   # other work on the machine skews everything

warm() { cat "$@" >/dev/null; }

# timed NAME CMD...: run CMD under GNU time (/usr/bin/time -f '%e %M'); NAME.time gets
# "wall_s maxrss_kb". %e has 10 ms resolution, too coarse for cat of a warm file, so the
# wall time reported is a nanosecond clock read around the same command (NAME.ns); GNU
# time's %e is kept next to it in the report data. Returns CMD's exit code.
timed() {
  local name=$1; shift
  local rc=0 t0 t1
  t0=$(date +%s%N)
  "$GNU_TIME" -f '%e %M' -o "$WORK/$name.time" "$@" || rc=$?
  t1=$(date +%s%N)
  echo $((t1 - t0)) >"$WORK/$name.ns"
  return "$rc"
}
time_of() { awk '{ printf "%.4f", $1 / 1e9 }' "$WORK/$1.ns"; }
gnu_time_of() { tail -n1 "$WORK/$1.time" | awk '{ print $1 }'; }
rss_of() { tail -n1 "$WORK/$1.time" | awk '{ print $2 }'; }

# ---------------------------------------------------------------- omslint binary
# BENCH_OMSLINT=/path/to/omslint measures that binary and skips the build. A run longer
# than BENCH_OMSLINT_TIMEOUT seconds (default 900: the manual path takes about 60 s) is
# stopped and reported as failed.
OMSLINT_TIMEOUT=${BENCH_OMSLINT_TIMEOUT:-900}
OMSLINT_OK=0
if [[ -n ${BENCH_OMSLINT:-} ]]; then
  OMSLINT=$BENCH_OMSLINT
  [[ -x $OMSLINT ]] && OMSLINT_OK=1
  put omslint_build "not built by the bench (BENCH_OMSLINT)"
  put omslint_path "$OMSLINT"
else
  TARGET_DIR=${CARGO_TARGET_DIR:-target}
  TARGET_DIR=$(cd "$REPO_DIR" && realpath -m "$TARGET_DIR")
  OMSLINT="$TARGET_DIR/release/omslint"
  log "omslint: cargo build --release (log: $WORK/cargo-build.log)"
  if command -v cargo >/dev/null && (cd "$REPO_DIR" && cargo build --release) >"$WORK/cargo-build.log" 2>&1 \
     && [[ -x $OMSLINT ]]; then
    OMSLINT_OK=1
  fi
fi
if ((OMSLINT_OK)); then
  put omslint_version "$("$OMSLINT" --version 2>/dev/null | head -n1 || true)"
  put omslint_status ok
else
  log "omslint: not built (see $WORK/cargo-build.log)"
  put omslint_status not-built
fi

# A shared 2-core VM swings a run by ±20 %: omslint runs BENCH_RUNS times (default 5) and
# the median wall time is reported, with the spread; peak RSS is the largest seen.
RUNS=${BENCH_RUNS:-5}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"
run_omslint() { # LABEL DATA_DIR -> sets SEC.omslint_<LABEL>_* in the results
  local label=$1 data=$2 rc=0 i name="$SEC-omslint-$1"
  local -a files walls=() rss=()
  mapfile -t files < <(dump_files "$data")
  warm "${files[@]}"
  for ((i = 1; i <= RUNS; i++)); do
    rc=0
    timed "$name" timeout "$OMSLINT_TIMEOUT" "$OMSLINT" lint "$data" --format json \
      >/dev/null 2>"$WORK/$name.stderr" || rc=$?
    ((rc == 0 || rc == 1)) || break
    walls+=("$(time_of "$name")")
    rss+=("$(rss_of "$name")")
  done
  if ((rc == 124)); then
    echo "timed out after $OMSLINT_TIMEOUT s (BENCH_OMSLINT_TIMEOUT)" >"$WORK/$name.stderr"
  elif ((rc > 128)); then
    sed -i "1i killed by signal $((rc - 128)) after $(time_of "$name") s" "$WORK/$name.stderr"
  fi
  sput "omslint_${label}_rc" "$rc"
  if ((rc == 0 || rc == 1)); then
    sput "omslint_${label}_runs" "${#walls[@]}"
    sput "omslint_${label}_walls" "${walls[*]}"
    sput "omslint_${label}_wall" "$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
    sput "omslint_${label}_gnu_wall" "$(gnu_time_of "$name")"
    sput "omslint_${label}_rss_kb" "$(printf '%s\n' "${rss[@]}" | sort -g | tail -n1)"
    sput "omslint_${label}_rsss" "$(printf '%s\n' "${rss[@]}" | awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), $1 / 1024 }')"
    return 0
  fi
  sput "omslint_${label}_error" "$(grep -m1 . "$WORK/$name.stderr" | cut -c1-300)"
  log "omslint on $data exited $rc (a bench failure); stderr:"
  tail -n 20 "$WORK/$name.stderr" >&2 || true
  BENCH_FAILED=1
  return 1
}

# count_findings DATA_DIR: one more run, untimed, its JSON kept just long enough to count
# the findings by code ("OMS003:1629 OMS007:50 ..."), for the cross-check with the guides'
# queries.
count_findings() {
  local json="$WORK/$SEC-omslint.json" rc=0
  timeout "$OMSLINT_TIMEOUT" "$OMSLINT" lint "$1" --format json >"$json" 2>/dev/null || rc=$?
  if ((rc == 0 || rc == 1)); then
    sput omslint_findings "$(python3 -c '
import collections, json, sys
with open(sys.argv[1], encoding="utf-8") as fh:
    report = json.load(fh)
counts = collections.Counter(f.get("code", "?") for f in report.get("findings", []))
print(" ".join(f"{code}:{n}" for code, n in sorted(counts.items())))' "$json" || echo "?")"
  fi
  rm -f "$json"
}

# ---------------------------------------------------------------- manual path
SB="$WORK/sandbox-manual"
sb_up=0
stop_sandbox() {
  if ((sb_up)); then
    mariadb_sandbox_stop "$SB" >/dev/null 2>&1 || true
    sb_up=0
  fi
  rm -rf "$SB"
}
trap stop_sandbox EXIT
trap 'exit 130' INT TERM

manual() { # DIR FILES...
  local dir=$1; shift
  declare -F mariadb_sandbox_start >/dev/null || { log "manual: $SANDBOX_SCRIPT is missing"; return 1; }
  mkdir -p "$SB"
  mariadb_sandbox_start "$SB" || return 1
  sb_up=1
  log "manual: sandbox MariaDB up (pid $MARIADB_SANDBOX_PID)"
  # A DBA restoring 1 GB would size the buffer pool and the redo log; so do we, so the
  # manual figure is a fair (fast) one. BENCH_MANUAL_TUNE=0 keeps the sandbox's settings.
  if [[ ${BENCH_MANUAL_TUNE:-1} == 1 ]]; then
    sb_tune_for_load 2 \
      || log "manual: could not tune the server (continuing with its defaults)"
  fi
  sput manual_server_settings "$(sb_client -N -B -e "SELECT CONCAT('innodb_buffer_pool_size=', ROUND(@@innodb_buffer_pool_size/1048576), 'M, innodb_flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit, ', innodb_log_file_size=', ROUND(@@innodb_log_file_size/1048576), 'M')")"
  sput manual_server_start_rss_kb "$(awk '/^VmHWM/ { print $2 }' "/proc/$MARIADB_SANDBOX_PID/status")"
  warm "$@"
  log "manual: loading the dumps with the mariadb client"
  timed "$SEC-manual-load" bash "$BENCH_DIR/manual-path.sh" load "$dir" || return 1
  log "manual: the guides' SQL checks"
  timed "$SEC-manual-queries" bash "$BENCH_DIR/manual-path.sh" queries "$dir" "$WORK/$SEC-manual-queries" || return 1
  sput manual_server_rss_kb "$(awk '/^VmHWM/ { print $2 }' "/proc/$MARIADB_SANDBOX_PID/status")"
  sput manual_load_wall "$(time_of "$SEC-manual-load")"
  sput manual_load_rss_kb "$(rss_of "$SEC-manual-load")"
  sput manual_queries_wall "$(time_of "$SEC-manual-queries")"
  sput manual_queries_rss_kb "$(rss_of "$SEC-manual-queries")"
  local q n
  for q in dup-oms_project dup-oms_sync_project blackregionno; do
    n=$(($(wc -l <"$WORK/$SEC-manual-queries/$q.tsv")))
    ((n > 0)) && n=$((n - 1))   # header line
    sput "manual_rows_$q" "$n"
  done
  sput manual_heartbeat_count "$(sed -n 2p "$WORK/$SEC-manual-queries/heartbeat-count.tsv")"
  sput manual_ha_config "$(sed -n 2p "$WORK/$SEC-manual-queries/ha-config.tsv" | cut -c1-60)"
  stop_sandbox
}

# ---------------------------------------------------------------- each shape
for sec in "${SECTIONS[@]}"; do
  read -r SEC DIR SMALL <<<"$sec"
  DIR=$(cd "$DIR" && pwd)
  mapfile -t FILES < <(dump_files "$DIR")
  BYTES=$(total_bytes "${FILES[@]}")
  log "== shape $SEC: $DIR ($(human_bytes "$BYTES"))"
  sput shape "$(shape_of "$DIR")"
  sput shape_info "$( [[ -f $DIR/SHAPE ]] && tail -n +2 "$DIR/SHAPE" | tr '\n' ' ' | sed 's/ $//')"
  sput dir "$DIR"
  sput bytes "$BYTES"
  for f in "${FILES[@]}"; do sput "file_$(basename "$f" .sql)" "$(stat -c %s "$f")"; done
  sput loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"

  # cat (I/O ceiling)
  log "cat: reading $(human_bytes "$BYTES") twice (the second run, warm, is the ceiling)"
  timed "$SEC-cat1" cat "${FILES[@]}" >/dev/null
  timed "$SEC-cat2" cat "${FILES[@]}" >/dev/null
  sput cat_cold_wall "$(time_of "$SEC-cat1")"
  sput cat_wall "$(time_of "$SEC-cat2")"
  sput cat_gnu_wall "$(gnu_time_of "$SEC-cat2")"
  sput cat_rss_kb "$(rss_of "$SEC-cat2")"

  # omslint on the large set
  if ((OMSLINT_OK)); then
    log "omslint: lint $DIR --format json ($RUNS runs)"
    if run_omslint large "$DIR"; then
      sput omslint_status ok
      count_findings "$DIR"
    else
      sput omslint_status failed
    fi
  else
    sput omslint_status not-built
  fi

  # manual path
  if manual "$DIR" "${FILES[@]}"; then
    sput manual_status ok
  else
    log "manual path failed"
    sput manual_status failed
    BENCH_FAILED=1
    stop_sandbox
  fi

  # memory flatness: the small set of the same shape
  if ((OMSLINT_OK)) && [[ $SMALL != - ]]; then
    SMALL=$(cd "$SMALL" && pwd)
    mapfile -t SFILES < <(dump_files "$SMALL")
    sput small_dir "$SMALL"
    sput small_bytes "$(total_bytes "${SFILES[@]}")"
    log "omslint: lint $SMALL --format json (memory flatness)"
    run_omslint small "$SMALL" || true
  fi
done
put loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- report
python3 "$BENCH_DIR/report.py" "$R" >"$WORK/latest.md"
cp "$WORK/latest.md" "$RESULTS/latest.md"
cat "$WORK/latest.md"
log "written to ${RESULTS#"$REPO_DIR"/}/latest.md"
exit "$BENCH_FAILED"
