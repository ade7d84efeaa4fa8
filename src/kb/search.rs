//! Search: BM25 over the passages, cosine over their vectors, and the articles as a whole (by
//! their titles and customers' phrasings), fused by reciprocal rank with the predicted intent,
//! the customer's language and the lead passage as boosts ([`super::fusion`]); then
//! [`super::answerable`] judges whether the best hit answers the question at all.

use std::collections::{HashMap, HashSet};

use super::answerable::{ArticleFacts, HitScore, Signals};
use super::{Article, KbError, KnowledgeBase, coverage, fusion};
use crate::nlu::Scored;
use fusion::Candidate;

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

/// An article's RRF share in one article ranking (0 when that ranking did not find it).
fn share_of(shares: &HashMap<usize, f32>, article: usize) -> f32 {
    shares.get(&article).copied().unwrap_or(0.0)
}

impl KnowledgeBase {
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
