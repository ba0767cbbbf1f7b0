#!/usr/bin/env bash
# The omslint benchmark: one command, one report.
#
#   bash bench/run.sh [DIR]        (DIR default: bench/data/large, generated if missing)
#
# Environment: CARGO_TARGET_DIR (where cargo builds omslint), BENCH_OMSLINT=/path/to/omslint
# (measure that binary, no build), BENCH_OMSLINT_TIMEOUT (seconds, default 900),
# BENCH_MANUAL_TUNE=0 (manual path on the sandbox's default server settings).
#
# Measures, on the same dump files of DIR/metadb/:
#   cat      reading them to /dev/null with a warm page cache (the I/O ceiling)
#   omslint  target/release/omslint lint DIR --format json > /dev/null
#   manual   the guides' path: restore the dumps into MariaDB with the mariadb client, then
#            run the guides' SQL checks (server start and stop not counted)
# and omslint's peak RSS on the small (bench/data/small) and the large data set.
# Wall time and peak RSS come from GNU time (/usr/bin/time -f '%e %M').
# Prints a Markdown table and writes it to bench/results/latest.md. Timings are reported,
# never asserted: the exit code is non-zero only when something could not be measured
# (omslint exiting other than 0 or 1, the manual path failing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=${1:-$BENCH_DIR/data/large}
SMALL="$BENCH_DIR/data/small"
RESULTS="$BENCH_DIR/results"
WORK="$BENCH_DIR/data/.run"
GNU_TIME=/usr/bin/time
[[ -x $GNU_TIME ]] || die "GNU time is needed at $GNU_TIME"

if [[ -f $SANDBOX_SCRIPT ]]; then
  load_sandbox_lib
  # A server left behind by an interrupted run would hold the files we are about to remove.
  if [[ -f $WORK/sandbox-manual/sandbox.pid ]]; then
    mariadb_sandbox_stop "$WORK/sandbox-manual" >/dev/null 2>&1 || true
  fi
fi
mkdir -p "$RESULTS" "$WORK"
rm -rf "${WORK:?}"/*
R="$WORK/results.env"   # key=value facts for bench/report.py
: >"$R"
put() { printf '%s=%s\n' "$1" "$2" >>"$R"; }
BENCH_FAILED=0

ensure_data() { # DIR, generate args...
  local d=$1; shift
  dumps_present "$d" && return 0
  log "no complete dumps in $d: generating them"
  bash "$BENCH_DIR/generate.sh" --out "$d" "$@" >&2
}

if ! dumps_present "$DIR"; then
  if [[ $(realpath -m "$DIR") == "$(realpath -m "$SMALL")" ]]; then
    ensure_data "$DIR" --projects 200000 --heartbeat-rows 1000000
  else
    ensure_data "$DIR"
  fi
fi
DIR=$(cd "$DIR" && pwd)
mapfile -t FILES < <(dump_files "$DIR")
BYTES=$(total_bytes "${FILES[@]}")
put dir "$DIR"
put bytes "$BYTES"
for f in "${FILES[@]}"; do put "file_$(basename "$f" .sql)" "$(stat -c %s "$f")"; done

# Machine facts for the report header.
put date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
put cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) x $(nproc)"
put mem "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
put kernel "$(uname -r)"
put mariadb "$(mariadbd --version 2>/dev/null | awk '{ print $3 }')"
put git_rev "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo none)"
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

# ---------------------------------------------------------------- cat (I/O ceiling)
log "cat: reading $(human_bytes "$BYTES") twice (the second run, warm, is the ceiling)"
timed cat1 cat "${FILES[@]}" >/dev/null
timed cat2 cat "${FILES[@]}" >/dev/null
put cat_cold_wall "$(time_of cat1)"
put cat_wall "$(time_of cat2)"
put cat_gnu_wall "$(gnu_time_of cat2)"
put cat_rss_kb "$(rss_of cat2)"

# ---------------------------------------------------------------- omslint
# BENCH_OMSLINT=/path/to/omslint measures that binary and skips the build. A run longer
# than BENCH_OMSLINT_TIMEOUT seconds (default 900: the manual path takes about 60 s) is
# stopped and reported as failed.
OMSLINT_TIMEOUT=${BENCH_OMSLINT_TIMEOUT:-900}
OMSLINT_OK=0
if [[ -n ${BENCH_OMSLINT:-} ]]; then
  OMSLINT=$BENCH_OMSLINT
  [[ -x $OMSLINT ]] && OMSLINT_OK=1
  put omslint_build "not built by the bench (BENCH_OMSLINT)"
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
else
  log "omslint: not built (see $WORK/cargo-build.log)"
  put omslint_status not-built
fi

# A shared 2-core VM swings a run by ±20 %: omslint runs BENCH_RUNS times (default 5) and
# the median wall time is reported, with the spread; peak RSS is the largest seen.
RUNS=${BENCH_RUNS:-5}
run_omslint() { # LABEL DATA_DIR -> sets omslint_<LABEL>_* in the results
  local label=$1 data=$2 rc=0 i
  local -a files walls=() rss=()
  mapfile -t files < <(dump_files "$data")
  warm "${files[@]}"
  for ((i = 1; i <= RUNS; i++)); do
    rc=0
    timed "omslint-$label" timeout "$OMSLINT_TIMEOUT" "$OMSLINT" lint "$data" --format json \
      >/dev/null 2>"$WORK/omslint-$label.stderr" || rc=$?
    ((rc == 0 || rc == 1)) || break
    walls+=("$(time_of "omslint-$label")")
    rss+=("$(rss_of "omslint-$label")")
  done
  if ((rc == 124)); then
    echo "timed out after $OMSLINT_TIMEOUT s (BENCH_OMSLINT_TIMEOUT)" >"$WORK/omslint-$label.stderr"
  elif ((rc > 128)); then
    sed -i "1i killed by signal $((rc - 128)) after $(time_of "omslint-$label") s" "$WORK/omslint-$label.stderr"
  fi
  put "omslint_${label}_rc" "$rc"
  if ((rc == 0 || rc == 1)); then
    put "omslint_${label}_runs" "${#walls[@]}"
    put "omslint_${label}_walls" "${walls[*]}"
    put "omslint_${label}_wall" "$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
    put "omslint_${label}_gnu_wall" "$(gnu_time_of "omslint-$label")"
    put "omslint_${label}_rss_kb" "$(printf '%s\n' "${rss[@]}" | sort -g | tail -n1)"
  else
    put "omslint_${label}_error" "$(grep -m1 . "$WORK/omslint-$label.stderr" | cut -c1-300)"
    log "omslint on $data exited $rc (a bench failure); stderr:"
    tail -n 20 "$WORK/omslint-$label.stderr" >&2 || true
    BENCH_FAILED=1
  fi
}

if ((OMSLINT_OK)); then
  log "omslint: lint $DIR --format json"
  run_omslint large "$DIR"
  [[ $(grep '^omslint_large_rc=' "$R" | cut -d= -f2) =~ ^[01]$ ]] && put omslint_status ok \
    || put omslint_status failed
fi

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

manual() {
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
  put manual_server_settings "$(sb_client -N -B -e "SELECT CONCAT('innodb_buffer_pool_size=', ROUND(@@innodb_buffer_pool_size/1048576), 'M, innodb_flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit, ', innodb_log_file_size=', ROUND(@@innodb_log_file_size/1048576), 'M')")"
  local hwm_start
  hwm_start=$(awk '/^VmHWM/ { print $2 }' "/proc/$MARIADB_SANDBOX_PID/status")
  put manual_server_start_rss_kb "$hwm_start"
  warm "${FILES[@]}"
  log "manual: loading the dumps with the mariadb client"
  timed manual-load bash "$BENCH_DIR/manual-path.sh" load "$DIR" || return 1
  log "manual: the guides' SQL checks"
  timed manual-queries bash "$BENCH_DIR/manual-path.sh" queries "$DIR" "$WORK/manual-queries" || return 1
  put manual_server_rss_kb "$(awk '/^VmHWM/ { print $2 }' "/proc/$MARIADB_SANDBOX_PID/status")"
  put manual_load_wall "$(time_of manual-load)"
  put manual_load_rss_kb "$(rss_of manual-load)"
  put manual_queries_wall "$(time_of manual-queries)"
  put manual_queries_rss_kb "$(rss_of manual-queries)"
  local q n
  for q in dup-oms_project dup-oms_sync_project blackregionno; do
    n=$(($(wc -l <"$WORK/manual-queries/$q.tsv")))
    ((n > 0)) && n=$((n - 1))   # header line
    put "manual_rows_$q" "$n"
  done
  put manual_heartbeat_count "$(sed -n 2p "$WORK/manual-queries/heartbeat-count.tsv")"
  put manual_ha_config "$(sed -n 2p "$WORK/manual-queries/ha-config.tsv" | cut -c1-60)"
  stop_sandbox
}
if manual; then
  put manual_status ok
else
  log "manual path failed"
  put manual_status failed
  BENCH_FAILED=1
  stop_sandbox
fi

# ---------------------------------------------------------------- memory flatness
if ((OMSLINT_OK)); then
  ensure_data "$SMALL" --projects 200000 --heartbeat-rows 1000000
  mapfile -t SFILES < <(dump_files "$SMALL")
  put small_dir "$SMALL"
  put small_bytes "$(total_bytes "${SFILES[@]}")"
  log "omslint: lint $SMALL --format json (memory flatness)"
  run_omslint small "$SMALL"
fi

# ---------------------------------------------------------------- report
python3 "$BENCH_DIR/report.py" "$R" >"$WORK/latest.md"
cp "$WORK/latest.md" "$RESULTS/latest.md"
cat "$WORK/latest.md"
log "written to ${RESULTS#"$REPO_DIR"/}/latest.md"
exit "$BENCH_FAILED"
