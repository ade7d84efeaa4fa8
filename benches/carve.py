#!/usr/bin/env python3
"""Carve a deterministic held-out split from a labelled CSV: every N-th row of each label goes to
the held-out file, the rest to the training file. Banking77 ships no test split here, so its
reported accuracy is measured on this carve-out, which training and tuning never see.

Usage: carve.py IN.csv TRAIN_OUT.csv HELDOUT_OUT.csv [N=5]
"""
import csv
import sys


def main():
    source, train_path, heldout_path = sys.argv[1:4]
    every = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    with open(source, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    seen = {}
    train, heldout = [header], [header]
    for row in body:
        label = row[1]
        seen[label] = seen.get(label, 0) + 1
        (heldout if seen[label] % every == 0 else train).append(row)
    for path, part in ((train_path, train), (heldout_path, heldout)):
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows(part)
    print(f"{len(train) - 1} training rows -> {train_path}, {len(heldout) - 1} held out -> {heldout_path}")


if __name__ == "__main__":
    main()
