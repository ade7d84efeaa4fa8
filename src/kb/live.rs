//! The knowledge base while serving: the current [`KnowledgeBase`] behind an `RwLock<Arc<_>>`,
//! replaced whole. Every change (an article added, replaced or deleted through the admin API, a
//! reindex of the directories and the managed articles) builds a new index off to the side and
//! swaps it in; searches keep using the one they started with, so a rebuild never makes a search
//! fail. An edit is prepared here ([`LiveKnowledgeBase::prepare_upsert`], CPU work), persisted by
//! the caller (the store, see `managed`), then swapped in ([`LiveKnowledgeBase::commit`]); the
//! caller serialises edits. Builds share one mutex. The passage-vector cache lives on disk and
//! is read only while a build runs: in memory it would be a second copy of every vector the
//! serving index already holds (230 MB of the 460 MB of vectors at 10,000 articles).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Instant;

use serde::Serialize;

use super::article::Article;
use super::input::prepare;
pub use super::input::{ArticleFields, ArticleInput};
use super::managed::{self, ManagedArticles};
use super::{
    Hit, KbError, KnowledgeBase, SearchRequest, VectorCache, article_texts, embedding_text, loader,
};
use crate::nlu::Encoder;

/// One article as the admin API lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArticleSummary {
    pub id: String,
    pub title: String,
    pub lang: String,
    pub tenant: Option<String>,
    pub tags: Vec<String>,
    pub intents: Vec<String>,
    pub updated: Option<String>,
    pub passages: usize,
    #[schema(value_type = String)]
    pub source: PathBuf,
}

/// The outcome of a rebuild from the directories.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReindexReport {
    pub articles: usize,
    pub passages: usize,
    /// Files (or FAQ rows) that were skipped, each naming the file and line.
    pub rejected: Vec<String>,
    pub elapsed_ms: f64,
}

/// An edit built but not yet serving: persist `writes`, then [`LiveKnowledgeBase::commit`] it.
pub struct Edit {
    kb: KnowledgeBase,
    id: String,
    /// The article as saved, or None for a delete.
    article: Option<Article>,
    /// The Markdown to save (empty for a delete).
    pub markdown: String,
    pub created: bool,
}

impl Edit {
    pub fn article_id(&self) -> &str {
        &self.id
    }

    pub fn is_delete(&self) -> bool {
        self.article.is_none()
    }
}

pub struct LiveKnowledgeBase {
    current: RwLock<Arc<KnowledgeBase>>,
    encoder: Arc<Encoder>,
    kb_dir: PathBuf,
    vectors_path: PathBuf,
    /// Held while rebuilding (one rebuild at a time).
    rebuild: Mutex<()>,
    /// The file each serving article came from (for the admin listing).
    sources: RwLock<HashMap<String, PathBuf>>,
}

impl LiveKnowledgeBase {
    /// Loads `kb_dir` plus the `managed` articles, and indexes them; the passage-vector cache
    /// lives under `data_dir`.
    pub fn open(
        kb_dir: &Path,
        data_dir: &Path,
        managed: &ManagedArticles,
        encoder: Arc<Encoder>,
    ) -> Result<(LiveKnowledgeBase, ReindexReport), KbError> {
        let vectors_path = managed::vectors_path(data_dir);
        let started = Instant::now();
        let loaded = load(kb_dir, managed)?;
        let upkeep = CacheUpkeep::Save;
        let kb = build_with_saved_cache(&vectors_path, &encoder, loaded.articles, upkeep)?;
        let report = report(&kb, &loaded.rejected, started);
        let live = LiveKnowledgeBase {
            current: RwLock::new(Arc::new(kb)),
            encoder,
            kb_dir: kb_dir.to_path_buf(),
            vectors_path,
            rebuild: Mutex::new(()),
            sources: RwLock::new(loaded.sources),
        };
        Ok((live, report))
    }

    /// The index now serving; a search holds it for as long as it runs.
    pub fn current(&self) -> Arc<KnowledgeBase> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn search(&self, request: &SearchRequest) -> Result<Vec<Hit>, KbError> {
        self.current().search(request)
    }

    /// Articles visible to `tenant` (all of them when `None`).
    pub fn list(&self, tenant: Option<&str>) -> Vec<ArticleSummary> {
        let kb = self.current();
        let sources = match self.sources.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        kb.articles()
            .iter()
            .filter(|a| tenant.is_none() || a.tenant.is_none() || a.tenant.as_deref() == tenant)
            .map(|a| summary(a, sources.get(&a.id)))
            .collect()
    }

    /// Re-reads `kb/`, overlays `managed`, rebuilds and swaps in the new index.
    pub fn reindex(&self, managed: &ManagedArticles) -> Result<ReindexReport, KbError> {
        let _rebuilding = self.lock();
        let started = Instant::now();
        let loaded = load(&self.kb_dir, managed)?;
        let texts = passage_texts(&loaded.articles);
        let kb = self.build(loaded.articles, CacheUpkeep::SaveOnly(&texts))?;
        let report = report(&kb, &loaded.rejected, started);
        self.swap(kb, |sources| *sources = loaded.sources);
        Ok(report)
    }

    /// Builds the index with an article added (`replace = false`: its id must be new) or
    /// added/replaced (`true`). `tenant`, when given, scopes the call: the article belongs to it.
    pub fn prepare_upsert(
        &self,
        input: ArticleInput,
        path_id: Option<&str>,
        tenant: Option<&str>,
        replace: bool,
    ) -> Result<Edit, KbError> {
        let (article, markdown) = prepare(input, path_id, tenant)?;
        let _rebuilding = self.lock();
        let current = self.current();
        let existing = current.article(&article.id);
        match existing {
            Some(_) if !replace => return Err(KbError::ArticleExists(article.id)),
            Some(old) if tenant.is_some() && old.tenant.as_deref() != tenant => {
                return Err(KbError::ArticleNotFound(article.id));
            }
            Some(_) | None => {}
        }
        let created = existing.is_none();
        let mut articles: Vec<Article> = current
            .articles()
            .iter()
            .filter(|a| a.id != article.id)
            .cloned()
            .collect();
        articles.push(article.clone());
        let kb = self.build(articles, CacheUpkeep::Save)?;
        Ok(Edit {
            kb,
            id: article.id.clone(),
            article: Some(article),
            markdown,
            created,
        })
    }

    /// Builds the index without an article (from `kb/` too: the caller persists a tombstone).
    pub fn prepare_delete(&self, id: &str, tenant: Option<&str>) -> Result<Edit, KbError> {
        let _rebuilding = self.lock();
        let current = self.current();
        let visible = current
            .article(id)
            .is_some_and(|a| tenant.is_none() || a.tenant.as_deref() == tenant);
        if !visible {
            return Err(KbError::ArticleNotFound(id.to_string()));
        }
        let articles: Vec<Article> = current
            .articles()
            .iter()
            .filter(|a| a.id != id)
            .cloned()
            .collect();
        let kb = self.build(articles, CacheUpkeep::Leave)?;
        Ok(Edit {
            kb,
            id: id.to_string(),
            article: None,
            markdown: String::new(),
            created: false,
        })
    }

    /// Swaps in an edit the caller has persisted; returns the article's summary (None: deleted).
    pub fn commit(&self, edit: Edit) -> Option<ArticleSummary> {
        let source = managed::source_of(&edit.id);
        let summary = edit.article.as_ref().map(|a| summary(a, Some(&source)));
        let id = edit.id;
        self.swap(edit.kb, |sources| match &summary {
            Some(_) => {
                sources.insert(id, source);
            }
            None => {
                sources.remove(&id);
            }
        });
        summary
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        match self.rebuild.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn build(&self, articles: Vec<Article>, upkeep: CacheUpkeep) -> Result<KnowledgeBase, KbError> {
        build_with_saved_cache(&self.vectors_path, &self.encoder, articles, upkeep)
    }

    /// Swaps in a new index and updates the source map to match it.
    fn swap(&self, kb: KnowledgeBase, update: impl FnOnce(&mut HashMap<String, PathBuf>)) {
        match self.sources.write() {
            Ok(mut guard) => update(&mut guard),
            Err(poisoned) => update(&mut poisoned.into_inner()),
        }
        match self.current.write() {
            Ok(mut guard) => *guard = Arc::new(kb),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(kb),
        }
    }
}

fn load(kb_dir: &Path, managed: &ManagedArticles) -> Result<loader::Loaded, KbError> {
    let mut loaded = loader::load_dir(kb_dir)?;
    managed.overlay(&mut loaded);
    for rejected in &loaded.rejected {
        tracing::warn!("skipped article: {rejected}");
    }
    Ok(loaded)
}

/// Every text the index embeds for `articles`: passages and titles.
fn passage_texts(articles: &[Article]) -> Vec<String> {
    articles
        .iter()
        .flat_map(|a| {
            let passages = a.passages.iter().map(move |p| embedding_text(a, p));
            passages.chain(article_texts(a))
        })
        .collect()
}

/// What a build does with the vector cache it read: nothing (a delete adds no vector), save it,
/// or save only the vectors of these texts (a reindex drops what left the knowledge base).
enum CacheUpkeep<'a> {
    Leave,
    Save,
    SaveOnly(&'a [String]),
}

/// Builds an index over `articles`, embedding only what the cache saved at `vectors_path` lacks,
/// keeps the cache as `upkeep` says, then frees it and hands the memory back: the index holds
/// the vectors it serves, and the cache in memory would be a second, larger copy.
fn build_with_saved_cache(
    vectors_path: &Path,
    encoder: &Arc<Encoder>,
    articles: Vec<Article>,
    upkeep: CacheUpkeep,
) -> Result<KnowledgeBase, KbError> {
    let mut cache = VectorCache::load(vectors_path);
    let kb = KnowledgeBase::build_cached(articles, Arc::clone(encoder), &mut cache)?;
    match upkeep {
        CacheUpkeep::Leave => {}
        CacheUpkeep::Save => save_cache(vectors_path, &cache),
        CacheUpkeep::SaveOnly(texts) => {
            cache.retain(texts);
            save_cache(vectors_path, &cache);
        }
    }
    drop(cache);
    crate::nlu::return_free_memory();
    Ok(kb)
}

/// The vector cache only saves work; failing to write it is logged, not fatal.
fn save_cache(path: &Path, cache: &VectorCache) {
    if let Err(error) = cache.save(path) {
        tracing::warn!("could not save the passage-vector cache: {error}");
    }
}

fn report(kb: &KnowledgeBase, rejected: &[KbError], started: Instant) -> ReindexReport {
    ReindexReport {
        articles: kb.article_count(),
        passages: kb.passage_count(),
        rejected: rejected.iter().map(ToString::to_string).collect(),
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

fn summary(article: &Article, source: Option<&PathBuf>) -> ArticleSummary {
    ArticleSummary {
        id: article.id.clone(),
        title: article.title.clone(),
        lang: article.lang.clone(),
        tenant: article.tenant.clone(),
        tags: article.tags.clone(),
        intents: article.intents.clone(),
        updated: article.updated.clone(),
        passages: article.passages.len(),
        source: source.cloned().unwrap_or_default(),
    }
}
