//! Per-tenant intent models: a tenant registered with its own `intent_model_dir` is classified by
//! that model; everyone else by the shared one. Models load once (on first use or when the tenant
//! is created, which also checks that the directory loads) and stay cached by directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::nlu::{Classifier, NluError};

#[derive(Default)]
pub struct TenantModels {
    loaded: Mutex<HashMap<PathBuf, Arc<Classifier>>>,
}

impl TenantModels {
    /// The classifier for a tenant whose model directory is `dir` (`None`: the shared one).
    /// Blocking when the model is not loaded yet: call it on the CPU gate.
    pub fn classifier_for(
        &self,
        shared: &Arc<Classifier>,
        dir: Option<&Path>,
    ) -> Result<Arc<Classifier>, NluError> {
        let Some(dir) = dir else {
            return Ok(Arc::clone(shared));
        };
        if let Some(found) = self.cached(dir) {
            return Ok(found);
        }
        let classifier = Arc::new(Classifier::load(Arc::clone(shared.encoder()), dir)?);
        let mut loaded = match self.loaded.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        loaded.insert(dir.to_path_buf(), Arc::clone(&classifier));
        Ok(classifier)
    }

    fn cached(&self, dir: &Path) -> Option<Arc<Classifier>> {
        let loaded = match self.loaded.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        loaded.get(dir).map(Arc::clone)
    }
}
