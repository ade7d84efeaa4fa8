#!/bin/bash
# One A/B point: serves BIN on port 18081 (data in $DATA_DIR, default /tmp/sb-ab/data; articles
# from $KB_DIR, default kb/), waits for it (a fresh data directory embeds the KB first), drives it
# with examples/loadgen for SECONDS at CLIENTS and prints "name clients msg/s p50 p99". Run old
# and new binaries alternately on one data directory (BENCHMARKS.md). $MESSAGES: the messages file
# (default benches/data/load_messages_en.txt).
# Usage: benches/ab.sh BIN CLIENTS SECONDS
set -euo pipefail
BIN=$1; CLIENTS=$2; SECONDS_=$3
DATA_DIR=${DATA_DIR:-/tmp/sb-ab/data}
KB_DIR=${KB_DIR:-kb}
MESSAGES=${MESSAGES:-benches/data/load_messages_en.txt}
cd "$(dirname "$0")/.."
port_owner() { pgrep -f -- "--ab-port-18081" || true; }
pkill -f -- "--ab-port-18081" || true
while [ -n "$(port_owner)" ]; do sleep 0.2; done
mkdir -p "$DATA_DIR"
SWITCHBOARD__SERVER__PORT=18081 SWITCHBOARD__PATHS__DATA_DIR="$DATA_DIR" \
SWITCHBOARD__PATHS__KB_DIR="$KB_DIR" SWITCHBOARD__LIMITS__IP_PER_MINUTE=0 \
SWITCHBOARD__LIMITS__TENANT_PER_MINUTE=0 \
  bash -c 'exec -a "switchboard serve --ab-port-18081" "$0" serve' "$BIN" > "$DATA_DIR/../serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 2400); do curl -s -o /dev/null localhost:18081/health && break; sleep 0.5; done
target/release/examples/loadgen --url http://127.0.0.1:18081 --label ab --pid "$SERVER" \
  --clients "$CLIENTS" --seconds "$SECONDS_" --messages "$MESSAGES" 2>/dev/null |
  tail -1 | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print('$(basename "$BIN")', $CLIENTS, round(d['msgs_per_s']), round(d['p50_ms'],1), round(d['p99_ms'],1))"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
