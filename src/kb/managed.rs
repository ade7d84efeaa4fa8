//! Articles edited through the admin API, kept by the store so that every replica serves them
//! and they survive a restart, without touching the operator's `kb/` directory:
//!
//! - `kb_articles/<id>`: an article added or replaced through the API (Markdown with front
//!   matter, the same format as `kb/`). It overrides an article of the same id in `kb/`.
//! - `kb_tombstones/<id>`: hides the `kb/` article with that id.
//! - `meta/kb_revision`: a fresh token written with every edit; replicas compare it to notice
//!   edits made elsewhere.
//!
//! Articles that older versions kept as files under `<data_dir>/kb/` are imported once at start.
//! The passage-vector cache stays a local file (`<data_dir>/kb/vectors.bin`, rebuilt when
//! missing), written atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::loader::Loaded;
use super::{KbError, article};
use crate::store::{Collection, DocWrite, Store, StoreError};

const REVISION_KEY: &str = "kb_revision";

/// The managed layer as stored: articles (id, Markdown) and tombstoned ids.
#[derive(Debug, Clone, Default)]
pub struct ManagedArticles {
    pub articles: Vec<(String, String)>,
    pub tombstones: Vec<String>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KbError + '_ {
    move |source| KbError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` so that a crash leaves either the old file or the new one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    std::fs::File::open(parent)?.sync_all()
}

pub fn vectors_path(data_dir: &Path) -> PathBuf {
    data_dir.join("kb").join("vectors.bin")
}

/// Where a managed article is said to come from in the admin listing.
pub fn source_of(id: &str) -> PathBuf {
    PathBuf::from(format!("managed:{id}"))
}

impl ManagedArticles {
    pub async fn load(store: &dyn Store) -> Result<ManagedArticles, StoreError> {
        let articles = store
            .docs(Collection::KbArticles, "")
            .await?
            .into_iter()
            .filter_map(|(id, value)| value.as_str().map(|md| (id, md.to_string())))
            .collect();
        let tombstones = store
            .docs(Collection::KbTombstones, "")
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        Ok(ManagedArticles {
            articles,
            tombstones,
        })
    }

    /// Applies the managed layer to what was loaded from `kb/`: tombstones hide, managed
    /// articles add or replace. A broken managed article is reported like a broken `kb/` file.
    pub fn overlay(&self, loaded: &mut Loaded) {
        for id in &self.tombstones {
            loaded.remove(id);
        }
        for (id, markdown) in &self.articles {
            let source = source_of(id);
            match article::parse(&source, markdown) {
                Ok(article) => loaded.replace(article, &source),
                Err(error) => loaded.rejected.push(error),
            }
        }
    }
}

/// The writes that save an article's Markdown and lift any tombstone on its id.
pub fn upsert_writes(id: &str, markdown: &str) -> Vec<DocWrite> {
    vec![
        DocWrite::put(Collection::KbArticles, id, Value::String(markdown.into())),
        DocWrite::delete(Collection::KbTombstones, id),
        new_revision(),
    ]
}

/// The writes that delete an article: a tombstone (hides a `kb/` article), the managed copy goes.
pub fn delete_writes(id: &str) -> Vec<DocWrite> {
    vec![
        DocWrite::put(Collection::KbTombstones, id, Value::Bool(true)),
        DocWrite::delete(Collection::KbArticles, id),
        new_revision(),
    ]
}

fn new_revision() -> DocWrite {
    let token = uuid::Uuid::new_v4().to_string();
    DocWrite::put(Collection::Meta, REVISION_KEY, Value::String(token))
}

/// The token of the last edit (None before the first).
pub async fn revision(store: &dyn Store) -> Result<Option<String>, StoreError> {
    let value = store.doc(Collection::Meta, REVISION_KEY).await?;
    Ok(value.and_then(|v| v.as_str().map(str::to_string)))
}

/// Moves articles and tombstones that older versions kept under `<data_dir>/kb/` into the store,
/// then renames those directories (`*.imported`) so they are not imported twice.
pub async fn import_files(data_dir: &Path, store: &dyn Store) -> Result<usize, KbError> {
    let dir = data_dir.join("kb");
    let (articles, deleted) = (dir.join("articles"), dir.join("deleted"));
    let mut writes = Vec::new();
    if deleted.is_dir() {
        for entry in std::fs::read_dir(&deleted).map_err(io(&deleted))?.flatten() {
            if let Some(id) = entry.file_name().to_str() {
                writes.extend(delete_writes(id));
            }
        }
    }
    if articles.is_dir() {
        for path in article::article_files(&articles)? {
            let markdown = std::fs::read_to_string(&path).map_err(io(&path))?;
            let id = article::parse(&path, &markdown)?.id;
            writes.extend(upsert_writes(&id, &markdown));
        }
    }
    if writes.is_empty() {
        return Ok(0);
    }
    let count = writes.len() / 3;
    store.write_docs(writes).await.map_err(KbError::Store)?;
    for old in [articles, deleted] {
        if old.is_dir() {
            let renamed = old.with_extension("imported");
            std::fs::rename(&old, &renamed).map_err(io(&old))?;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn markdown(id: &str, body: &str) -> String {
        format!("---\nid: {id}\ntitle: T {id}\nlang: en\n---\n{body}\n")
    }

    fn article(id: &str, body: &str) -> article::Article {
        article::parse(Path::new("kb/x.md"), &markdown(id, body)).unwrap()
    }

    fn store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
        Arc::new(crate::store::sled::SledStore::open(&dir.path().join("db"), 8).unwrap())
    }

    async fn overlaid(store: &dyn Store, articles: Vec<article::Article>) -> Loaded {
        let mut loaded = Loaded::default();
        for a in articles {
            loaded.add(a, Path::new("kb/x.md"));
        }
        ManagedArticles::load(store)
            .await
            .unwrap()
            .overlay(&mut loaded);
        loaded
    }

    #[tokio::test]
    async fn managed_articles_override_and_tombstones_hide_kb_dir_articles() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let edited = upsert_writes("edited", &markdown("edited", "New text."));
        store.write_docs(edited).await.unwrap();
        store.write_docs(delete_writes("gone")).await.unwrap();
        let kb_dir = vec![
            article("edited", "Old text."),
            article("gone", "Bye."),
            article("kept", "Hi."),
        ];
        let loaded = overlaid(store.as_ref(), kb_dir).await;
        let ids: Vec<&str> = loaded.articles.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, vec!["kept", "edited"]);
        assert_eq!(loaded.articles[1].passages[0].text, "New text.");
    }

    #[tokio::test]
    async fn saving_again_lifts_the_tombstone_and_each_edit_changes_the_revision() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        store.write_docs(delete_writes("back")).await.unwrap();
        let first = revision(store.as_ref()).await.unwrap();
        let again = upsert_writes("back", &markdown("back", "Again."));
        store.write_docs(again).await.unwrap();
        assert_ne!(revision(store.as_ref()).await.unwrap(), first);
        let loaded = overlaid(store.as_ref(), vec![article("back", "Original.")]).await;
        assert_eq!(loaded.articles.len(), 1);
        assert_eq!(loaded.articles[0].passages[0].text, "Again.");
    }

    #[tokio::test]
    async fn articles_kept_as_files_by_older_versions_are_imported_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let kb = dir.path().join("kb");
        write_atomically(
            &kb.join("articles/old.md"),
            markdown("old", "Kept.").as_bytes(),
        )
        .unwrap();
        write_atomically(&kb.join("deleted/hidden"), b"").unwrap();
        assert_eq!(import_files(dir.path(), store.as_ref()).await.unwrap(), 2);
        assert_eq!(import_files(dir.path(), store.as_ref()).await.unwrap(), 0);
        let loaded = overlaid(store.as_ref(), vec![article("hidden", "x")]).await;
        let ids: Vec<&str> = loaded.articles.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, vec!["old"]);
    }
}
