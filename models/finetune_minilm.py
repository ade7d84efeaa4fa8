#!/usr/bin/env python3
"""Adapt all-MiniLM-L6-v2 to the knowledge base: a contrastive fine-tune on the KB's own words.

Usage: finetune_minilm.py KB_DIR INTENTS.yaml MODEL.safetensors CONFIG.json TOKENIZER.json OUT.safetensors

Why: the encoder was trained on general English pairs, so two neighbouring articles (the outage
status page and the outage credit, third-party charges and understanding a bill) sit as close to a
customer's question as each other. Each English article lists how customers ask for it
(`questions` in its front matter); pulling every such phrasing towards its own article's title,
phrasings and first passages, and away from the other articles', separates them. The intent
examples (`INTENTS.yaml`, English, out_of_scope left out) are trained the same way, each intent a
group, so the classifier on top keeps its separation too. Nothing from `benches/` is read: the
held-out questions stay held out.

Loss: in-batch negatives (multiple negatives ranking, symmetric, scale 20), each batch 32 distinct
groups of one kind (articles or intents), AdamW lr 2e-5, 3 epochs, seeded. 7-13 minutes on 2
cores. The output has the input's tensor names, so models/convert_minilm.py and models/quantize.py
turn it into an int8 graph unchanged (`make finetune` does all three and writes
.cache/encoder/model.kb.int8.onnx).

Not served by default (BENCHMARKS.md, "An encoder adapted to the KB"): the intents gain, but the
adapted encoder quotes a wrong article more often and answers more questions no article covers,
and an article published later, with few phrasings, loses to the articles it was trained on.

Needs torch, transformers, tokenizers, safetensors and pyyaml (the Makefile pins them).
"""

import random
import re
import sys
from pathlib import Path

import torch
import yaml
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel

BATCH = 32
EPOCHS = 3
LEARNING_RATE = 2e-5
SCALE = 20.0
MAX_TOKENS = 128
SEED = 7
CJK = re.compile(r"[\u4e00-\u9fff]")


def article_groups(kb_dir: Path) -> list:
    """One group per English article: (anchors, extra positives)."""
    groups = []
    for path in sorted((kb_dir / "en").glob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---", 2)
        meta = yaml.safe_load(front)
        sections = [s.strip() for s in re.split(r"\n## ", body) if s.strip()]
        passages = [" ".join(s.split()[:80]) for s in sections[:2]]
        questions = [str(q) for q in meta.get("questions", [])]
        groups.append((questions, [meta["title"]] + passages))
    return groups


def intent_groups(intents_file: Path) -> list:
    """One group per intent with at least four English examples."""
    data = yaml.safe_load(intents_file.read_text(encoding="utf-8"))
    groups = []
    for intent, examples in data.items():
        english = [str(e) for e in examples if not CJK.search(str(e))]
        if intent != "out_of_scope" and len(english) >= 4:
            groups.append((english[1:], [english[0]]))
    return groups


def batches(groups: list, rng: random.Random) -> list:
    """Each anchor once, in batches of distinct groups of one kind, shuffled."""
    out = []
    for kind in groups:
        anchors = [(g, q) for g, (questions, _) in enumerate(kind) for q in questions]
        rng.shuffle(anchors)
        while len(anchors) >= 4:
            seen, batch, rest = set(), [], []
            for g, q in anchors:
                if g in seen or len(batch) >= BATCH:
                    rest.append((g, q))
                    continue
                seen.add(g)
                batch.append((g, q))
            anchors = rest
            if len(batch) < 4:
                break
            positives = []
            for g, q in batch:
                questions, extra = kind[g]
                positives.append(rng.choice(extra + [x for x in questions if x != q]))
            out.append(([q for _, q in batch], positives))
    rng.shuffle(out)
    return out


class Encoder:
    def __init__(self, weights_path: str, config_path: str, tokenizer_path: str):
        self.model = BertModel(BertConfig.from_json_file(config_path), add_pooling_layer=False)
        self.weights = load_file(weights_path)
        self.model.load_state_dict(self.weights, strict=False)
        self.tokenizer = Tokenizer.from_file(tokenizer_path)
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0)

    def embed(self, texts: list) -> torch.Tensor:
        """Mean-pooled, L2-normalised, as `nlu::encoder` pools the ONNX graph's output."""
        encoded = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encoded])
        mask = torch.tensor([e.attention_mask for e in encoded])
        hidden = self.model(input_ids=ids, attention_mask=mask,
                            token_type_ids=torch.zeros_like(ids)).last_hidden_state
        weights = mask.unsqueeze(-1).float()
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def save(self, path: str) -> None:
        state = {k: v.detach().contiguous() for k, v in self.model.state_dict().items()}
        for name, tensor in self.weights.items():
            state.setdefault(name, tensor)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        save_file(state, path)


def train(encoder: Encoder, groups: list) -> None:
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    optimizer = torch.optim.AdamW(encoder.model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    encoder.model.train()
    for epoch in range(EPOCHS):
        total, steps = 0.0, 0
        for anchors, positives in batches(groups, rng):
            similarity = encoder.embed(anchors) @ encoder.embed(positives).T * SCALE
            labels = torch.arange(len(anchors))
            loss = (torch.nn.functional.cross_entropy(similarity, labels)
                    + torch.nn.functional.cross_entropy(similarity.T, labels)) / 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, steps = total + loss.item(), steps + 1
        print(f"epoch {epoch + 1}/{EPOCHS}: mean loss {total / steps:.4f} over {steps} batches")


def main() -> None:
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    kb_dir, intents, weights, config, tokenizer, out = sys.argv[1:]
    groups = [article_groups(Path(kb_dir)), intent_groups(Path(intents))]
    print(f"{len(groups[0])} articles, {len(groups[1])} intents")
    encoder = Encoder(weights, config, tokenizer)
    train(encoder, groups)
    encoder.save(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
