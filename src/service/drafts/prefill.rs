//! What a new draft starts with, taken from the conversation, and the checks every edit passes.
//! Pure functions: the service loads the conversation and stores the draft.

use super::{ArticleDraft, ExamplesDraft};
use crate::dialogue::Lang;
use crate::kb::article::{MAX_QUESTION_CHARS, MAX_QUESTIONS};
use crate::nlu::model::OUT_OF_SCOPE;
use crate::service::ReviewError;
use crate::service::gaps::{gap_turns, is_uninformative};
use crate::tickets::{Event, EventKind, Ticket};

const MAX_TITLE_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 20_000;
const MAX_ID_CHARS: usize = 64;
const MAX_LABELS: usize = 20;
const MAX_EXAMPLES: usize = 100;
const MAX_EXAMPLE_CHARS: usize = 500;
/// A prefilled title is the customer's question, cut at this many characters.
const TITLE_FROM_QUESTION_CHARS: usize = 120;

/// What the prefill needs besides the timeline: intents that say nothing about the topic.
pub struct PrefillContext<'c> {
    pub lang: Lang,
    /// Small talk and "give me a person": never the intent of an article or examples.
    pub uninformative_intents: &'c [String],
}

/// An article from the agent's answer: the title is the customer's unanswered question, the body
/// the agent's messages, the intents the bot's last informative prediction.
pub fn article(
    ticket: &Ticket,
    events: &[Event],
    context: &PrefillContext,
) -> Result<ArticleDraft, ReviewError> {
    let answers: Vec<&str> = events
        .iter()
        .filter_map(|e| {
            let EventKind::AgentMessage { text, .. } = &e.kind else {
                return None;
            };
            Some(text.as_str())
        })
        .collect();
    if answers.is_empty() {
        return Err(ReviewError::NothingToDraft(
            "no agent message in this conversation".into(),
        ));
    }
    let asked: Vec<String> = questions(ticket, events, context)
        .into_iter()
        .take(MAX_QUESTIONS)
        .map(|q| q.chars().take(MAX_QUESTION_CHARS).collect())
        .collect();
    let question = asked.first().cloned().unwrap_or_default();
    let title: String = question.chars().take(TITLE_FROM_QUESTION_CHARS).collect();
    Ok(ArticleDraft {
        id: article_id(&title, ticket),
        title,
        lang: context.lang.code().to_string(),
        intents: last_intent(events, context).into_iter().collect(),
        tags: ticket.tags.clone(),
        questions: asked,
        body: answers.join("\n\n"),
    })
}

/// Training examples from the customer's unanswered messages, labelled with the bot's last
/// informative prediction (the reviewer corrects the label).
pub fn examples(
    ticket: &Ticket,
    events: &[Event],
    context: &PrefillContext,
) -> Result<ExamplesDraft, ReviewError> {
    let texts = questions(ticket, events, context);
    if texts.is_empty() {
        return Err(ReviewError::NothingToDraft(
            "no customer message in this conversation".into(),
        ));
    }
    Ok(ExamplesDraft {
        intent: last_intent(events, context).unwrap_or_default(),
        texts,
    })
}

/// The customer's messages the bot did not answer (requests for a person and small talk left
/// out), oldest first, distinct; all the customer's messages when there are none.
fn questions(ticket: &Ticket, events: &[Event], context: &PrefillContext) -> Vec<String> {
    let mut texts: Vec<String> = gap_turns(ticket.id, events)
        .into_iter()
        .filter(|turn| !is_uninformative(turn, context.uninformative_intents))
        .map(|turn| turn.text)
        .collect();
    if texts.is_empty() {
        texts = events
            .iter()
            .filter_map(|e| {
                let EventKind::CustomerMessage { text } = &e.kind else {
                    return None;
                };
                Some(text.clone())
            })
            .collect();
    }
    let mut distinct: Vec<String> = Vec::new();
    for text in texts {
        if !distinct.contains(&text) {
            distinct.push(text);
        }
    }
    distinct
}

/// The intent of the bot's last prediction that is about a topic (not small talk, not a request
/// for a person, not out of scope).
fn last_intent(events: &[Event], context: &PrefillContext) -> Option<String> {
    events.iter().rev().find_map(|e| {
        let EventKind::BotReply(reply) = &e.kind else {
            return None;
        };
        reply
            .intent
            .as_ref()
            .map(|i| i.name.clone())
            .filter(|name| name != OUT_OF_SCOPE && !context.uninformative_intents.contains(name))
    })
}

/// A slug of the title's ASCII words (`how-do-i-...`), or `answer-<conversation>` for a title
/// with none (a Chinese question).
fn article_id(title: &str, ticket: &Ticket) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= MAX_ID_CHARS - 10 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.len() >= 3 {
        return slug.to_string();
    }
    let simple = ticket.id.simple().to_string();
    format!("answer-{}", &simple[..8])
}

fn invalid(message: impl Into<String>) -> ReviewError {
    ReviewError::InvalidDraft(message.into())
}

/// A label (intent, tag, article id): 1-64 ASCII letters, digits, `-` or `_`.
fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= MAX_ID_CHARS
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Trims the article's fields and checks them (the knowledge base checks again on publishing).
pub fn checked_article(mut article: ArticleDraft) -> Result<ArticleDraft, ReviewError> {
    article.title = article.title.trim().to_string();
    article.body = article.body.trim().to_string();
    if !valid_label(&article.id) {
        return Err(invalid("`id` must be 1-64 ASCII letters, digits, - or _"));
    }
    if article.title.is_empty() || article.title.chars().count() > MAX_TITLE_CHARS {
        return Err(invalid(format!(
            "`title` must be 1-{MAX_TITLE_CHARS} characters"
        )));
    }
    if article.body.is_empty() || article.body.chars().count() > MAX_BODY_CHARS {
        return Err(invalid(format!(
            "`body` must be 1-{MAX_BODY_CHARS} characters"
        )));
    }
    if Lang::from_code(&article.lang).is_none() {
        return Err(invalid("`lang` must be en or zh"));
    }
    article.questions = article
        .questions
        .iter()
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty())
        .collect();
    if article.questions.len() > MAX_QUESTIONS
        || article
            .questions
            .iter()
            .any(|q| q.chars().count() > MAX_QUESTION_CHARS)
    {
        return Err(invalid(format!(
            "`questions`: at most {MAX_QUESTIONS}, each at most {MAX_QUESTION_CHARS} characters"
        )));
    }
    let labels = article.intents.iter().chain(&article.tags);
    if article.intents.len() > MAX_LABELS
        || article.tags.len() > MAX_LABELS
        || !labels.clone().all(|l| valid_label(l))
    {
        return Err(invalid(format!(
            "`intents` and `tags`: at most {MAX_LABELS} each, 1-64 ASCII letters, digits, - or _"
        )));
    }
    Ok(article)
}

/// Trims and de-duplicates the examples and checks them.
pub fn checked_examples(examples: ExamplesDraft) -> Result<ExamplesDraft, ReviewError> {
    let intent = examples.intent.trim().to_string();
    if !valid_label(&intent) {
        return Err(invalid(
            "`intent` must be 1-64 ASCII letters, digits, - or _",
        ));
    }
    let mut texts: Vec<String> = Vec::new();
    for text in examples.texts {
        let text = text.trim().to_string();
        if text.is_empty() || text.chars().count() > MAX_EXAMPLE_CHARS {
            return Err(invalid(format!(
                "each example must be 1-{MAX_EXAMPLE_CHARS} characters"
            )));
        }
        if !texts.contains(&text) {
            texts.push(text);
        }
    }
    if texts.is_empty() || texts.len() > MAX_EXAMPLES {
        return Err(invalid(format!(
            "`texts` must hold 1-{MAX_EXAMPLES} examples"
        )));
    }
    Ok(ExamplesDraft { intent, texts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn ticket() -> Ticket {
        crate::tickets::new_ticket("demo", "web", None, BTreeMap::new(), 0)
    }

    #[test]
    fn an_article_id_is_an_ascii_slug_of_the_title_or_names_the_conversation() {
        let t = ticket();
        assert_eq!(
            article_id("Can I use my eSIM on a cruise ship?", &t),
            "can-i-use-my-esim-on-a-cruise-ship"
        );
        assert!(article_id("邮轮上能用吗", &t).starts_with("answer-"));
        assert!(article_id(&"word ".repeat(40), &t).len() <= MAX_ID_CHARS);
    }

    #[test]
    fn examples_are_trimmed_deduplicated_and_labelled() {
        let checked = checked_examples(ExamplesDraft {
            intent: " roaming_activate ".into(),
            texts: vec![" a ".into(), "a".into(), "b".into()],
        })
        .unwrap();
        assert_eq!(checked.intent, "roaming_activate");
        assert_eq!(checked.texts, ["a", "b"]);
        let unlabelled = ExamplesDraft {
            intent: String::new(),
            texts: vec!["a".into()],
        };
        assert!(checked_examples(unlabelled).is_err());
    }
}
