#!/usr/bin/env bash
# Make sure the servers the test suite talks to are up, starting any that is down.
# Fails loudly (non-zero, naming the server) when one cannot be started: tests never
# skip because a server is missing. The start commands suit Debian's packaged servers.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure() {
  local name=$1 port=$2 start=$3
  if port_open "$port"; then
    echo "services: $name is up on 127.0.0.1:$port"
    return
  fi
  echo "services: starting $name"
  bash -c "$start" || true
  for _ in $(seq 1 60); do
    if port_open "$port"; then
      echo "services: $name is up on 127.0.0.1:$port"
      return
    fi
    sleep 1
  done
  echo "services: ERROR: $name did not start on 127.0.0.1:$port (ran: $start)" >&2
  exit 1
}

ensure redis 6379 \
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log'
ensure rabbitmq 5672 'rabbitmq-server -detached'
ensure nats 4222 \
  'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log'

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "services: installing nginx from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || {
  echo "services: ERROR: nginx is not installed" >&2
  exit 1
}
echo "services: nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*\///')"

# jq: the generated mio-update workflow uses it (GitHub's runners carry it); its test runs it.
if ! command -v jq >/dev/null 2>&1; then
  echo "services: installing jq from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
fi
command -v jq >/dev/null 2>&1 || {
  echo "services: ERROR: jq is not installed" >&2
  exit 1
}
