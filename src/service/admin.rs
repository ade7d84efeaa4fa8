//! The operator's path: admin authentication and swapping in a newly trained intent model.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use super::Switchboard;
use crate::error::ServiceError;
use crate::nlu::BackendSummary;

/// The intent model now serving, as the admin API reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    pub dir: PathBuf,
    #[serde(flatten)]
    pub model: BackendSummary,
}

impl Switchboard {
    /// Checks an admin bearer token in constant time. An empty configured token disables admin.
    pub fn authorize_admin(&self, token: Option<&str>) -> Result<(), ServiceError> {
        let expected = self.admin_token.as_bytes();
        let given = token.unwrap_or("").as_bytes();
        let same_length = expected.len() == given.len();
        let difference = expected
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if expected.is_empty() || !same_length || difference != 0 {
            return Err(ServiceError::Unauthorized);
        }
        Ok(())
    }

    /// Loads a newly trained model (from `dir`, or the configured model directory) and swaps it
    /// in without a restart; a broken model is refused and the current one keeps serving.
    pub async fn reload_model(&self, dir: Option<PathBuf>) -> Result<ModelSummary, ServiceError> {
        let dir = dir.unwrap_or_else(|| self.model_dir.clone());
        let classifier = Arc::clone(&self.classifier);
        let job = move || {
            let model = classifier.reload(&dir)?;
            Ok(ModelSummary {
                model: model.summary(),
                dir,
            })
        };
        self.cpu
            .run(job)
            .await?
            .map_err(ServiceError::ModelRejected)
    }
}
