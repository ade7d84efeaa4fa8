//! The knowledge base: articles from `kb/` (Markdown with front matter, and CSV/JSON FAQ pairs),
//! split into passages and indexed two ways, BM25 over a tantivy index (`bm25`) and cosine over
//! sentence-encoder vectors ([`crate::nlu::vectors`]), with each article as a whole (its title and
//! customers' phrasings) indexed the same two ways. This module builds the indexes and reads a
//! message as the search will (`read_message`); `search` ranks and fuses, and `answerable`
//! decides whether the best hit answers the question at all. `live` makes it editable while
//! serving; `managed` persists the articles edited through the admin API.

pub mod analyzer;
pub mod answerable;
pub mod article;
pub mod bm25;
pub mod coverage;
pub mod eval;
pub mod faq;
pub mod first_turn;
pub mod fitting;
pub mod fusion;
mod input;
pub mod live;
pub mod loader;
pub mod managed;
pub mod pinyin;
mod search;
pub mod spelling;
pub mod vector_cache;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::nlu::vectors::Vectors;
use crate::nlu::{Encoder, NluError};

pub use article::{Article, Passage};
pub use live::LiveKnowledgeBase;
pub use loader::{Loaded, load_dir};
pub use search::{Hit, Mode, SearchRequest};
pub use vector_cache::VectorCache;

use answerable::Answerability;
use bm25::{Bm25Index, IndexedText};
use coverage::Coverage;
use fusion::{BOOSTS, LanguageBoosts};
use pinyin::PinyinLexicon;

#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("{}, line {line}: {reason}", path.display())]
    BadArticle {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("field `{field}`: {reason}")]
    BadField { field: &'static str, reason: String },
    #[error("duplicate article id {id:?} in {} (first in {})", path.display(), first.display())]
    DuplicateId {
        id: String,
        path: PathBuf,
        first: PathBuf,
    },
    #[error("article {0:?} already exists (use PUT to replace it)")]
    ArticleExists(String),
    #[error("no article {0:?}")]
    ArticleNotFound(String),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("embedding passages: {0}")]
    Encoder(#[from] NluError),
    #[error(transparent)]
    Store(crate::store::StoreError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where passage `n` lives: `articles[article].passages[index]`.
#[derive(Clone, Copy)]
struct PassageRef {
    article: u32,
    index: u32,
}

pub struct KnowledgeBase {
    articles: Vec<Article>,
    passages: Vec<PassageRef>,
    bm25: Bm25Index,
    vectors: Vectors,
    /// Vectors of articles as a whole: each article's title and tags, then each of its
    /// questions (see [`article_texts`]).
    titles: Vectors,
    /// The same texts as `titles`, row for row, for BM25.
    phrasings: Bm25Index,
    /// The article of each row of `titles` and `phrasings`.
    title_rows: Vec<u32>,
    /// The most rows one article has in `titles` (see [`article_texts`]).
    most_title_rows: usize,
    /// The first passage of each article.
    lead_of: Vec<usize>,
    /// Each article id's number (the first article of that id).
    number_of: HashMap<String, usize>,
    encoder: Arc<Encoder>,
    boosts: LanguageBoosts,
    answerability: Answerability,
    /// The articles' Chinese words by their pinyin, for questions typed in pinyin.
    pinyin: PinyinLexicon,
    /// Every article's words, for what a hit's article leaves out of a question.
    coverage: Coverage,
}

/// The text the encoder sees for a passage: its article's title, its heading and its words.
pub fn embedding_text(article: &Article, passage: &Passage) -> String {
    if passage.heading == article.title {
        format!("{}. {}", article.title, passage.text)
    } else {
        format!("{}. {}. {}", article.title, passage.heading, passage.text)
    }
}

/// The rows of `titles` as BM25 documents: an article's first row is its title and tags, each
/// of the others a customers' phrasing as a body; each is visible to whom its article is.
fn phrasing_texts<'a>(
    articles: &'a [Article],
    texts: &'a [String],
    rows: &[u32],
) -> Vec<IndexedText<'a>> {
    let mut previous = None;
    texts
        .iter()
        .zip(rows)
        .map(|(text, &a)| {
            let article = &articles[a as usize];
            let title_row = previous != Some(a);
            previous = Some(a);
            IndexedText {
                title: if title_row { &article.title } else { "" },
                heading: "",
                body: if title_row { "" } else { text },
                tags: if title_row { &article.tags } else { &[] },
                tenant: article.tenant.as_deref(),
            }
        })
        .collect()
}

/// An article with fewer customers' phrasings than this also stands in each section's heading and
/// first sentence as phrasings: the article rankings (titles, phrasings) take an article's best
/// row, so one without phrasings (a tenant's own, written without `questions`) lost to articles
/// with twenty, whatever its passages said (BENCHMARKS.md, "Articles without phrasings").
const FEW_PHRASINGS: usize = 5;

/// The texts the encoder sees for an article as a whole: its title and tags, then each of the
/// questions customers ask it with (or, for an article with few, its sections' openings). A
/// question is matched against the best of them.
pub fn article_texts(article: &Article) -> impl Iterator<Item = String> + '_ {
    let title = format!("{}. {}", article.title, article.tags.join(", "));
    let few = article.questions.len() < FEW_PHRASINGS;
    let openings = article.passages.iter().filter(move |_| few).map(|p| {
        format!("{} {}", p.heading, first_sentence(&p.text))
            .trim()
            .to_string()
    });
    std::iter::once(title)
        .chain(article.questions.iter().map(|q| q.trim().to_string()))
        .chain(openings)
}

/// `text` up to and including its first full stop, question mark or line break.
fn first_sentence(text: &str) -> &str {
    let end = text
        .char_indices()
        .find(|(_, c)| matches!(c, '.' | '?' | '\n' | '。' | '？'))
        .map_or(text.len(), |(at, c)| at + c.len_utf8());
    &text[..end]
}

/// Every text of the `lang` articles: titles, passages, customers' phrasings.
fn texts_in<'a>(articles: &'a [Article], lang: &'a str) -> impl Iterator<Item = &'a str> {
    let of_lang = move |article: &&Article| article.lang == lang;
    articles.iter().filter(of_lang).flat_map(|article| {
        let passages = article.passages.iter().map(|p| p.text.as_str());
        let questions = article.questions.iter().map(String::as_str);
        std::iter::once(article.title.as_str())
            .chain(passages)
            .chain(questions)
    })
}

impl KnowledgeBase {
    /// Indexes `articles` in memory and embeds every passage (in batches) with `encoder`.
    pub fn build(articles: Vec<Article>, encoder: Arc<Encoder>) -> Result<KnowledgeBase, KbError> {
        KnowledgeBase::build_cached(articles, encoder, &mut VectorCache::default())
    }

    /// As [`KnowledgeBase::build`], embedding only the passages `cache` does not hold yet.
    pub fn build_cached(
        articles: Vec<Article>,
        encoder: Arc<Encoder>,
        cache: &mut VectorCache,
    ) -> Result<KnowledgeBase, KbError> {
        let mut passages = Vec::new();
        let mut texts = Vec::new();
        let mut indexed = Vec::new();
        let mut lead_of = Vec::with_capacity(articles.len());
        for (a, article) in articles.iter().enumerate() {
            lead_of.push(passages.len());
            for (p, passage) in article.passages.iter().enumerate() {
                passages.push(PassageRef {
                    article: a as u32,
                    index: p as u32,
                });
                texts.push(embedding_text(article, passage));
                indexed.push(IndexedText {
                    title: &article.title,
                    heading: &passage.heading,
                    body: &passage.text,
                    tags: &article.tags,
                    tenant: article.tenant.as_deref(),
                });
            }
        }
        let bm25 = Bm25Index::build(&indexed)?;
        let vectors = cache.embed(&encoder, &texts)?;
        let mut title_texts = Vec::new();
        let mut title_rows = Vec::new();
        for (a, article) in articles.iter().enumerate() {
            for text in article_texts(article) {
                title_texts.push(text);
                title_rows.push(a as u32);
            }
        }
        let titles = cache.embed(&encoder, &title_texts)?;
        let phrasings =
            Bm25Index::build_exact(&phrasing_texts(&articles, &title_texts, &title_rows))?;
        let pinyin = PinyinLexicon::build(texts_in(&articles, "zh"), texts_in(&articles, "en"));
        let coverage = Coverage::build(&articles);
        let most_title_rows = title_rows
            .chunk_by(|a, b| a == b)
            .map(<[u32]>::len)
            .max()
            .unwrap_or(1);
        let mut number_of = HashMap::with_capacity(articles.len());
        for (a, article) in articles.iter().enumerate() {
            number_of.entry(article.id.clone()).or_insert(a);
        }
        Ok(KnowledgeBase {
            articles,
            passages,
            bm25,
            vectors,
            titles,
            phrasings,
            title_rows,
            most_title_rows,
            lead_of,
            number_of,
            encoder,
            boosts: BOOSTS,
            answerability: Answerability::builtin().clone(),
            pinyin,
            coverage,
        })
    }

    /// The text the message path reads instead of the customer's (`None`: the customer's own):
    /// Chinese read as simplified Mandarin (`nlu::chinese::mandarin`: 幾時 -> 什么时候), then the
    /// Chinese words its pinyin stands for appended (`manyou` -> 漫游, [`pinyin`]), then the
    /// articles' words its misspelt words stand for (`voicemial` -> voicemail, [`spelling`]).
    pub fn read_message(&self, text: &str) -> Option<String> {
        let mandarin = crate::nlu::chinese::mandarin(text);
        let read = self.pinyin.expand(&mandarin).unwrap_or(mandarin);
        let corrections = self
            .coverage
            .corrections(&read, |word| self.encoder.knows_word(word));
        let read = match corrections.is_empty() {
            true => read,
            false => format!("{read} {}", corrections.join(" ")),
        };
        (read != text).then_some(read)
    }

    pub fn article_count(&self) -> usize {
        self.articles.len()
    }

    pub fn passage_count(&self) -> usize {
        self.passages.len()
    }

    pub fn articles(&self) -> &[Article] {
        &self.articles
    }

    pub fn article(&self, id: &str) -> Option<&Article> {
        self.number_of.get(id).map(|&a| &self.articles[a])
    }

    /// Replaces the fusion weights (for tuning on a dev split; the service uses [`BOOSTS`]).
    pub fn set_boosts(&mut self, boosts: LanguageBoosts) {
        self.boosts = boosts;
    }

    /// Replaces the answerability model (for fitting and evaluating one; the service uses the
    /// compiled-in model).
    pub fn set_answerability(&mut self, answerability: Answerability) {
        self.answerability = answerability;
    }

    pub fn encoder(&self) -> &Arc<Encoder> {
        &self.encoder
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const BODY: &str = "Satellite texts reach us where there is no signal. Most phones since 2023 can send them.\n\n## Turn it on\n\nOpen Settings > Satellite. Then follow the steps.\n";

    fn article(questions: usize) -> Article {
        let phrasings: String = (0..questions)
            .map(|i| format!("  - \"question {i}\"\n"))
            .collect();
        let source = format!(
            "---\nid: satellite\ntitle: Satellite texting\nlang: en\ntags: [satellite]\nintents: []\nquestions:\n{phrasings}---\n{BODY}"
        );
        article::parse(Path::new("satellite.md"), &source).expect("a valid article")
    }

    #[test]
    fn an_article_with_few_phrasings_stands_in_its_sections_openings() {
        let texts: Vec<String> = article_texts(&article(1)).collect();
        assert_eq!(
            texts,
            [
                "Satellite texting. satellite",
                "question 0",
                "Satellite texting Satellite texts reach us where there is no signal.",
                "Turn it on Open Settings > Satellite.",
            ]
        );
    }

    #[test]
    fn an_article_with_enough_phrasings_is_matched_on_them_alone() {
        let texts: Vec<String> = article_texts(&article(FEW_PHRASINGS)).collect();
        assert_eq!(texts.len(), 1 + FEW_PHRASINGS);
    }
}
