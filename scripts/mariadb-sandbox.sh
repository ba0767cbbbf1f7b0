# shellcheck shell=bash
# A throw-away MariaDB server for fixtures, tests and benchmarks.
#
#   source scripts/mariadb-sandbox.sh
#   mariadb_sandbox_start "$dir" [OPTION...]  # creates $dir/data on first use, starts mariadbd;
#                                             # OPTIONs are extra mariadbd options
#   trap 'mariadb_sandbox_stop "$dir"' EXIT
#   mariadb_sandbox_client -e 'SELECT 1'      # root over the socket, no password
#
# After a successful start these are exported:
#   MARIADB_SANDBOX_DIR     the directory given
#   MARIADB_SANDBOX_PORT    TCP port on 127.0.0.1 (user root, no password)
#   MARIADB_SANDBOX_SOCKET  unix socket ($dir/mysqld.sock)
#   MARIADB_SANDBOX_PID     pid of mariadbd
#
# The server runs with --no-defaults: no my.cnf of the machine is read. Its error log
# is $dir/mysqld.err. The script only uses what is installed (mariadbd,
# mariadb-install-db, mariadb); installing MariaDB is the caller's job (CI).
# It does not change the caller's shell options (set -e / -u are fine).

# Print a message on stderr, prefixed.
_mariadb_sandbox_say() { printf 'mariadb-sandbox: %s\n' "$*" >&2; }

# The first of the given commands found in PATH (or sbin dirs, where Debian puts mariadbd).
_mariadb_sandbox_find() {
  local name dir
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    for dir in /usr/sbin /usr/local/sbin /sbin /usr/libexec /usr/local/mysql/bin; do
      if [ -x "$dir/$name" ]; then printf '%s\n' "$dir/$name"; return 0; fi
    done
  done
  return 1
}

# A TCP port that is free on 127.0.0.1 right now (the kernel picks it).
_mariadb_sandbox_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
  else
    # No python3: a random port in the dynamic range; a collision is retried by the caller.
    printf '%s\n' $((49152 + RANDOM % 16000))
  fi
}

# Is pid $1 a live (non-zombie) process?
_mariadb_sandbox_alive() {
  local pid=$1 state
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/stat" ]; then
    state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
    [ "$state" = Z ] && return 1
  fi
  return 0
}

# Does pid $1 look like a mariadbd/mysqld (guards against a recycled pid)?
_mariadb_sandbox_is_server() {
  local comm
  [ -r "/proc/$1/comm" ] || return 0 # no procfs: trust the pid file
  comm=$(cat "/proc/$1/comm" 2>/dev/null)
  case "$comm" in mariadbd | mysqld | mariadbd* | mysqld*) return 0 ;; *) return 1 ;; esac
}

# mariadb client as root over the sandbox socket: mariadb_sandbox_client [mariadb args...]
mariadb_sandbox_client() {
  local client
  client=$(_mariadb_sandbox_find mariadb mysql) || {
    _mariadb_sandbox_say "the mariadb client is not installed"
    return 127
  }
  "$client" --no-defaults --protocol=socket --socket="${MARIADB_SANDBOX_SOCKET:?mariadb_sandbox_start first}" -uroot "$@"
}

# mariadb_sandbox_start DIR [MARIADBD-OPTION...]: extra options go last (they win).
mariadb_sandbox_start() {
  local dir=${1:?usage: mariadb_sandbox_start DIR [MARIADBD-OPTION...]}
  local mariadbd install_db client user_opt=() port pid attempt waited sock via_sock via_tcp
  mariadbd=$(_mariadb_sandbox_find mariadbd mysqld) || {
    _mariadb_sandbox_say "mariadbd is not installed (Debian/Ubuntu: apt-get install mariadb-server mariadb-client)"
    return 1
  }
  install_db=$(_mariadb_sandbox_find mariadb-install-db mysql_install_db) || {
    _mariadb_sandbox_say "mariadb-install-db is not installed (it comes with mariadb-server)"
    return 1
  }
  client=$(_mariadb_sandbox_find mariadb mysql) || {
    _mariadb_sandbox_say "the mariadb client is not installed (apt-get install mariadb-client)"
    return 1
  }

  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  sock="$dir/mysqld.sock"
  if [ ${#sock} -gt 100 ]; then
    _mariadb_sandbox_say "socket path too long for a unix socket (${#sock} > 100 bytes): $sock; use a shorter DIR"
    return 1
  fi

  if [ -f "$dir/mysqld.pid" ] && _mariadb_sandbox_alive "$(cat "$dir/mysqld.pid" 2>/dev/null)"; then
    _mariadb_sandbox_say "a server is already running in $dir (pid $(cat "$dir/mysqld.pid")); stop it first"
    return 1
  fi

  if [ "$(id -u)" -eq 0 ]; then user_opt=(--user=root); fi
  mkdir -p "$dir/tmp" || return 1

  if [ ! -d "$dir/data/mysql" ]; then
    rm -rf "$dir/data"
    if ! "$install_db" --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
      --skip-test-db "${user_opt[@]}" >"$dir/install-db.log" 2>&1; then
      _mariadb_sandbox_say "mariadb-install-db failed; its output:"
      tail -n 30 "$dir/install-db.log" >&2
      return 1
    fi
  fi

  for attempt in 1 2 3 4 5; do
    port=$(_mariadb_sandbox_free_port) || return 1
    rm -f "$dir/mysqld.pid" "$sock"
    : >"$dir/mysqld.err"
    "$mariadbd" --no-defaults "${user_opt[@]}" \
      --datadir="$dir/data" --tmpdir="$dir/tmp" \
      --bind-address=127.0.0.1 --port="$port" --socket="$sock" \
      --pid-file="$dir/mysqld.pid" --log-error="$dir/mysqld.err" \
      --skip-name-resolve --skip-log-bin --performance-schema=OFF \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --innodb-buffer-pool-size=256M --innodb-log-file-size=64M \
      --innodb-flush-log-at-trx-commit=2 --max-allowed-packet=256M \
      "${@:2}" </dev/null >"$dir/mysqld.out" 2>&1 &
    pid=$!

    waited=0
    while :; do
      if ! _mariadb_sandbox_alive "$pid"; then
        wait "$pid" 2>/dev/null || true
        break
      fi
      # Ready when our own socket answers; then make sure the TCP port reaches this
      # same server (not another one that happens to listen there).
      via_sock=$("$client" --no-defaults --protocol=socket --socket="$sock" -uroot \
        --connect-timeout=2 -N -B -e 'SELECT @@port, @@datadir' 2>/dev/null) || via_sock=""
      if [ -n "$via_sock" ]; then
        via_tcp=$("$client" --no-defaults --protocol=tcp -h127.0.0.1 -P"$port" -uroot \
          --connect-timeout=2 -N -B -e 'SELECT @@port, @@datadir' 2>/dev/null) || via_tcp=""
        if [ "$via_tcp" = "$via_sock" ]; then
          export MARIADB_SANDBOX_DIR="$dir" MARIADB_SANDBOX_PORT="$port" \
            MARIADB_SANDBOX_SOCKET="$sock" MARIADB_SANDBOX_PID="$pid"
          printf '%s\n' "$pid" >"$dir/sandbox.pid"
          return 0
        fi
        _mariadb_sandbox_say "127.0.0.1:$port does not reach the new server; error log tail:"
        tail -n 30 "$dir/mysqld.err" >&2
        mariadb_sandbox_stop "$dir" "$pid"
        return 1
      fi
      if [ "$waited" -ge 120 ]; then # 120 x 0.5 s = 60 s
        _mariadb_sandbox_say "mariadbd (pid $pid) did not accept connections within 60 s; error log tail:"
        tail -n 30 "$dir/mysqld.err" >&2
        mariadb_sandbox_stop "$dir" "$pid"
        return 1
      fi
      sleep 0.5
      waited=$((waited + 1))
    done

    # The server exited. A port taken between our probe and its bind is worth a retry.
    if grep -qiE 'Address already in use|Bind on TCP/IP port|Can.t start server' "$dir/mysqld.err" 2>/dev/null; then
      _mariadb_sandbox_say "port $port was taken, retrying with another one"
      continue
    fi
    _mariadb_sandbox_say "mariadbd exited during start-up; error log tail:"
    tail -n 30 "$dir/mysqld.err" >&2
    return 1
  done
  _mariadb_sandbox_say "no free port found after 5 attempts"
  return 1
}

# mariadb_sandbox_stop DIR [PID]: TERM, wait up to 30 s, then KILL. Safe to call twice.
mariadb_sandbox_stop() {
  local dir=${1:?usage: mariadb_sandbox_stop DIR} pid=${2:-} i
  if [ -z "$pid" ]; then
    if [ -f "$dir/sandbox.pid" ]; then
      pid=$(cat "$dir/sandbox.pid" 2>/dev/null)
    elif [ -f "$dir/mysqld.pid" ]; then
      pid=$(cat "$dir/mysqld.pid" 2>/dev/null)
    fi
  fi
  if [ -n "$pid" ] && _mariadb_sandbox_alive "$pid"; then
    if _mariadb_sandbox_is_server "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      i=0
      while _mariadb_sandbox_alive "$pid" && [ "$i" -lt 60 ]; do
        sleep 0.5
        i=$((i + 1))
      done
      if _mariadb_sandbox_alive "$pid"; then
        _mariadb_sandbox_say "mariadbd (pid $pid) did not stop within 30 s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
      fi
    else
      _mariadb_sandbox_say "pid $pid is not a mariadbd process; not touching it"
    fi
  fi
  # Reap it when it is our own child (no zombie left behind).
  if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
  rm -f "$dir/sandbox.pid" "$dir/mysqld.pid" "$dir/mysqld.sock"
  if [ "${MARIADB_SANDBOX_DIR:-}" = "$(cd "$dir" 2>/dev/null && pwd)" ]; then
    unset MARIADB_SANDBOX_PORT MARIADB_SANDBOX_SOCKET MARIADB_SANDBOX_PID MARIADB_SANDBOX_DIR
  fi
  return 0
}
