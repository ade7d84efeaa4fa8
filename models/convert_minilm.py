#!/usr/bin/env python3
"""Write a BERT encoder (all-MiniLM-L6-v2) as an ONNX graph from its safetensors weights.

Usage: convert_minilm.py MODEL.safetensors CONFIG.json OUT.onnx

Needs only numpy and onnx (no torch). Inputs: input_ids, attention_mask, token_type_ids (int64,
[batch, seq]); output: last_hidden_state (float32, [batch, seq, hidden]). Pooling is done by the
caller. Position ids come from slicing the position table by the sequence length: a `Range` node
there breaks ONNX Runtime's extended graph optimisations.
"""

import json
import math
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=DTYPES[info["dtype"]])
        tensors[name.removeprefix("bert.")] = array.reshape(info["shape"])
    return tensors


class Graph:
    def __init__(self, weights):
        self.weights = weights
        self.nodes = []
        self.initializers = []
        self.counter = 0

    def name(self, hint):
        self.counter += 1
        return f"{hint}_{self.counter}"

    def const(self, hint, array):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, key, transpose=False):
        array = self.weights[key]
        if transpose:
            array = np.ascontiguousarray(array.T)
        return self.const(key.replace(".", "_"), array)

    def op(self, op_type, inputs, **attrs):
        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def linear(self, x, prefix):
        product = self.op("MatMul", [x, self.weight(f"{prefix}.weight", transpose=True)])
        return self.op("Add", [product, self.weight(f"{prefix}.bias")])

    def layer_norm(self, x, prefix, eps):
        scale = self.weight(f"{prefix}.weight")
        bias = self.weight(f"{prefix}.bias")
        return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)

    def gelu(self, x):
        scaled = self.op("Div", [x, self.const("sqrt2", np.float32(math.sqrt(2.0)))])
        erf = self.op("Erf", [scaled])
        one_plus = self.op("Add", [erf, self.const("one", np.float32(1.0))])
        half_x = self.op("Mul", [x, self.const("half", np.float32(0.5))])
        return self.op("Mul", [half_x, one_plus])


def embeddings(g, eps):
    words = g.op("Gather", [g.weight("embeddings.word_embeddings.weight"), "input_ids"], axis=0)
    types = g.op("Gather", [g.weight("embeddings.token_type_embeddings.weight"), "token_type_ids"], axis=0)
    shape = g.op("Shape", ["input_ids"])
    seq_len = g.op("Slice", [shape, g.const("one_i", np.array([1], np.int64)),
                             g.const("two_i", np.array([2], np.int64))])
    positions = g.op("Slice", [g.weight("embeddings.position_embeddings.weight"),
                               g.const("zero_i", np.array([0], np.int64)), seq_len,
                               g.const("axis0", np.array([0], np.int64))])
    summed = g.op("Add", [g.op("Add", [words, types]), positions])
    return g.layer_norm(summed, "embeddings.LayerNorm", eps)


def attention_bias(g):
    """[batch, 1, 1, seq]: 0 where attended, a large negative number on padding."""
    mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    inverted = g.op("Sub", [g.const("one_f", np.float32(1.0)), mask])
    bias = g.op("Mul", [inverted, g.const("neg", np.float32(-10000.0))])
    return g.op("Unsqueeze", [bias, g.const("axes12", np.array([1, 2], np.int64))])


def self_attention(g, x, prefix, bias, heads, head_dim):
    split = g.const("heads_shape", np.array([0, 0, heads, head_dim], np.int64))

    def project(kind, perm):
        projected = g.linear(x, f"{prefix}.attention.self.{kind}")
        return g.op("Transpose", [g.op("Reshape", [projected, split])], perm=perm)

    q = project("query", [0, 2, 1, 3])
    k = project("key", [0, 2, 3, 1])
    v = project("value", [0, 2, 1, 3])
    scores = g.op("Mul", [g.op("MatMul", [q, k]), g.const("scale", np.float32(1.0 / math.sqrt(head_dim)))])
    probs = g.op("Softmax", [g.op("Add", [scores, bias])], axis=-1)
    context = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    merged = g.op("Reshape", [context, g.const("merge_shape", np.array([0, 0, heads * head_dim], np.int64))])
    return g.linear(merged, f"{prefix}.attention.output.dense")


def encoder_layer(g, x, index, bias, config):
    prefix = f"encoder.layer.{index}"
    eps = config["layer_norm_eps"]
    heads = config["num_attention_heads"]
    attended = self_attention(g, x, prefix, bias, heads, config["hidden_size"] // heads)
    x = g.layer_norm(g.op("Add", [attended, x]), f"{prefix}.attention.output.LayerNorm", eps)
    hidden = g.gelu(g.linear(x, f"{prefix}.intermediate.dense"))
    out = g.linear(hidden, f"{prefix}.output.dense")
    return g.layer_norm(g.op("Add", [out, x]), f"{prefix}.output.LayerNorm", eps)


def build(weights, config):
    g = Graph(weights)
    x = embeddings(g, config["layer_norm_eps"])
    bias = attention_bias(g)
    for index in range(config["num_hidden_layers"]):
        x = encoder_layer(g, x, index, bias, config)
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
              for n in ("input_ids", "attention_mask", "token_type_ids")]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                           ["batch", "seq", config["hidden_size"]])
    graph = helper.make_graph(g.nodes, "minilm", inputs, [output], g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="switchboard-convert-minilm")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    weights_path, config_path, out_path = sys.argv[1:]
    with open(config_path) as f:
        config = json.load(f)
    model = build(read_safetensors(weights_path), config)
    onnx.save(model, out_path)
    print(f"wrote {out_path} ({len(model.graph.node)} nodes)")


if __name__ == "__main__":
    main()
