#!/usr/bin/env python3
"""Write a Switchboard intent head as a Hugging Face-style text-classification export.

Usage: export_hf.py ENCODER_DIR MODEL_DIR OUT_DIR

ENCODER_DIR holds the sentence encoder (model.onnx, tokenizer.json) built by `make setup`;
MODEL_DIR a model written by `switchboard train` (model.json + weights.bin). OUT_DIR receives
what `optimum` exports for a fine-tuned classifier: model.onnx (inputs input_ids,
attention_mask, token_type_ids; output `logits` [batch, labels]), tokenizer.json and config.json
with id2label. The graph is the encoder, mean pooling, L2 normalisation and the head's dense
weights; the head's n-gram weights have no place in a transformer graph and are left out, so
export a head trained on embeddings alone for a faithful copy.

Needs numpy and onnx (the converter's virtualenv, .cache/venv, has both).
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def read_head(model_dir):
    meta = json.loads((model_dir / "model.json").read_text())
    labels, dim = meta["labels"], meta["dense_dim"]
    floats = np.fromfile(model_dir / "weights.bin", dtype="<f4")
    classes = len(labels)
    bias = floats[:classes]
    # Class-minor layout: the weights of one embedding dimension for every class are contiguous.
    dense = floats[classes : classes + classes * dim].reshape(dim, classes)
    return labels, bias.astype(np.float32), dense.astype(np.float32)


def add_head(graph, hidden, bias, dense):
    def const(name, array):
        graph.initializer.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    nodes = [
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", const("axis2", np.array([2], np.int64))], ["mask3"]),
        helper.make_node("Mul", [hidden, "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", const("axis1", np.array([1], np.int64))], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=0),
        helper.make_node("Max", ["count", const("one", np.array([1e-9], np.float32))], ["count_safe"]),
        helper.make_node("Div", ["summed", "count_safe"], ["mean"]),
        helper.make_node("ReduceL2", ["mean"], ["norm"], axes=[1], keepdims=1),
        helper.make_node("Max", ["norm", const("tiny", np.array([1e-12], np.float32))], ["norm_safe"]),
        helper.make_node("Div", ["mean", "norm_safe"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", const("classifier_weight", dense)], ["scores"]),
        helper.make_node("Add", ["scores", const("classifier_bias", bias)], ["logits"]),
    ]
    graph.node.extend(nodes)
    del graph.output[:]
    graph.output.append(
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(bias)])
    )


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    encoder_dir, model_dir, out_dir = (Path(a) for a in sys.argv[1:])
    labels, bias, dense = read_head(model_dir)
    model = onnx.load(encoder_dir / "model.onnx")
    add_head(model.graph, model.graph.output[0].name, bias, dense)
    onnx.checker.check_model(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx.save(model, out_dir / "model.onnx")
    shutil.copy(encoder_dir / "tokenizer.json", out_dir / "tokenizer.json")
    config = {
        "architectures": ["BertForSequenceClassification"],
        "problem_type": "single_label_classification",
        "id2label": {str(i): label for i, label in enumerate(labels)},
        "label2id": {label: i for i, label in enumerate(labels)},
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False))
    print(f"wrote {out_dir} ({len(labels)} labels)")


if __name__ == "__main__":
    main()
