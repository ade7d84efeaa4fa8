//! A fingerprint of an encoder's files (graph and tokenizer), so that what was saved from one
//! encoder's vectors (the KB's passage-vector cache) is never served with another's. MiniLM and
//! e5 are both 384 wide, and an fp32 and an int8 MiniLM have the same shape: only the bytes tell
//! them apart.

use std::io::Read;
use std::path::Path;

use super::NluError;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
/// Bytes read per call: the files are tens of megabytes and should not sit in memory whole.
const CHUNK: usize = 1 << 20;

/// Folds `bytes` into `hash` eight bytes at a time (FNV-1a over little-endian words: stable
/// across platforms and Rust versions, fast enough for 70 MB at start-up, and meant to detect
/// a changed file, not to resist a forged one).
fn fold(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut array = [0u8; 8];
        array.copy_from_slice(word);
        hash = (hash ^ u64::from_le_bytes(array)).wrapping_mul(FNV_PRIME);
    }
    for byte in words.remainder() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(FNV_PRIME);
    }
    hash
}

/// A hash of `label` and the contents of `files`, in order.
pub fn of_files(label: &str, files: &[&Path]) -> Result<u64, NluError> {
    let mut hash = fold(FNV_OFFSET, label.as_bytes());
    let mut buffer = vec![0u8; CHUNK];
    for path in files {
        let unreadable =
            |error: std::io::Error| NluError::Model(format!("{}: {error}", path.display()));
        let mut file = std::fs::File::open(path).map_err(unreadable)?;
        // Each file's length first, so that moving bytes from one file to the next changes it.
        let length = file.metadata().map_err(unreadable)?.len();
        hash = fold(hash, &length.to_le_bytes());
        loop {
            let read = fill(&mut file, &mut buffer).map_err(unreadable)?;
            hash = fold(hash, &buffer[..read]);
            if read < buffer.len() {
                break;
            }
        }
    }
    Ok(hash)
}

/// Reads until `buffer` is full or the file ends, so that chunk boundaries (and so the hash)
/// do not depend on how the operating system splits reads.
fn fill(file: &mut std::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Combines two fingerprints (the lanes of a routed encoder) order-dependently.
pub fn combine(first: u64, second: u64) -> u64 {
    fold(first, &second.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_byte_or_label_changes_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.onnx");
        std::fs::write(&model, vec![7u8; 3 * CHUNK + 5]).unwrap();
        let original = of_files("minilm", &[&model]).unwrap();
        assert_eq!(of_files("minilm", &[&model]).unwrap(), original);
        assert_ne!(of_files("e5", &[&model]).unwrap(), original);
        let mut bytes = vec![7u8; 3 * CHUNK + 5];
        bytes[2 * CHUNK + 1] = 8;
        std::fs::write(&model, bytes).unwrap();
        assert_ne!(of_files("minilm", &[&model]).unwrap(), original);
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let error = of_files("minilm", &[Path::new("/nonexistent/model.onnx")]).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/model.onnx"));
    }
}
