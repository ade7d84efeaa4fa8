//! Reading a knowledge-base directory: every Markdown article and FAQ file under it. A broken
//! file (or FAQ row) is reported with its path and line and skipped; the rest still load.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Article, KbError, article, faq};

/// The outcome of loading a directory: good articles, and what was skipped and why.
#[derive(Default)]
pub struct Loaded {
    pub articles: Vec<Article>,
    /// The file each article came from, by article id.
    pub sources: HashMap<String, PathBuf>,
    pub rejected: Vec<KbError>,
}

impl Loaded {
    /// Adds an article; an id seen before in this load is rejected as a duplicate.
    pub fn add(&mut self, article: Article, path: &Path) {
        match self.sources.get(&article.id) {
            Some(first) => self.rejected.push(KbError::DuplicateId {
                id: article.id,
                path: path.to_path_buf(),
                first: first.clone(),
            }),
            None => {
                self.sources.insert(article.id.clone(), path.to_path_buf());
                self.articles.push(article);
            }
        }
    }

    /// Adds or replaces an article by id (managed articles override the kb directory's).
    pub fn replace(&mut self, article: Article, path: &Path) {
        self.remove(&article.id);
        self.sources.insert(article.id.clone(), path.to_path_buf());
        self.articles.push(article);
    }

    pub fn remove(&mut self, id: &str) {
        self.articles.retain(|a| a.id != id);
        self.sources.remove(id);
    }
}

/// Loads every article under `dir`. Only an unreadable directory is an error.
pub fn load_dir(dir: &Path) -> Result<Loaded, KbError> {
    let mut loaded = Loaded::default();
    for path in article::article_files(dir)? {
        let source = match std::fs::read_to_string(&path) {
            Ok(source) => source,
            Err(error) => {
                loaded.rejected.push(KbError::BadArticle {
                    path: path.clone(),
                    line: 0,
                    reason: error.to_string(),
                });
                continue;
            }
        };
        if path.extension().is_some_and(|e| e == "md") {
            match article::parse(&path, &source) {
                Ok(article) => loaded.add(article, &path),
                Err(error) => loaded.rejected.push(error),
            }
            continue;
        }
        let (articles, rejected) = faq::parse(&path, &source);
        articles.into_iter().for_each(|a| loaded.add(a, &path));
        loaded.rejected.extend(rejected);
    }
    Ok(loaded)
}
