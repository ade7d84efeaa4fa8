//! The knowledge base: articles from `kb/` (Markdown with front matter, and CSV/JSON FAQ pairs),
//! split into passages and searched two ways, BM25 over a tantivy index (`bm25`) and cosine over
//! sentence-encoder vectors ([`crate::nlu::vectors`]), and each article as a whole (its title and
//! customers' phrasings, by cosine and by BM25), fused by reciprocal rank with the predicted
//! intent, the customer's language and the lead passage as boosts (`fusion`); `answerable` decides
//! whether the best hit answers the question at all. `live` makes it editable while serving; `managed`
//! persists the articles edited through the admin API.

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
pub mod spelling;
pub mod vector_cache;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::nlu::vectors::Vectors;
use crate::nlu::{Encoder, NluError, Scored};

pub use article::{Article, Passage};
pub use live::LiveKnowledgeBase;
pub use loader::{Loaded, load_dir};
pub use vector_cache::VectorCache;

use answerable::{Answerability, ArticleFacts, HitScore, Signals};
use bm25::{Bm25Index, IndexedText};
use coverage::Coverage;
use fusion::{BOOSTS, Candidate, LanguageBoosts};
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

/// Candidates taken from each ranking before fusion.
const CANDIDATES: usize = 50;
/// A question of at most this many terms ("roaming", "esim setup") says nothing about which
/// section it wants: the reply quotes the article's lead passage, its summary, when it matched.
const SHORT_QUESTION_TERMS: usize = 2;

/// Which rankings to use (the service always uses `Hybrid`; the others are for evaluation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bm25,
    Dense,
    Hybrid,
}

/// One passage found, with the article it cites.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub article_id: String,
    pub title: String,
    pub anchor: String,
    pub heading: String,
    pub text: String,
    pub lang: String,
    /// The ranking score (fused, for hybrid search).
    pub score: f32,
    /// BM25 score of the passage (0 when no word matched).
    pub bm25: f32,
    /// Cosine similarity to the question (0 when not computed: BM25-only search).
    pub cosine: f32,
    /// Whether this passage answers the question (`answerable`): false when it is only the best
    /// of articles that do not cover it. Always true outside hybrid search.
    pub answerable: bool,
    /// The probability behind `answerable` (`None`: not judged, no model for the language).
    pub answerability: Option<f32>,
    /// What `answerable` was judged on (default outside hybrid search).
    pub signals: Signals,
}

/// What to look for: the customer's words, and the signals that rank passages up.
#[derive(Debug, Clone, Copy)]
pub struct SearchRequest<'a> {
    pub text: &'a str,
    /// The classifier's top intents (best first) with their confidences; articles tagged with
    /// one are boosted in proportion.
    pub intents: &'a [Scored],
    pub lang: &'a str,
    /// The customer's tenant: shared articles plus this tenant's own are searched.
    pub tenant: Option<&'a str>,
    pub limit: usize,
    /// The question's embedding when the caller has it already (the classifier computes it);
    /// otherwise hybrid and dense search embed the question themselves.
    pub embedding: Option<&'a [f32]>,
    pub mode: Mode,
}

impl<'a> SearchRequest<'a> {
    /// A hybrid search for `text` with no intent, tenant or precomputed embedding.
    pub fn new(text: &'a str, lang: &'a str, limit: usize) -> SearchRequest<'a> {
        SearchRequest {
            text,
            intents: &[],
            lang,
            tenant: None,
            limit,
            embedding: None,
            mode: Mode::Hybrid,
        }
    }
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
    /// The most rows one article has in `titles` (1 + its questions).
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

/// The texts the encoder sees for an article as a whole: its title and tags, then each of the
/// questions customers ask it with. A question is matched against the best of them.
pub fn article_texts(article: &Article) -> impl Iterator<Item = String> + '_ {
    let title = format!("{}. {}", article.title, article.tags.join(", "));
    std::iter::once(title).chain(article.questions.iter().map(|q| q.trim().to_string()))
}

/// An article's RRF share in one article ranking (0 when that ranking did not find it).
fn share_of(shares: &HashMap<usize, f32>, article: usize) -> f32 {
    shares.get(&article).copied().unwrap_or(0.0)
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
        let most_title_rows = 1 + articles
            .iter()
            .map(|a| a.questions.len())
            .max()
            .unwrap_or(0);
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

    /// The best passages for a request, best first, at most one per article.
    pub fn search(&self, request: &SearchRequest) -> Result<Vec<Hit>, KbError> {
        let depth = CANDIDATES.max(request.limit * 4);
        let bm25 = match request.mode {
            Mode::Dense => Vec::new(),
            Mode::Bm25 | Mode::Hybrid => self.bm25.search(request.text, request.tenant, depth)?,
        };
        let query = match (request.mode, request.embedding) {
            (Mode::Bm25, _) => None,
            (Mode::Dense | Mode::Hybrid, Some(embedding)) => Some(embedding.to_vec()),
            (Mode::Dense | Mode::Hybrid, None) => self.encoder.embed(&[request.text])?.pop(),
        };
        let (dense, titles) = match &query {
            Some(query) => (
                self.vectors
                    .search(query, depth, |n| self.visible_to(n, request.tenant)),
                self.search_articles(query, depth, request.tenant),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let phrasing_share = match request.mode {
            Mode::Dense | Mode::Bm25 => HashMap::new(),
            Mode::Hybrid => self.phrasing_share(request, depth)?,
        };
        let ranked = self.rank(request, &bm25, &dense, &titles, &phrasing_share);
        // One hit more than asked: the last one's lead over the next is an answerability signal.
        let judged = self.judged_scores(&ranked, request.limit + 1, &phrasing_share);
        let mut hits = self.hits(ranked, request.limit + 1, &bm25, query.as_deref());
        if request.mode == Mode::Hybrid {
            let firsts = [bm25.first(), dense.first()].map(|f| f.map(|(n, _)| self.article_of(*n)));
            let question = self.coverage.question(request.text);
            let closest = |article: usize| {
                let cosine = titles.iter().find(|(a, _)| *a == article).map(|(_, c)| *c);
                match (cosine, query.as_deref()) {
                    (Some(c), Some(q)) => self.encoder.comparable_cosine(q, c),
                    _ => 0.0,
                }
            };
            let about = |id: &str| self.article_facts(id, &question, closest);
            self.answerability.judge(
                &mut hits,
                &judged,
                request.intents,
                request.lang,
                firsts,
                about,
            );
        }
        hits.truncate(request.limit);
        Ok(hits)
    }

    /// The best `limit` articles by their title or any of their questions, with that best
    /// cosine.
    fn search_articles(
        &self,
        query: &[f32],
        limit: usize,
        tenant: Option<&str>,
    ) -> Vec<(usize, f32)> {
        let article_of = |row: usize| self.title_rows[row] as usize;
        // Rows enough to hold `limit` distinct articles even if each fills its every row.
        let rows = self
            .titles
            .search(query, limit * self.most_title_rows, |row| {
                visible(&self.articles[article_of(row)], tenant)
            });
        self.distinct_articles(rows, limit)
    }

    /// The first `limit` distinct articles of a ranking of `titles`' rows, each with the score
    /// of its best row.
    fn distinct_articles(&self, rows: Vec<(usize, f32)>, limit: usize) -> Vec<(usize, f32)> {
        let mut seen = HashSet::new();
        rows.into_iter()
            .map(|(row, score)| (self.title_rows[row] as usize, score))
            .filter(|(article, _)| seen.insert(*article))
            .take(limit)
            .collect()
    }

    /// The first `count` scores of a fused ranking, each also without the phrasing ranking's
    /// share: the answerability model was fitted on the passages' and titles' fused score and
    /// reads it as it was fitted, while a hit's lead is read in the ranking served (judged
    /// scores can be in another order: a lead measured on them would be negative for a first
    /// hit). A fused ranking has one passage per article, so these are the hits'.
    fn judged_scores(
        &self,
        ranked: &[(usize, f32)],
        count: usize,
        phrasing_share: &HashMap<usize, f32>,
    ) -> Vec<HitScore> {
        ranked
            .iter()
            .take(count)
            .map(|&(n, score)| HitScore {
                judged: score - share_of(phrasing_share, self.passages[n].article as usize),
                ranked: score,
            })
            .collect()
    }

    /// What the article-phrasing ranking (BM25 over each article's title and phrasings) adds to
    /// each article it finds: its RRF share, by article.
    fn phrasing_share(
        &self,
        request: &SearchRequest,
        limit: usize,
    ) -> Result<HashMap<usize, f32>, KbError> {
        let rows = self
            .phrasings
            .search(request.text, request.tenant, limit * 2)?;
        let articles = self.distinct_articles(rows, limit);
        let boosts = self.boosts.of(request.lang);
        Ok(fusion::rrf(boosts.k, &[(&articles, boosts.phrasings)]))
    }

    /// What the answerability model reads about article `id`: its intent tags, what its words
    /// leave out of the question, and `closest(article number)`, the cosine of its nearest
    /// title or phrasing.
    fn article_facts(
        &self,
        id: &str,
        question: &coverage::QuestionWords,
        closest: impl Fn(usize) -> f32,
    ) -> ArticleFacts<'_> {
        let Some(&number) = self.number_of.get(id) else {
            return ArticleFacts::default();
        };
        ArticleFacts {
            intents: &self.articles[number].intents,
            gap: self.coverage.gap(question, number),
            phrasing_cosine: closest(number),
        }
    }

    fn article_of(&self, passage: usize) -> &str {
        &self.articles[self.passages[passage].article as usize].id
    }

    fn rank(
        &self,
        request: &SearchRequest,
        bm25: &[(usize, f32)],
        dense: &[(usize, f32)],
        titles: &[(usize, f32)],
        phrasing_share: &HashMap<usize, f32>,
    ) -> Vec<(usize, f32)> {
        match request.mode {
            Mode::Bm25 => bm25.to_vec(),
            Mode::Dense => dense.to_vec(),
            Mode::Hybrid => self.fuse(request, bm25, dense, titles, phrasing_share),
        }
    }

    /// RRF of the passage rankings, plus boosts, gives each article its best passage; the
    /// article rankings (by title and phrasings: dense, then BM25) then add their RRF share to
    /// the article (an article found only that way enters with its lead passage). One passage
    /// per article.
    fn fuse(
        &self,
        request: &SearchRequest,
        bm25: &[(usize, f32)],
        dense: &[(usize, f32)],
        titles: &[(usize, f32)],
        phrasing_share: &HashMap<usize, f32>,
    ) -> Vec<(usize, f32)> {
        let boosts = self.boosts.of(request.lang);
        let fused = fusion::rrf(boosts.k, &[(bm25, 1.0), (dense, boosts.dense)]);
        let boost = |n: usize, score: f32| {
            fusion::boosted(
                score,
                &self.candidate(n),
                request.intents,
                request.lang,
                boosts,
            )
        };
        let mut best: HashMap<usize, (usize, f32)> = HashMap::new();
        for (&n, &score) in &fused {
            let boosted = boost(n, score);
            let entry = best
                .entry(self.passages[n].article as usize)
                .or_insert((n, f32::MIN));
            if boosted > entry.1 {
                *entry = (n, boosted);
            }
        }
        let found_as_a_whole = titles.iter().map(|(a, _)| a).chain(phrasing_share.keys());
        for &article in found_as_a_whole {
            let lead = self.lead_of[article];
            best.entry(article)
                .or_insert_with(|| (lead, boost(lead, 0.0)));
        }
        if self.bm25.term_count(request.text) <= SHORT_QUESTION_TERMS {
            for (article, (n, _)) in best.iter_mut() {
                let lead = self.lead_of[*article];
                if fused.contains_key(&lead) {
                    *n = lead;
                }
            }
        }
        let by_title = fusion::rrf(boosts.k, &[(titles, boosts.dense * boosts.titles)]);
        let mut ranked: Vec<(usize, f32)> = best
            .into_iter()
            .map(|(article, (n, score))| {
                let whole = share_of(&by_title, article) + share_of(phrasing_share, article);
                (n, score + whole)
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// The first `limit` distinct articles of a ranking, each with its best passage.
    fn hits(
        &self,
        ranked: Vec<(usize, f32)>,
        limit: usize,
        bm25: &[(usize, f32)],
        query: Option<&[f32]>,
    ) -> Vec<Hit> {
        let mut seen = HashSet::new();
        let mut hits = Vec::with_capacity(limit);
        for (number, score) in ranked {
            let at = self.passages[number];
            if hits.len() >= limit || !seen.insert(at.article) {
                continue;
            }
            let article = &self.articles[at.article as usize];
            let passage = &article.passages[at.index as usize];
            hits.push(Hit {
                article_id: article.id.clone(),
                title: article.title.clone(),
                anchor: passage.anchor.clone(),
                heading: passage.heading.clone(),
                text: passage.text.clone(),
                lang: article.lang.clone(),
                score,
                bm25: bm25
                    .iter()
                    .find(|(n, _)| *n == number)
                    .map_or(0.0, |(_, s)| *s),
                cosine: query.map_or(0.0, |q| {
                    self.encoder
                        .comparable_cosine(q, self.vectors.cosine(number, q))
                }),
                answerable: true,
                answerability: None,
                signals: Signals::default(),
            });
        }
        hits
    }

    fn visible_to(&self, number: usize, tenant: Option<&str>) -> bool {
        visible(
            &self.articles[self.passages[number].article as usize],
            tenant,
        )
    }

    fn candidate(&self, number: usize) -> PassageCandidate<'_> {
        let at = self.passages[number];
        PassageCandidate {
            article: &self.articles[at.article as usize],
            lead: at.index == 0,
        }
    }
}

/// Shared articles, and the tenant's own.
fn visible(article: &Article, tenant: Option<&str>) -> bool {
    match &article.tenant {
        None => true,
        Some(owner) => Some(owner.as_str()) == tenant,
    }
}

struct PassageCandidate<'a> {
    article: &'a Article,
    lead: bool,
}

impl Candidate for PassageCandidate<'_> {
    fn has_intent(&self, intent: &str) -> bool {
        self.article.intents.iter().any(|i| i == intent)
    }

    fn lang(&self) -> &str {
        &self.article.lang
    }

    fn is_lead(&self) -> bool {
        self.lead
    }
}
