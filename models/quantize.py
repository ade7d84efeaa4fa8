#!/usr/bin/env python3
"""Quantize an fp32 encoder graph to int8 with ONNX Runtime's dynamic quantization.

Usage: quantize.py IN.onnx OUT.onnx

Weights of every MatMul and of the word-embedding Gather become int8 (per output channel for
MatMul); activations are quantized at run time (ONNX Runtime's DynamicQuantizeLinear +
MatMulInteger, which use VNNI/AMX int8 instructions where the CPU has them). The result is
deterministic for pinned numpy/onnx/onnxruntime versions, so models/fetch.py pins its sha256.
Quality is checked by `switchboard encoder-check` (cosine to the fp32 graph) and the intent
benchmarks (BENCHMARKS.md).
"""

import sys

from onnxruntime.quantization import QuantType, quantize_dynamic


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, target = sys.argv[1:]
    quantize_dynamic(
        source,
        target,
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul", "Gather"],
    )
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
