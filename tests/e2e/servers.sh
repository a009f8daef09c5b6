# Sourced by run.sh: the throw-away CA and the PostgreSQL cluster that every
# environment shares, on 127.0.0.1 and a free port, under "$E2E_TMP". Each pid
# goes to "$E2E_TMP/pids", which run.sh's trap stops, also on failure (the
# per-environment Redis and memcached servers of servers.py record theirs
# there too).

# A free TCP port on 127.0.0.1 (the kernel picks it; the short race until the
# server binds is acceptable for a test machine).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

remember_pid() { echo "$1" >>"$E2E_TMP/pids"; }

# Waits until a TCP port accepts connections (servers start in well under 10 s).
wait_port() { # port, what
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL harness: $2 did not listen on 127.0.0.1:$1" >&2
  return 1
}

# A throw-away CA and a server certificate for 127.0.0.1 and localhost: the
# TLS shapes (Azure Cache, Azure Managed Redis, Azure PostgreSQL) use it and
# the clients trust it through SSL_CERT_FILE / NODE_EXTRA_CA_CERTS only.
make_ca() {
  local d="$E2E_TMP/tls"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=deploygen-e2e throw-away CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
}

# Debian's PostgreSQL in a throw-away cluster: password (scram) auth over TCP,
# TLS with the throw-away CA. Databases that must be reached over TLS only
# (Azure's require_secure_transport) get a `hostnossl ... reject` line from
# servers.py before they are used.
start_postgres() {
  local bin port dir
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  port="$(free_port)"
  dir="$E2E_TMP/postgres"
  mkdir -p "$dir/sock"
  cp "$E2E_TMP/tls/server.pem" "$E2E_TMP/tls/server.key" "$dir/"
  chmod 600 "$dir/server.key"
  chown -R postgres:postgres "$dir"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1
  cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
HBA
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
    "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=$dir/server.pem -c ssl_key_file=$dir/server.key -c password_encryption=scram-sha-256" \
    start >/dev/null
  # pg_ctl forks the postmaster: its pid is the first line of postmaster.pid.
  remember_pid "$(head -1 "$dir/data/postmaster.pid")"
  export E2E_PG_BIN="$bin" E2E_PG_DATA="$dir/data" E2E_PG_SOCK="$dir/sock" E2E_PG_PORT="$port"
}

stop_servers() {
  [ -f "$E2E_TMP/pids" ] || return 0
  local pid
  # Each pid is one this harness started; workers lead their own session,
  # so their group (a shell and its child) goes too.
  while read -r pid; do
    [ -n "$pid" ] || continue
    kill -- "-$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done <"$E2E_TMP/pids"
  sleep 0.5
  while read -r pid; do
    [ -n "$pid" ] || continue
    kill -9 -- "-$pid" 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
  done <"$E2E_TMP/pids"
}
