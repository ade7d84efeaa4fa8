#!/usr/bin/env python3
"""Copy the knowledge base with every third article of one language stripped of its customers'
phrasings (`questions` in the front matter, or all but KEEP of them), and write the dev questions
for those articles: how well the bot finds an article nobody wrote phrasings for, such as a
tenant's own, among articles that have twenty.

Usage: strip_phrasings.py KB_DIR OUT_KB_DIR LANG QUESTIONS_OUT.jsonl DATA.jsonl... [--keep N]

Then: SWITCHBOARD__PATHS__KB_DIR=OUT_KB_DIR switchboard kb-eval --split dev --rounds 1 --data QUESTIONS_OUT.jsonl
"""
import json
import re
import shutil
import sys
from pathlib import Path


def strip(path, keep):
    """Drops the article's phrasings past the first `keep`; returns its id."""
    lines = path.read_text().split("\n")
    out, in_questions, kept = [], False, 0
    for line in lines:
        if line.startswith("questions:"):
            in_questions = True
            if keep:
                out.append(line)
            continue
        if in_questions and line.startswith("  -"):
            if kept < keep:
                out.append(line)
                kept += 1
            continue
        in_questions = False
        out.append(line)
    path.write_text("\n".join(out))
    return re.search(r"^id: (.*)$", "\n".join(lines), re.M).group(1)


def main():
    args = sys.argv[1:]
    keep = 0
    if "--keep" in args:
        at = args.index("--keep")
        keep = int(args[at + 1])
        del args[at : at + 2]
    kb, out_kb, lang, questions_out, *data = args
    shutil.rmtree(out_kb, ignore_errors=True)
    shutil.copytree(kb, out_kb)
    files = sorted(Path(out_kb, lang).glob("*.md"))
    stripped = {strip(path, keep) for path in files[::3]}
    rows = [json.loads(line) for name in data for line in open(name) if line.strip()]
    chosen = [r for r in rows if r["split"] == "dev" and r["article"] in stripped]
    with open(questions_out, "w") as f:
        for row in chosen:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(stripped)} articles stripped, {len(chosen)} dev questions")


if __name__ == "__main__":
    main()
