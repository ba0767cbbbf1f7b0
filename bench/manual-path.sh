#!/usr/bin/env bash
# The guides' manual path, step by step, against a running sandbox MariaDB
# (MARIADB_SANDBOX_SOCKET). bench/run.sh times each step with /usr/bin/time.
#
#   manual-path.sh load DIR            restore DIR/metadb/<db>.sql into <db> with the mariadb client
#   manual-path.sh queries DIR OUTDIR  run the guides' SQL checks; one TSV per query in OUTDIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${MARIADB_SANDBOX_SOCKET:?start the sandbox first}"

case ${1:-} in
  load)
    dir=${2:?DIR}
    for db in "${BENCH_DBS[@]}"; do
      # The rollback procedure of the guides: drop and re-create the database, restore its dump.
      sb_client -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\`"
      sb_client "$db" <"$dir/metadb/$db.sql"
    done
    ;;
  queries)
    dir=${2:?DIR} out=${3:?OUTDIR}
    mkdir -p "$out"
    # Step 1 of the blackRegionNo check: "cat /home/admin/conf/config.yaml | grep 'cm_location'".
    cm_location=$(grep 'cm_location' "$dir/config.yaml" | head -n1 | awk '{print $2}')
    [[ $cm_location =~ ^[0-9]+$ ]] || { echo "no cm_location in $dir/config.yaml" >&2; exit 2; }
    q() { sb_client --batch "$1" -e "$3" >"$out/$2.tsv"; }
    q rm_bench dup-oms_project \
      'SELECT project_name,count(*) AS count,group_concat(id) AS ids FROM oms_project WHERE project_status != "DELETED" GROUP BY project_name HAVING count(*) > 1;'
    q rm_bench dup-oms_sync_project \
      'SELECT project_name,count(*) AS count,group_concat(id) AS ids FROM oms_sync_project WHERE project_status != "DELETED" GROUP BY project_name HAVING count(*) > 1;'
    q cm_bench blackregionno \
      "SELECT * FROM config_job WHERE \`key\`='sourceFile.blackRegionNo' AND VALUE!=$cm_location;"
    q cm_hb_bench heartbeat-count 'SELECT count(*) FROM heatbeat_sequence;'
    q rm_bench ha-config "SELECT cfg_value FROM oms_normal_config WHERE cfg_name='ha.config';"
    ;;
  *) sed -n '2,7p' "$0" >&2; exit 2 ;;
esac
