//! What the suite builds once and keeps under `target/` between test runs: the default intent
//! model, the escalation scorer and the default KB's passage vectors. Each is keyed by a hash of everything it is made
//! from (the encoders' STAMPs, the defaults, the training data or the KB, and the code that trains
//! the models), so a change rebuilds
//! it and the second run of the suite (PostgreSQL after sled) skips a minute and a half of
//! training and embedding on 2 cores.

use std::path::{Path, PathBuf};

/// What every cached artefact depends on: the encoders' weights and the default settings.
const ENCODER_INPUTS: [&str; 3] = [
    ".cache/encoder/STAMP",
    ".cache/encoder-e5/STAMP",
    "config/default.toml",
];

/// FNV-1a over `bytes`, continuing from `hash` (stable across Rust versions, unlike `DefaultHasher`).
fn fnv(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// A hash of the encoder inputs and the files under `inputs` (directories walked in order).
pub fn key(inputs: &[&str]) -> u64 {
    let mut hash = FNV_START;
    for input in ENCODER_INPUTS.iter().chain(inputs) {
        for file in files_under(Path::new(input)) {
            hash = fnv(hash, file.to_string_lossy().as_bytes());
            hash = fnv(hash, &std::fs::read(&file).unwrap_or_default());
        }
    }
    hash
}

fn files_under(path: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(path) else {
        return vec![path.to_path_buf()];
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .flat_map(|path| files_under(&path))
        .collect();
    files.sort();
    files
}

/// `target/<name>-<key>`, built by `build` into a staging directory first when missing. Test
/// binaries racing to build it are harmless: either copy is the same artefact.
pub fn directory(name: &str, key: u64, build: impl FnOnce(&Path)) -> PathBuf {
    let dir = PathBuf::from(format!("target/{name}-{key:016x}"));
    if dir.exists() {
        return dir;
    }
    let staging = dir.with_extension(format!("tmp{}", std::process::id()));
    std::fs::create_dir_all(&staging).expect("staging dir");
    build(&staging);
    if std::fs::rename(&staging, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    dir
}
