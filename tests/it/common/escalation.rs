//! The escalation scorer for tests: trained from `models/escalation/` and the default intents
//! once, and kept under `target/` by a hash of its training data and the encoders (see
//! [`super::cache`]), so that later runs reuse it instead of training again.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use switchboard::escalation::train;

use super::{DEFAULT_TRAINING_DATA, cache, encoder};

pub const ESCALATION_DATA: &str = "models/escalation";

/// A directory holding the escalation scorer trained from the repository's data.
pub fn escalation_model_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let key = cache::key(&[
            ESCALATION_DATA,
            DEFAULT_TRAINING_DATA,
            "src/escalation",
            "src/nlu",
        ]);
        cache::directory("test-escalation-model", key, |dir| {
            let (examples, _) =
                train::load_examples(Path::new(ESCALATION_DATA), Path::new(DEFAULT_TRAINING_DATA))
                    .expect("escalation training data");
            let model = train::train(&encoder(), &examples).expect("escalation training");
            model.save(dir).expect("save escalation model");
        })
    })
    .clone()
}
