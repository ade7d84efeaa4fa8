//! The knowledge-base editor's path: list, add, replace and delete articles, and reindex, all
//! while the service keeps answering. An edit is built on the CPU gate, persisted in the store
//! (so every replica and every restart serves it), then swapped in; edits on this replica are
//! serialised, and the other replicas hear of them through the store (`replicas`).

use std::sync::Arc;

use super::Switchboard;
use crate::error::ServiceError;
use crate::kb::live::{ArticleInput, ArticleSummary, Edit, ReindexReport};
use crate::kb::managed::{self, ManagedArticles};
use crate::store::Change;

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
            self.tenants.get(tenant).await?;
        }
        let _editing = self.kb_edits.lock().await;
        let kb = Arc::clone(&self.kb);
        let job = move || {
            let replace = id.is_some();
            kb.prepare_upsert(input, id.as_deref(), tenant.as_deref(), replace)
        };
        let edit = self.cpu.run(job).await??;
        let created = edit.created;
        let writes = managed::upsert_writes(edit.article_id(), &edit.markdown);
        let summary = self.commit_kb_edit(edit, writes).await?;
        let summary =
            summary.ok_or_else(|| ServiceError::Task("the edit lost its article".into()))?;
        Ok((summary, created))
    }

    pub async fn kb_delete_article(
        &self,
        id: String,
        tenant: Option<String>,
    ) -> Result<(), ServiceError> {
        let _editing = self.kb_edits.lock().await;
        let kb = Arc::clone(&self.kb);
        let edit = self
            .cpu
            .run(move || kb.prepare_delete(&id, tenant.as_deref()))
            .await??;
        let writes = managed::delete_writes(edit.article_id());
        self.commit_kb_edit(edit, writes).await?;
        Ok(())
    }

    /// Persists an edit, then serves it here and tells the other replicas.
    async fn commit_kb_edit(
        &self,
        edit: Edit,
        writes: Vec<crate::store::DocWrite>,
    ) -> Result<Option<ArticleSummary>, ServiceError> {
        self.store.write_docs(writes).await?;
        let summary = self.kb.commit(edit);
        if let Err(error) = self.store.announce(Change::Kb).await {
            tracing::warn!(%error, "knowledge-base edit not announced to other replicas");
        }
        Ok(summary)
    }

    /// Re-reads `kb/` and the managed articles; broken files are in the report, not an error.
    pub async fn kb_reindex(&self) -> Result<ReindexReport, ServiceError> {
        let _editing = self.kb_edits.lock().await;
        let managed = ManagedArticles::load(self.store.as_ref()).await?;
        let kb = Arc::clone(&self.kb);
        Ok(self.cpu.run(move || kb.reindex(&managed)).await??)
    }
}
