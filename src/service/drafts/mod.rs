//! Drafts: from a resolved conversation, an agent or admin turns the agent's answer into a
//! knowledge-base article, or the customer's messages into training examples for an intent.
//! Drafts are store documents (`Collection::Drafts`, key `tenant/id`), reviewed and edited in the
//! console, then published by an admin of the tenant:
//!
//! - an article goes through the knowledge-base admin path ([`Switchboard::kb_put_article`],
//!   scoped to the tenant), so the bot cites it from the next message on, on every replica;
//! - training examples stay in the store, marked published, and
//!   [`Switchboard::training_examples_yaml`] exports every published example in `switchboard
//!   train`'s YAML format (`intent: [texts]`), to train the next model with.
//!
//! Who may do what: any agent of the tenant creates, lists and reads drafts; the author or an
//! admin edits an unpublished one; only an admin publishes or discards.

mod prefill;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::customer::conversation_lang;
use super::gaps::require_admin;
use super::{ReviewError, Switchboard};
use crate::agents::{AgentProfile, Role};
use crate::error::ServiceError;
use crate::kb::live::{ArticleFields, ArticleInput, ArticleSummary};
use crate::store::{Collection, DocWrite};
use crate::tickets::{TicketStatus, now_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftKind {
    Article,
    TrainingExamples,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    Draft,
    Published,
}

/// A knowledge-base article as it will be published (for the tenant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleDraft {
    /// The article id: 1-64 ASCII letters, digits, `-` or `_`.
    pub id: String,
    pub title: String,
    /// `en` or `zh`.
    pub lang: String,
    /// Intents that boost the article when the classifier predicts them.
    pub intents: Vec<String>,
    pub tags: Vec<String>,
    /// How customers ask for it (prefilled with the conversation's unanswered messages): the
    /// next customer who asks alike finds the article by them.
    #[serde(default)]
    pub questions: Vec<String>,
    /// Markdown; `##` headings split it into passages.
    pub body: String,
}

/// Customer messages labelled with the intent they should have been classified as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExamplesDraft {
    pub intent: String,
    pub texts: Vec<String>,
}

/// A draft as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Draft {
    pub id: String,
    pub tenant: String,
    pub kind: DraftKind,
    pub status: DraftStatus,
    /// The conversation it was made from.
    pub conversation_id: Uuid,
    /// The username of the agent who made it.
    pub created_by: String,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
    /// Set for an article draft.
    pub article: Option<ArticleDraft>,
    /// Set for a training-examples draft.
    pub examples: Option<ExamplesDraft>,
    pub published_by: Option<String>,
    pub published_at_ms: Option<u64>,
}

/// `POST /v1/console/conversations/{id}/drafts`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDraft {
    pub kind: DraftKind,
}

/// An edit: the field of the draft's kind, whole.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftEdit {
    pub article: Option<ArticleDraft>,
    pub examples: Option<ExamplesDraft>,
}

/// A published draft and, for an article, the article as the knowledge base now serves it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Published {
    pub draft: Draft,
    pub article: Option<ArticleSummary>,
}

fn key(tenant: &str, id: &str) -> String {
    format!("{tenant}/{id}")
}

impl Switchboard {
    /// A draft of `kind` prefilled from the agent's tenant's resolved conversation `id`.
    pub async fn create_draft(
        &self,
        agent: &AgentProfile,
        conversation: &str,
        kind: DraftKind,
    ) -> Result<Draft, ServiceError> {
        let ticket = self.own_ticket(agent, conversation).await?;
        if ticket.status != TicketStatus::Resolved {
            return Err(ReviewError::NotResolved.into());
        }
        let events = self.store.events_after(ticket.id, None).await?;
        let uninformative = self.uninformative_intents();
        let context = prefill::PrefillContext {
            lang: conversation_lang(&ticket, &events),
            uninformative_intents: &uninformative,
        };
        let (article, examples) = match kind {
            DraftKind::Article => (Some(prefill::article(&ticket, &events, &context)?), None),
            DraftKind::TrainingExamples => {
                (None, Some(prefill::examples(&ticket, &events, &context)?))
            }
        };
        let now = now_ms();
        let draft = Draft {
            id: Uuid::new_v4().simple().to_string(),
            tenant: agent.tenant.clone(),
            kind,
            status: DraftStatus::Draft,
            conversation_id: ticket.id,
            created_by: agent.username.clone(),
            created_at_ms: now,
            updated_at_ms: now,
            article,
            examples,
            published_by: None,
            published_at_ms: None,
        };
        self.save_draft(&draft, true).await?;
        Ok(draft)
    }

    /// The tenant's drafts, newest first.
    pub async fn drafts(&self, agent: &AgentProfile) -> Result<Vec<Draft>, ServiceError> {
        let prefix = key(&agent.tenant, "");
        let docs = self.store.docs(Collection::Drafts, &prefix).await?;
        let mut drafts = docs
            .into_iter()
            .map(|(_, value)| serde_json::from_value::<Draft>(value))
            .collect::<Result<Vec<Draft>, _>>()
            .map_err(|e| ServiceError::Store(e.into()))?;
        drafts.sort_by_key(|draft| std::cmp::Reverse(draft.created_at_ms));
        Ok(drafts)
    }

    /// One of the tenant's drafts (another tenant's is not found).
    pub async fn draft(&self, agent: &AgentProfile, id: &str) -> Result<Draft, ServiceError> {
        let Some(value) = self
            .store
            .doc(Collection::Drafts, &key(&agent.tenant, id))
            .await?
        else {
            return Err(ReviewError::DraftNotFound.into());
        };
        serde_json::from_value(value).map_err(|e| ServiceError::Store(e.into()))
    }

    /// Replaces the draft's article or examples (checked); its author or an admin, before
    /// publishing.
    pub async fn edit_draft(
        &self,
        agent: &AgentProfile,
        id: &str,
        edit: DraftEdit,
    ) -> Result<Draft, ServiceError> {
        let mut draft = self.draft(agent, id).await?;
        if agent.role != Role::Admin && draft.created_by != agent.username {
            return Err(ReviewError::AdminOnly.into());
        }
        if draft.status == DraftStatus::Published {
            return Err(ReviewError::AlreadyPublished.into());
        }
        match (draft.kind, edit.article, edit.examples) {
            (DraftKind::Article, Some(article), None) => {
                draft.article = Some(prefill::checked_article(article)?);
            }
            (DraftKind::TrainingExamples, None, Some(examples)) => {
                draft.examples = Some(prefill::checked_examples(examples)?);
            }
            (DraftKind::Article, _, _) => return Err(wrong_field("article")),
            (DraftKind::TrainingExamples, _, _) => return Err(wrong_field("examples")),
        }
        draft.updated_at_ms = now_ms();
        self.save_draft(&draft, false).await?;
        Ok(draft)
    }

    /// Publishes the draft (admin): the article is added to the tenant's knowledge base and
    /// answerable when this returns; examples join the training export.
    pub async fn publish_draft(
        &self,
        agent: &AgentProfile,
        id: &str,
    ) -> Result<Published, ServiceError> {
        require_admin(agent)?;
        let mut draft = self.draft(agent, id).await?;
        if draft.status == DraftStatus::Published {
            return Err(ReviewError::AlreadyPublished.into());
        }
        let mut summary = None;
        if let Some(article) = draft.article.clone() {
            let article = prefill::checked_article(article)?;
            let input = ArticleInput::Fields(ArticleFields {
                id: Some(article.id),
                title: article.title,
                lang: article.lang,
                tags: article.tags,
                intents: article.intents,
                questions: article.questions,
                updated: None,
                tenant: None,
                body: article.body,
            });
            let tenant = Some(draft.tenant.clone());
            // Never replaces an article: a taken id is 409 `article_exists`.
            summary = Some(self.kb_put_article(input, None, tenant).await?.0);
        }
        if let Some(examples) = draft.examples.clone() {
            draft.examples = Some(prefill::checked_examples(examples)?);
        }
        draft.status = DraftStatus::Published;
        draft.published_by = Some(agent.username.clone());
        draft.published_at_ms = Some(now_ms());
        self.save_draft(&draft, false).await?;
        Ok(Published {
            draft,
            article: summary,
        })
    }

    /// Deletes a draft (admin); a published training-examples draft leaves the export with it.
    /// A published article stays in the knowledge base (the KB admin API deletes it).
    pub async fn discard_draft(&self, agent: &AgentProfile, id: &str) -> Result<(), ServiceError> {
        require_admin(agent)?;
        self.draft(agent, id).await?;
        let delete = DocWrite::delete(Collection::Drafts, &key(&agent.tenant, id));
        Ok(self.store.write_docs(vec![delete]).await?)
    }

    /// Every published training example (of one tenant, or all), as `switchboard train` reads
    /// YAML: `intent: [texts]`, each text once per intent.
    pub async fn training_examples_yaml(
        &self,
        tenant: Option<&str>,
    ) -> Result<String, ServiceError> {
        let prefix = tenant.map(|t| key(t, "")).unwrap_or_default();
        let mut by_intent: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (_, value) in self.store.docs(Collection::Drafts, &prefix).await? {
            let draft: Draft =
                serde_json::from_value(value).map_err(|e| ServiceError::Store(e.into()))?;
            let (DraftStatus::Published, Some(examples)) = (draft.status, draft.examples) else {
                continue;
            };
            let texts = by_intent.entry(examples.intent).or_default();
            for text in examples.texts {
                if !texts.contains(&text) {
                    texts.push(text);
                }
            }
        }
        let count: usize = by_intent.values().map(Vec::len).sum();
        let header = format!(
            "# Training examples published from conversations ({}): {count} in {} intents.\n\
             # Train with them beside the default data: put this file and models/intents/train.yaml\n\
             # in one directory and run `switchboard train --data DIR --out MODEL_DIR`.\n",
            tenant.unwrap_or("all tenants"),
            by_intent.len(),
        );
        if by_intent.is_empty() {
            return Ok(format!("{header}{{}}\n"));
        }
        let yaml = serde_norway::to_string(&by_intent)
            .map_err(|e| ServiceError::Task(format!("YAML export: {e}")))?;
        Ok(format!("{header}{yaml}"))
    }

    /// The agent's tenant's published training examples (admin).
    pub async fn tenant_training_examples(
        &self,
        agent: &AgentProfile,
    ) -> Result<String, ServiceError> {
        require_admin(agent)?;
        self.training_examples_yaml(Some(&agent.tenant)).await
    }

    async fn save_draft(&self, draft: &Draft, new: bool) -> Result<(), ServiceError> {
        let value = serde_json::to_value(draft).map_err(|e| ServiceError::Store(e.into()))?;
        let key = key(&draft.tenant, &draft.id);
        let write = if new {
            DocWrite::insert(Collection::Drafts, &key, value)
        } else {
            DocWrite::put(Collection::Drafts, &key, value)
        };
        Ok(self.store.write_docs(vec![write]).await?)
    }
}

fn wrong_field(field: &str) -> ServiceError {
    ReviewError::InvalidDraft(format!("this draft takes `{field}` and nothing else")).into()
}
