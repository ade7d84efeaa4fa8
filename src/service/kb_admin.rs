//! The knowledge-base editor's path: list, add, replace and delete articles, and reindex the
//! directories, all while the service keeps answering. Rebuilds run behind the CPU gate.

use std::sync::Arc;

use super::Switchboard;
use crate::error::ServiceError;
use crate::kb::live::{ArticleInput, ArticleSummary, ReindexReport};

impl Switchboard {
    pub fn kb_articles(&self, tenant: Option<&str>) -> Vec<ArticleSummary> {
        self.kb.list(tenant)
    }

    /// Adds a new article (`id` = None) or adds/replaces the article `id`; the result says
    /// whether it was created. It is searchable when this returns.
    pub async fn kb_put_article(
        &self,
        input: ArticleInput,
        id: Option<String>,
        tenant: Option<String>,
    ) -> Result<(ArticleSummary, bool), ServiceError> {
        // An article of an unknown tenant would be invisible to everyone.
        if let Some(tenant) = &tenant {
            self.tenants.get(tenant)?;
        }
        let kb = Arc::clone(&self.kb);
        let job = move || {
            let replace = id.is_some();
            kb.upsert(input, id.as_deref(), tenant.as_deref(), replace)
        };
        Ok(self.cpu.run(job).await??)
    }

    pub async fn kb_delete_article(
        &self,
        id: String,
        tenant: Option<String>,
    ) -> Result<(), ServiceError> {
        let kb = Arc::clone(&self.kb);
        let job = move || kb.delete(&id, tenant.as_deref());
        Ok(self.cpu.run(job).await??)
    }

    /// Re-reads `kb/` and the managed articles; broken files are in the report, not an error.
    pub async fn kb_reindex(&self) -> Result<ReindexReport, ServiceError> {
        let kb = Arc::clone(&self.kb);
        Ok(self.cpu.run(move || kb.reindex()).await??)
    }
}
