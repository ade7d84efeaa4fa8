//! The knowledge base: articles from `kb/` (Markdown with front matter), split into passages and
//! indexed with tantivy (BM25), searched with the customer's words and boosted by the predicted
//! intent and the customer's language.

pub mod analyzer;
pub mod article;

use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, TantivyDocument, Term, doc};

pub use article::{Article, Passage};

#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("{}, line {line}: {reason}", path.display())]
    BadArticle {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("duplicate article id {id:?} in {} (first in {})", path.display(), first.display())]
    DuplicateId {
        id: String,
        path: PathBuf,
        first: PathBuf,
    },
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// Score added when a passage's article is tagged with the predicted intent.
const INTENT_BOOST: f32 = 3.0;
/// Score added when a passage is in the customer's language.
const LANGUAGE_BOOST: f32 = 1.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub article_id: String,
    pub title: String,
    pub anchor: String,
    pub heading: String,
    pub text: String,
    pub lang: String,
    pub score: f32,
}

/// What to look for: the customer's words, and the signals that rank passages up.
pub struct SearchRequest<'a> {
    pub text: &'a str,
    pub intent: Option<&'a str>,
    pub lang: &'a str,
    pub limit: usize,
}

#[derive(Clone, Copy)]
struct Fields {
    article_id: Field,
    title: Field,
    heading: Field,
    body: Field,
    tags: Field,
    intents: Field,
    lang: Field,
    anchor: Field,
}

pub struct KnowledgeBase {
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    articles: usize,
    passages: usize,
}

/// The outcome of loading a directory: good articles, and the files that were skipped and why.
pub struct Loaded {
    pub articles: Vec<Article>,
    pub rejected: Vec<KbError>,
}

pub fn load_dir(dir: &Path) -> Result<Loaded, KbError> {
    let mut loaded = Loaded {
        articles: Vec::new(),
        rejected: Vec::new(),
    };
    let mut seen: std::collections::HashMap<String, PathBuf> = std::collections::HashMap::new();
    for path in article::markdown_files(dir)? {
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| KbError::BadArticle {
                path: path.clone(),
                line: 0,
                reason: e.to_string(),
            })
            .and_then(|source| article::parse(&path, &source));
        match parsed {
            Ok(article) => match seen.get(&article.id) {
                Some(first) => loaded.rejected.push(KbError::DuplicateId {
                    id: article.id,
                    path,
                    first: first.clone(),
                }),
                None => {
                    seen.insert(article.id.clone(), path);
                    loaded.articles.push(article);
                }
            },
            Err(error) => loaded.rejected.push(error),
        }
    }
    Ok(loaded)
}

fn schema() -> (Schema, Fields) {
    let text = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer::ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let mut builder = Schema::builder();
    let fields = Fields {
        article_id: builder.add_text_field("article_id", STRING | STORED),
        title: builder.add_text_field("title", text.clone()),
        heading: builder.add_text_field("heading", text.clone()),
        body: builder.add_text_field("body", text.clone()),
        tags: builder.add_text_field("tags", text),
        intents: builder.add_text_field("intents", STRING),
        lang: builder.add_text_field("lang", STRING | STORED),
        anchor: builder.add_text_field("anchor", STORED),
    };
    (builder.build(), fields)
}

impl KnowledgeBase {
    /// Indexes `articles` in memory, one document per passage.
    pub fn build(articles: &[Article]) -> Result<KnowledgeBase, KbError> {
        let (schema, f) = schema();
        let index = Index::create_in_ram(schema);
        index
            .tokenizers()
            .register(analyzer::ANALYZER, analyzer::analyzer());
        let mut writer = index.writer_with_num_threads(1, 32 * 1024 * 1024)?;
        let mut passages = 0;
        for article in articles {
            for passage in &article.passages {
                let mut document = doc!(
                    f.article_id => article.id.as_str(),
                    f.title => article.title.as_str(),
                    f.heading => passage.heading.as_str(),
                    f.body => passage.text.as_str(),
                    f.tags => article.tags.join(" "),
                    f.lang => article.lang.as_str(),
                    f.anchor => passage.anchor.as_str(),
                );
                for intent in &article.intents {
                    document.add_text(f.intents, intent);
                }
                writer.add_document(document)?;
                passages += 1;
            }
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(KnowledgeBase {
            reader,
            fields: f,
            analyzer: analyzer::analyzer(),
            articles: articles.len(),
            passages,
        })
    }

    pub fn article_count(&self) -> usize {
        self.articles
    }

    pub fn passage_count(&self) -> usize {
        self.passages
    }

    /// The best passages for a request, best first. Only passages that share at least one term
    /// with the customer's words are returned.
    pub fn search(&self, request: &SearchRequest) -> Result<Vec<Hit>, KbError> {
        let Some(text_query) = self.text_query(request.text) else {
            return Ok(Vec::new());
        };
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
        if let Some(intent) = request.intent {
            clauses.push((
                Occur::Should,
                constant(Term::from_field_text(f.intents, intent), INTENT_BOOST),
            ));
        }
        clauses.push((
            Occur::Should,
            constant(Term::from_field_text(f.lang, request.lang), LANGUAGE_BOOST),
        ));
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(request.limit.max(1)).order_by_score(),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let document: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&document, score));
        }
        Ok(hits)
    }

    fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let mut analyzer = self.analyzer.clone();
        let mut terms = analyzer::terms(&mut analyzer, text);
        terms.sort();
        terms.dedup();
        let f = self.fields;
        let weighted = [
            (f.title, 2.0),
            (f.heading, 1.5),
            (f.body, 1.0),
            (f.tags, 1.5),
        ];
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .flat_map(|term| {
                weighted.iter().map(move |&(field, boost)| {
                    let query = TermQuery::new(
                        Term::from_field_text(field, term),
                        IndexRecordOption::WithFreqs,
                    );
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(query), boost)) as Box<dyn Query>,
                    )
                })
            })
            .collect();
        (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
    }

    fn hit(&self, document: &TantivyDocument, score: f32) -> Hit {
        let f = self.fields;
        let text = |field: Field| {
            document
                .get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        Hit {
            article_id: text(f.article_id),
            title: text(f.title),
            anchor: text(f.anchor),
            heading: text(f.heading),
            text: text(f.body),
            lang: text(f.lang),
            score,
        }
    }
}

fn constant(term: Term, score: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
        score,
    ))
}
