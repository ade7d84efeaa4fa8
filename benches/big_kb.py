#!/usr/bin/env python3
"""Writes a synthetic knowledge base of N articles (default 10,000) for the memory benchmark.

Usage: big_kb.py OUT_DIR [--articles N] [--lang en|zh|both]

Each article is a copy of one of kb/en or kb/zh's articles (taken in turn) for a made-up service
area: the id, the title, every question and every section carry the area's name, so no two
passages or questions have the same text (the vector cache cannot share them) and the index
holds N distinct articles, in the sample KB's proportion of English and Chinese (or one language).
"""

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def area_name(index, lang):
    return f"服务区{index:05d}" if lang == "zh" else f"Service Area {index:05d}"


def variant(text, index, lang):
    area = area_name(index, lang)
    front, body = text.split("\n---\n", 1)
    front = re.sub(r"^id: (.+)$", lambda m: f"id: {m.group(1)}-{index:05d}", front, flags=re.M)
    front = re.sub(r"^title: (.+)$", lambda m: f"title: {m.group(1)} ({area})", front, flags=re.M)
    front = re.sub(r'^(  - )"(.*)"$', lambda m: f'{m.group(1)}"{m.group(2)} ({area})"', front, flags=re.M)
    applies = f"本文适用于{area}的用户。" if lang == "zh" else f"This applies to customers in {area}."
    body = f"{applies}\n" + re.sub(r"^(## .+)$", lambda m: f"{m.group(1)}\n{applies}", body, flags=re.M)
    return f"{front}\n---\n{body}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--lang", choices=["en", "zh", "both"], default="both")
    args = parser.parse_args()
    langs = ["en", "zh"] if args.lang == "both" else [args.lang]
    sources = [path for lang in langs for path in sorted((ROOT / "kb" / lang).glob("*.md"))]
    for index in range(args.articles):
        source = sources[index % len(sources)]
        lang = source.parent.name
        target = Path(args.out) / lang / f"{source.stem}-{index:05d}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(variant(source.read_text(encoding="utf-8"), index, lang), encoding="utf-8")
    print(f"wrote {args.articles} articles to {args.out}")


if __name__ == "__main__":
    main()
