#!/usr/bin/env bash
# Does a new omslint report exactly what the old one did? For each data set, runs
#   OLD_BIN lint DIR --format json   and   NEW_BIN lint DIR --format json
# one after the other and compares the two JSON reports byte for byte, except the
# "generated_at" line; the exit codes must match too.
#
#   bash bench/same-output.sh OLD_BIN NEW_BIN [DIR...]
#
# DIR default: every bench data set present (complete dumps and a config.yaml) of
# bench/data/large, small, large-components, small-components, live-small.
# Prints OK or DIFFERS per DIR (with the first lines of the diff); exits 0 when every DIR
# is OK, 1 when one differs, 2 when a run failed (exit other than 0 or 1) or on bad usage.
# The reports are kept in bench/data/.same-output/ until the next run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
case ${1:-} in -h|--help) usage; exit 0 ;; esac
(($# >= 2)) || { usage >&2; exit 2; }
OLD=$1 NEW=$2
shift 2
for b in "$OLD" "$NEW"; do
  [[ -x $b && -f $b ]] || die "not an executable: $b"
done

DIRS=("$@")
if ((${#DIRS[@]} == 0)); then
  for d in large small large-components small-components live-small; do
    d="$BENCH_DIR/data/$d"
    dumps_present "$d" && [[ -f $d/config.yaml ]] && DIRS+=("$d")
  done
  ((${#DIRS[@]})) || die "no bench data set under $BENCH_DIR/data (bash bench/generate.sh makes one)"
fi

WORK="$BENCH_DIR/data/.same-output"
mkdir -p "$WORK"
rm -f "$WORK"/*.json "$WORK"/*.stderr "$WORK"/*.diff

# run BIN DIR OUT: the report on OUT, stderr next to it; prints the exit code.
run() {
  local rc=0
  "$1" lint "$2" --format json >"$3" 2>"${3%.json}.stderr" || rc=$?
  echo "$rc"
}

status=0
i=0
for dir in "${DIRS[@]}"; do
  i=$((i + 1))
  [[ -d $dir ]] || { printf '%-60s FAILED (no such directory)\n' "$dir"; status=2; continue; }
  name="$i-$(basename "$dir")"
  old_json="$WORK/$name.old.json" new_json="$WORK/$name.new.json"
  old_rc=$(run "$OLD" "$dir" "$old_json")
  new_rc=$(run "$NEW" "$dir" "$new_json")
  if [[ ! $old_rc =~ ^[01]$ || ! $new_rc =~ ^[01]$ ]]; then
    printf '%-60s FAILED (exit %s old, %s new; stderr in %s)\n' "$dir" "$old_rc" "$new_rc" "$WORK"
    status=2
    continue
  fi
  # The reports without their "generated_at" line (the time of the run).
  if cmp -s <(grep -v '^  "generated_at": ' "$old_json") <(grep -v '^  "generated_at": ' "$new_json") \
     && [[ $old_rc == "$new_rc" ]]; then
    printf '%-60s OK (exit %s, %s bytes)\n' "$dir" "$new_rc" "$(stat -c %s "$new_json")"
  else
    printf '%-60s DIFFERS (exit %s old, %s new; %s and %s bytes)\n' "$dir" "$old_rc" "$new_rc" \
      "$(stat -c %s "$old_json")" "$(stat -c %s "$new_json")"
    diff <(grep -v '^  "generated_at": ' "$old_json") <(grep -v '^  "generated_at": ' "$new_json") \
      >"$WORK/$name.diff" || true
    head -n 20 "$WORK/$name.diff" | sed 's/^/    /'
    n=$(grep -c '^[<>]' "$WORK/$name.diff" || true)
    printf '    (%s diff lines; whole diff: %s)\n' "$n" "$WORK/$name.diff"
    ((status == 2)) || status=1
  fi
done
exit "$status"
