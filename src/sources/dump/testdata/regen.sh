#!/usr/bin/env bash
# Regenerates the committed mariadb-dump fixtures of the dump reader's tests.
#
# Starts a throwaway MariaDB server in a temp dir (no network, its own socket), loads
# tables with data that stresses the row scanner (quotes, backslashes, NUL, CR/LF,
# emoji, Chinese, BLOBs holding every byte value, invalid UTF-8, NULLs, BIT, triggers
# and routines whose bodies hold ';'), dumps them in the modes users run, and stops the
# server by its PID on exit, also on failure. The tests in ../tests.rs assert the exact
# values inserted here: change both together.
#
# Usage: bash src/sources/dump/testdata/regen.sh   (needs mariadbd, mariadb-install-db,
# mariadb, mariadb-dump on PATH)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
SERVER_PID=

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

DATA="$WORK/data"
SOCK="$WORK/s.sock"
mariadb-install-db --no-defaults --datadir="$DATA" \
    --auth-root-authentication-method=normal >"$WORK/install.log" 2>&1

RUN_AS=()
if [ "$(id -u)" = 0 ]; then RUN_AS=(--user=root); fi
mariadbd --no-defaults "${RUN_AS[@]}" --datadir="$DATA" --socket="$SOCK" --port=0 \
    --skip-networking --pid-file="$WORK/pid" --log-error="$WORK/server.log" &
SERVER_PID=$!

for _ in $(seq 1 300); do
    if mariadb --no-defaults -S "$SOCK" -uroot -e 'SELECT 1' >/dev/null 2>&1; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done

sql() { mariadb --no-defaults -S "$SOCK" -uroot --default-character-set=utf8mb4 "$@"; }

# Every byte value 00..FF, and the same reversed: the BLOB round-trip data.
ALL=$(for i in $(seq 0 255); do printf '%02X' "$i"; done)
REV=$(for i in $(seq 255 -1 0); do printf '%02X' "$i"; done)

sql <<SQL
CREATE DATABASE omslint_a DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE omslint_a;

CREATE TABLE t_text (
  id int NOT NULL PRIMARY KEY,
  name varchar(64) COLLATE utf8mb4_bin NOT NULL,
  note text,
  tag char(8) CHARACTER SET latin1,
  code varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  KEY idx_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
INSERT INTO t_text VALUES
  (1, 'plain', 'hello', 'a', 'x'),
  (2, 'it''s', 'back\\\\slash', 'b', NULL),
  (3, 'dq"x', CONCAT('nul', CHAR(0), 'byte'), NULL, 'c'),
  (4, '😀 emoji', '中文 测试', 'd', '中'),
  (5, 'parens),(', 'semi;colon -- /* */ #', 'e', '#'),
  (6, 'crlf', CONCAT('a', CHAR(13), CHAR(10), 'b', CHAR(9), 't', CHAR(26), 'z', CHAR(8)), 'f', ''),
  (7, 'pct\\\\%\\\\_', '', NULL, NULL),
  (8, 'trailing  ', 'x', 'g', 'g');

CREATE TABLE t_blob (
  id int NOT NULL PRIMARY KEY,
  data blob,
  vb varbinary(300),
  bits bit(10),
  ch binary(4)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO t_blob VALUES
  (1, UNHEX('$ALL'), UNHEX('$REV'), b'1010000001', 'ab'),
  (2, NULL, '', b'0', UNHEX('00FF0027')),
  (3, UNHEX('5C27220D0A1A00'), UNHEX('C328'), NULL, NULL);

CREATE TABLE t_num (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  d decimal(10,3),
  f double,
  dt datetime,
  neg int,
  ts timestamp NULL DEFAULT NULL,
  e enum('a','b c','d''e'),
  js json
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO t_num VALUES
  (1, 1234567.125, -1.5e-3, '2024-01-01 00:00:00', -42, '2024-02-29 12:34:56', 'b c', '{"k": "v\\\\"q"}'),
  (2, NULL, 1e300, NULL, 0, NULL, 'd''e', NULL);

CREATE TABLE t_gen (
  id int NOT NULL PRIMARY KEY,
  a int,
  b int AS (a * 2) VIRTUAL
) ENGINE=InnoDB;
INSERT INTO t_gen (id, a) VALUES (1, 10), (2, NULL);

CREATE TABLE heatbeat_sequence (
  id bigint NOT NULL AUTO_INCREMENT,
  gmt_created datetime NOT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
INSERT INTO heatbeat_sequence
  SELECT seq, '2024-01-01 00:00:00' + INTERVAL seq SECOND, '2024-01-01 00:00:00' + INTERVAL seq SECOND
  FROM seq_1_to_500;

CREATE VIEW v_text AS SELECT id, name FROM t_text;

DELIMITER ;;
CREATE TRIGGER trg_text BEFORE INSERT ON t_text FOR EACH ROW
BEGIN
  SET NEW.note = CONCAT(NEW.note, ';');
END;;
CREATE PROCEDURE p_semi()
BEGIN
  SELECT 'a;b', 'it''s;;';
  SELECT 1;
END;;
DELIMITER ;

CREATE DATABASE omslint_b DEFAULT CHARACTER SET latin1;
USE omslint_b;
CREATE TABLE t_other (
  id int NOT NULL PRIMARY KEY,
  label varchar(32),
  u varchar(16) CHARACTER SET utf8mb4
) ENGINE=InnoDB;
INSERT INTO t_other VALUES (1, 'café', '😀'), (2, NULL, 'x');
CREATE TABLE t_text (id int NOT NULL PRIMARY KEY, s varchar(5)) ENGINE=InnoDB;
INSERT INTO t_text VALUES (10, 'b-db');
CREATE TABLE t_empty (id int) ENGINE=InnoDB;
SQL

dump() { mariadb-dump --no-defaults -S "$SOCK" -uroot --skip-dump-date "$@"; }

dump --routines omslint_a >"$HERE/default.sql"
dump --skip-extended-insert omslint_a >"$HERE/skip_extended_insert.sql"
dump --complete-insert omslint_a >"$HERE/complete_insert.sql"
dump --hex-blob omslint_a >"$HERE/hex_blob.sql"
dump --insert-ignore --skip-extended-insert omslint_a t_text >"$HERE/insert_ignore.sql"
dump --replace omslint_a t_blob >"$HERE/replace.sql"
# A small network buffer splits the heartbeat table into many extended INSERTs.
dump --routines --net-buffer-length=4096 --databases omslint_a omslint_b >"$HERE/databases.sql"

echo "regenerated dumps in $HERE"
