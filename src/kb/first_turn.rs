//! The headline measure of the knowledge base: the first message of a fresh conversation through
//! the real decision path (the rules that fire before the classifier, `dialogue::plan`, the
//! hybrid search the service runs, `dialogue::respond`), and whether the bot then quoted the right
//! article. Retrieval metrics alone miss what customers see: a question rejected as out of scope
//! or flagged as angry never reaches the search, and an unrelated article quoted for a question
//! no article covers looks like a hit@1 miss but misleads.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::eval::{Case, Share};
use super::{KbError, KnowledgeBase, Mode, SearchRequest};
use crate::config::DialogueSettings;
use crate::dialogue::{self, Lang};
use crate::escalation::judge::Judge;
use crate::tickets::{BotAction, EscalationReason};

/// Passages the service asks the search for (`service::messages`).
const SOURCES_PER_ANSWER: usize = 3;

/// What happened to one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Answered, and the first source is a right article.
    RightQuoted,
    /// Answered with an article that does not answer the question.
    WrongQuoted,
    /// Not answered, but articles offered to choose from (a clarifying question, or "I'm not
    /// sure, is it one of these?"); `right`: a right article is among them.
    Offered { right: bool },
    /// Not answered: handed to a person (escalated, and why), asked to clarify, or "I don't
    /// know".
    NotAnswered(BotAction, Option<EscalationReason>),
}

impl Turn {
    /// Whether the bot quoted an article (right or wrong): offering choices is not quoting.
    fn quoted(self) -> bool {
        matches!(self, Turn::RightQuoted | Turn::WrongQuoted)
    }
}

/// One language's headline.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Headline {
    /// Questions an article covers, answered with a right one.
    pub right_quoted: Share,
    /// Questions an article covers, answered with a wrong one.
    pub wrong_quoted: Share,
    /// Questions an article covers that the bot handed over at once.
    pub escalated: Share,
    /// Questions an article covers, not answered but with a right article among the choices.
    pub right_offered: Share,
    /// Questions no article covers that the bot did not answer with an article.
    pub no_article_not_answered: Share,
    /// Questions no article covers for which the bot offered articles to choose from.
    pub no_article_offered: Share,
}

/// The first turn of a fresh conversation for `case`, as the service would play it
/// (`service::messages`: the judge, a request for a person, then the dialogue's plan).
pub fn first_turn(
    kb: &KnowledgeBase,
    judge: &Judge,
    case: &Case,
    settings: &DialogueSettings,
) -> Result<Turn, KbError> {
    let text = &case.question.question;
    let lang = Lang::detect(text);
    let (plan, held_back) = dialogue::decide(
        judge,
        text,
        &case.prediction,
        &case.embedding,
        None,
        dialogue::Before::default(),
        settings,
    );
    let hits = match dialogue::needs_search(&plan, settings) {
        true => kb.search(&SearchRequest {
            text,
            intents: &dialogue::search_intents(&plan, &case.prediction),
            lang: lang.code(),
            tenant: None,
            limit: SOURCES_PER_ANSWER,
            embedding: Some(&case.embedding),
            mode: Mode::Hybrid,
        })?,
        false => Vec::new(),
    };
    let titles: Vec<(String, String)> = hits
        .iter()
        .map(|h| (h.title.clone(), h.article_id.clone()))
        .collect();
    let outcome = dialogue::respond_holding(plan, hits, held_back, lang, 0, settings);
    if !outcome.choices.is_empty() {
        let right = titles.iter().any(|(title, article)| {
            outcome.choices.contains(title) && case.question.is_right(article)
        });
        return Ok(Turn::Offered { right });
    }
    if outcome.action != BotAction::Answered {
        let reason = outcome.escalation.map(|e| e.reason);
        return Ok(Turn::NotAnswered(outcome.action, reason));
    }
    let right = outcome
        .sources
        .first()
        .is_some_and(|h| case.question.is_right(&h.article_id));
    Ok(if right {
        Turn::RightQuoted
    } else {
        Turn::WrongQuoted
    })
}

/// The headline per language (`en`, `zh`) over `turns` (one per case, same order).
pub fn headline(cases: &[Case], turns: &[Turn]) -> BTreeMap<String, Headline> {
    let langs: HashSet<&str> = cases.iter().map(|c| c.question.lang.as_str()).collect();
    let mut out = BTreeMap::new();
    for lang in langs {
        let rows: Vec<(&Case, Turn)> = cases
            .iter()
            .zip(turns.iter().copied())
            .filter(|(c, _)| c.question.lang == lang)
            .collect();
        let covered: Vec<Turn> = rows
            .iter()
            .filter(|(c, _)| c.question.article.is_some())
            .map(|(_, t)| *t)
            .collect();
        let uncovered: Vec<Turn> = rows
            .iter()
            .filter(|(c, _)| c.question.article.is_none())
            .map(|(_, t)| *t)
            .collect();
        let count = |turns: &[Turn], f: &dyn Fn(Turn) -> bool| {
            Share::new(turns.iter().filter(|t| f(**t)).count(), turns.len())
        };
        let escalated = |t: Turn| matches!(t, Turn::NotAnswered(BotAction::Escalated, _));
        out.insert(
            lang.to_string(),
            Headline {
                right_quoted: count(&covered, &|t| t == Turn::RightQuoted),
                wrong_quoted: count(&covered, &|t| t == Turn::WrongQuoted),
                escalated: count(&covered, &escalated),
                right_offered: count(&covered, &|t| t == Turn::Offered { right: true }),
                no_article_not_answered: count(&uncovered, &|t| !t.quoted()),
                no_article_offered: count(&uncovered, &|t| matches!(t, Turn::Offered { .. })),
            },
        );
    }
    out
}

/// One line per question the first turn gets wrong: an article covers it but the bot did not quote
/// it (with what the bot did instead), or none does and the bot quoted one anyway.
pub fn failures(cases: &[Case], turns: &[Turn]) -> Vec<String> {
    cases
        .iter()
        .zip(turns)
        .filter(|(case, turn)| match case.question.article {
            Some(_) => **turn != Turn::RightQuoted,
            None => turn.quoted(),
        })
        .map(|(case, turn)| {
            let intent = &case.prediction.intent;
            format!(
                "{:?} -> {turn:?} (expected {}; intent {} {:.2}{})",
                case.question.question,
                case.question.article.as_deref().unwrap_or("(none)"),
                intent.name,
                intent.confidence,
                if case.prediction.out_of_scope {
                    ", rejected"
                } else {
                    ""
                }
            )
        })
        .collect()
}
