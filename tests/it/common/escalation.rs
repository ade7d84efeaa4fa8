//! The escalation scorer for tests: trained from `models/escalation/` and the default intents
//! once, and kept under `target/` by a hash of its training data, so that test binaries after the
//! first (and later runs) reuse it instead of training again.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use switchboard::escalation::train;

use super::{DEFAULT_TRAINING_DATA, encoder};

pub const ESCALATION_DATA: &str = "models/escalation";

/// A directory holding the escalation scorer trained from the repository's data.
pub fn escalation_model_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let (examples, _) =
            train::load_examples(Path::new(ESCALATION_DATA), Path::new(DEFAULT_TRAINING_DATA))
                .expect("escalation training data");
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for example in &examples {
            for byte in example
                .intent
                .bytes()
                .chain([0])
                .chain(example.text.bytes())
            {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        let dir = PathBuf::from(format!("target/test-escalation-model-{hash:016x}"));
        if !dir.join("escalation.json").exists() {
            let model = train::train(&encoder(), &examples).expect("escalation training");
            let staging = dir.with_extension(format!("tmp{}", std::process::id()));
            model.save(&staging).expect("save escalation model");
            // Another test binary may have won the race: either copy is the same model.
            if std::fs::rename(&staging, &dir).is_err() {
                let _ = std::fs::remove_dir_all(&staging);
            }
        }
        dir
    })
    .clone()
}
