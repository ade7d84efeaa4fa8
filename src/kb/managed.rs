//! Articles edited through the admin API, persisted under `<data_dir>/kb/` so that they survive a
//! restart without touching the operator's `kb/` directory:
//!
//! - `articles/<id>.md`: an article added or replaced through the API (Markdown with front
//!   matter, the same format as `kb/`). It overrides an article of the same id in `kb/`.
//! - `deleted/<id>`: a tombstone; hides the `kb/` article with that id.
//! - `vectors.bin`: the passage-vector cache (see `dense`), rebuilt when missing.
//!
//! Every write is atomic: a temporary file, fsync, rename, fsync of the directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::loader::Loaded;
use super::{KbError, article};

pub struct ManagedStore {
    dir: PathBuf,
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
    sync_dir(parent)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

impl ManagedStore {
    pub fn new(data_dir: &Path) -> ManagedStore {
        ManagedStore {
            dir: data_dir.join("kb"),
        }
    }

    pub fn vectors_path(&self) -> PathBuf {
        self.dir.join("vectors.bin")
    }

    fn articles_dir(&self) -> PathBuf {
        self.dir.join("articles")
    }

    fn tombstone(&self, id: &str) -> PathBuf {
        self.dir.join("deleted").join(id)
    }

    pub fn article_path(&self, id: &str) -> PathBuf {
        self.articles_dir().join(format!("{id}.md"))
    }

    /// Applies the managed layer to what was loaded from `kb/`: tombstones hide, managed
    /// articles add or replace. A broken managed file is reported like a broken `kb/` file.
    pub fn overlay(&self, loaded: &mut Loaded) -> Result<(), KbError> {
        let deleted = self.dir.join("deleted");
        if deleted.is_dir() {
            for entry in std::fs::read_dir(&deleted).map_err(io(&deleted))?.flatten() {
                if let Some(id) = entry.file_name().to_str() {
                    loaded.remove(id);
                }
            }
        }
        let articles = self.articles_dir();
        if !articles.is_dir() {
            return Ok(());
        }
        for path in article::article_files(&articles)? {
            let parsed = std::fs::read_to_string(&path)
                .map_err(io(&path))
                .and_then(|source| article::parse(&path, &source));
            match parsed {
                Ok(article) => loaded.replace(article, &path),
                Err(error) => loaded.rejected.push(error),
            }
        }
        Ok(())
    }

    /// Persists an article's Markdown and lifts any tombstone on its id.
    pub fn save(&self, id: &str, markdown: &str) -> Result<(), KbError> {
        let path = self.article_path(id);
        write_atomically(&path, markdown.as_bytes()).map_err(io(&path))?;
        let tombstone = self.tombstone(id);
        if tombstone.exists() {
            std::fs::remove_file(&tombstone).map_err(io(&tombstone))?;
            sync_dir(tombstone.parent().unwrap_or(&self.dir)).map_err(io(&tombstone))?;
        }
        Ok(())
    }

    /// Records a deletion: a tombstone first (hides a `kb/` article), then the managed copy goes.
    pub fn delete(&self, id: &str) -> Result<(), KbError> {
        let tombstone = self.tombstone(id);
        write_atomically(&tombstone, b"").map_err(io(&tombstone))?;
        let path = self.article_path(id);
        if path.exists() {
            std::fs::remove_file(&path).map_err(io(&path))?;
            sync_dir(&self.articles_dir()).map_err(io(&path))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markdown(id: &str, body: &str) -> String {
        format!("---\nid: {id}\ntitle: T {id}\nlang: en\n---\n{body}\n")
    }

    fn article(id: &str, body: &str) -> article::Article {
        article::parse(Path::new("kb/x.md"), &markdown(id, body)).unwrap()
    }

    #[test]
    fn managed_articles_override_and_tombstones_hide_kb_dir_articles() {
        let dir = tempfile::tempdir().unwrap();
        let store = ManagedStore::new(dir.path());
        store
            .save("edited", &markdown("edited", "New text."))
            .unwrap();
        store.delete("gone").unwrap();
        let mut loaded = Loaded::default();
        for a in [
            article("edited", "Old text."),
            article("gone", "Bye."),
            article("kept", "Hi."),
        ] {
            loaded.add(a, Path::new("kb/x.md"));
        }
        store.overlay(&mut loaded).unwrap();
        let ids: Vec<&str> = loaded.articles.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, vec!["kept", "edited"]);
        assert_eq!(loaded.articles[1].passages[0].text, "New text.");
    }

    #[test]
    fn saving_again_lifts_the_tombstone() {
        let dir = tempfile::tempdir().unwrap();
        let store = ManagedStore::new(dir.path());
        store.delete("back").unwrap();
        store.save("back", &markdown("back", "Again.")).unwrap();
        let mut loaded = Loaded::default();
        loaded.add(article("back", "Original."), Path::new("kb/x.md"));
        store.overlay(&mut loaded).unwrap();
        assert_eq!(loaded.articles.len(), 1);
        assert_eq!(loaded.articles[0].passages[0].text, "Again.");
    }
}
