# Switchboard: `make run` fetches what is missing, builds, trains the default intents and serves
# on 127.0.0.1:8080; `make test` runs the whole suite against the real model, index and store.

CACHE     := .cache
BIN       := target/release/switchboard
MODEL_DIR := $(CACHE)/models/intents
TRAIN     := models/intents/train.yaml
ESC_DIR   := $(CACHE)/models/escalation

.PHONY: run setup build model test test-browser lint bench bench-intents bench-banking77 bench-clinc150 bench-kb bench-escalation clean

run: model
	$(BIN) serve

# ONNX Runtime (PyPI wheel) and the MiniLM encoder, hash-checked, converted to ONNX. Idempotent.
setup:
	python3 models/fetch.py --cache $(CACHE)

build:
	cargo build --release

# The default intent model and the escalation scorer, each retrained when its data changes.
model: setup build
	@if [ ! -f $(MODEL_DIR)/model.json ] || [ $(TRAIN) -nt $(MODEL_DIR)/model.json ]; then \
		$(BIN) train --data $(TRAIN) --out $(MODEL_DIR); \
	fi
	@if [ ! -f $(ESC_DIR)/escalation.json ] || [ $(TRAIN) -nt $(ESC_DIR)/escalation.json ] || \
	   [ -n "$$(find models/escalation -newer $(ESC_DIR)/escalation.json)" ]; then \
		$(BIN) train-escalation --out $(ESC_DIR); \
	fi

test: setup
	cargo test --release
	$(MAKE) test-browser

# The widget and the console end to end in headless Chromium (Debian's `chromium`, driven by
# playwright-core from tests/browser; `.ci/run` installs both). Screenshots go to tests/artifacts/.
test-browser: model
	@test -d tests/browser/node_modules || (cd tests/browser && npm ci --no-audit --no-fund)
	node tests/browser/e2e.js

lint:
	cargo fmt --check
	cargo clippy --release --all-targets -- -D warnings

# Message latency over HTTP: start `make run` in another shell first.
bench:
	cargo run --release --example loadgen -- --requests 3000 --concurrency 4

# Intent quality, one command each (numbers in BENCHMARKS.md). Data sets from ../shared/datasets.
DATASETS := ../shared/datasets
BENCH    := $(CACHE)/bench

bench-intents: setup build
	$(BIN) train --data $(TRAIN) --out $(BENCH)/intents
	$(BIN) eval --model $(BENCH)/intents --data models/intents/test.yaml

bench-banking77: setup build
	@mkdir -p $(BENCH)
	python3 benches/carve.py $(DATASETS)/banking77/train.csv $(BENCH)/b77-train.csv $(BENCH)/b77-heldout.csv 5
	$(BIN) train --data $(BENCH)/b77-train.csv --out $(BENCH)/banking77
	$(BIN) eval --model $(BENCH)/banking77 --data $(BENCH)/b77-heldout.csv
	$(BIN) train --data $(DATASETS)/banking77/train.csv --out $(BENCH)/banking77-full

bench-clinc150: setup build
	$(BIN) train --data $(DATASETS)/clinc150/train.csv --out $(BENCH)/clinc150
	$(BIN) eval --model $(BENCH)/clinc150 --data $(DATASETS)/clinc150/val.csv

# Knowledge-base retrieval (numbers in BENCHMARKS.md): quality on the test half of the labelled
# questions (the fusion weights were chosen on the dev half) and on all of them, search latency,
# and indexing time for 10,000 generated articles (BM25 alone; with embeddings for 1,000).
bench-kb: model
	$(BIN) kb-eval --split test
	$(BIN) kb-eval --split all
	cargo run --release --example kb_index -- --articles 10000 --no-embed
	cargo run --release --example kb_index -- --articles 1000

# The bot's judgment (numbers in BENCHMARKS.md): hand-over P/R/F1 by reason and language, declines,
# bot identity, hand-over turn; dev and test reported separately (tune on dev only).
bench-escalation: model
	$(BIN) escalation-eval --split all

clean:
	rm -rf data target
