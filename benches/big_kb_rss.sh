#!/bin/bash
# Resident memory with a large knowledge base (issue 12: at most 500 MB with 10,000 articles).
# Serves target/release/switchboard on port 18097 with the articles in KB_DIR (written by
# `python3 benches/big_kb.py KB_DIR --lang en` if missing) and the data in DATA_DIR, prints how
# long a start-up took and its peak, the idle RSS, then drives 16 clients for 60 s with MESSAGES
# (default: the English and the Chinese load messages) and prints the RSS every 5 s.
# A fresh DATA_DIR measures a cold build; run it again on the same DATA_DIR for a restart.
# Usage: [BIN=target/release/switchboard] benches/big_kb_rss.sh KB_DIR DATA_DIR [MESSAGES]
set -euo pipefail
KB_DIR=$1; DATA_DIR=$2
cd "$(dirname "$0")/.."
if [ ! -d "$KB_DIR" ]; then python3 benches/big_kb.py "$KB_DIR" --lang en; fi
MESSAGES=${3:-$(mktemp)}
if [ $# -lt 3 ]; then cat benches/data/load_messages_en.txt benches/data/load_messages_zh.txt > "$MESSAGES"; fi
mkdir -p "$DATA_DIR"
rss() { echo $(( $(awk "/$1:/{print \$2}" /proc/$SERVER/status) / 1024 )); }
# Resident memory, and how much of it is file pages (mapped index files the kernel can drop).
resident() { echo "RSS $(rss VmRSS) MB (anonymous $(rss RssAnon), file $(rss RssFile))"; }

SWITCHBOARD__SERVER__PORT=18097 SWITCHBOARD__PATHS__DATA_DIR="$DATA_DIR" \
SWITCHBOARD__PATHS__KB_DIR="$KB_DIR" SWITCHBOARD__LIMITS__IP_PER_MINUTE=0 \
SWITCHBOARD__LIMITS__TENANT_PER_MINUTE=0 \
  "${BIN:-target/release/switchboard}" serve > "$DATA_DIR/../big_kb_rss.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER' EXIT
started=$(date +%s)
until curl -sf http://127.0.0.1:18097/health > /dev/null; do
  kill -0 $SERVER 2>/dev/null || { echo "the server stopped; see $DATA_DIR/../big_kb_rss.log"; exit 1; }
  sleep 1
done
echo "listening after $(( $(date +%s) - started )) s, start-up peak $(rss VmHWM) MB"
sleep 5
echo "idle $(resident)"
( for i in $(seq 12); do sleep 5; echo "t=$((i * 5)) s $(resident)"; done ) &
target/release/examples/loadgen --url http://127.0.0.1:18097 --clients 16 --seconds 60 \
  --messages "$MESSAGES" --pid $SERVER | head -1
wait %2 || true
du -sh "$DATA_DIR"
