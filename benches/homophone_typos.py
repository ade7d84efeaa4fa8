"""Dev questions with pinyin-input typos: each Chinese dev question of kb_heldout.jsonl with two
characters replaced by another character of the same toneless pinyin that the Chinese articles
use (帐户 -> 帐护), seeded. Measures how the knowledge base copes with the wrong character for the
right sound, on the split we may tune on.

    python3 -m venv .cache/typo-venv && .cache/typo-venv/bin/pip install pypinyin==0.55.0
    .cache/typo-venv/bin/python benches/homophone_typos.py > .cache/bench/kb_typo_dev.jsonl
    target/release/switchboard kb-eval --data .cache/bench/kb_typo_dev.jsonl --split dev --rounds 1
"""

import collections
import glob
import json
import random
import re
import sys

from pypinyin import lazy_pinyin

CJK = re.compile(r"[\u4e00-\u9fff]")
TYPOS_PER_QUESTION = 2


def homophones():
    """Toneless pinyin -> the characters of the Chinese articles that read so."""
    pool = collections.defaultdict(set)
    for path in sorted(glob.glob("kb/zh/*.md")):
        with open(path, encoding="utf-8") as f:
            for ch in set(CJK.findall(f.read())):
                pool[lazy_pinyin(ch)[0]].add(ch)
    return pool


def with_typos(question, pool, rng):
    chars = list(question)
    positions = [i for i, c in enumerate(chars) if CJK.match(c)]
    rng.shuffle(positions)
    changed = 0
    for i in positions:
        others = sorted(pool[lazy_pinyin(chars[i])[0]] - {chars[i]})
        if others:
            chars[i] = rng.choice(others)
            changed += 1
        if changed == TYPOS_PER_QUESTION:
            break
    return "".join(chars) if changed else None


def main():
    rng = random.Random(7)
    pool = homophones()
    with open("benches/data/kb_heldout.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    for row in rows:
        if row["split"] != "dev" or row["lang"] != "zh" or not row["article"]:
            continue
        typed = with_typos(row["question"], pool, rng)
        if typed:
            sys.stdout.write(json.dumps(dict(row, question=typed), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
