//! What the admin API sends to add or replace an article (Markdown with front matter, or
//! fields), validated into an [`Article`] and the Markdown to persist for it.

use std::path::Path;

use serde::Deserialize;

use super::KbError;
use super::article::{self, Article, FrontMatter};

/// What the request body of an add or replace was called in error messages.
const REQUEST_BODY: &str = "request body";

/// An article as the admin API receives it.
pub enum ArticleInput {
    /// A Markdown file with front matter, exactly as in `kb/`.
    Markdown(String),
    Fields(ArticleFields),
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleFields {
    pub id: Option<String>,
    pub title: String,
    pub lang: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub intents: Vec<String>,
    /// How customers ask for this article in their own words.
    #[serde(default)]
    pub questions: Vec<String>,
    pub updated: Option<String>,
    pub tenant: Option<String>,
    /// Markdown; `##` headings split it into passages.
    pub body: String,
}

/// Validates an input into an article and the Markdown to persist for it.
pub(super) fn prepare(
    input: ArticleInput,
    path_id: Option<&str>,
    tenant: Option<&str>,
) -> Result<(Article, String), KbError> {
    let (mut front, body) = match input {
        ArticleInput::Markdown(source) => {
            let parsed = article::parse(Path::new(REQUEST_BODY), &source)?;
            let body = source_body(&source);
            (front_of(&parsed), body)
        }
        ArticleInput::Fields(fields) => fields_front(fields, path_id)?,
    };
    if let Some(id) = path_id
        && front.id != id
    {
        return Err(KbError::BadField {
            field: "id",
            reason: format!("{:?} does not match the id in the path, {id:?}", front.id),
        });
    }
    match (tenant, front.tenant.as_deref()) {
        (Some(scope), Some(own)) if scope != own => {
            return Err(KbError::BadField {
                field: "tenant",
                reason: format!("{own:?} does not match the tenant of the request, {scope:?}"),
            });
        }
        (Some(scope), None) => front.tenant = Some(scope.to_string()),
        (Some(_), Some(_)) | (None, _) => {}
    }
    let markdown = article::to_markdown(&front, &body);
    let article = article::parse(Path::new(REQUEST_BODY), &markdown)?;
    Ok((article, markdown))
}

fn fields_front(
    fields: ArticleFields,
    path_id: Option<&str>,
) -> Result<(FrontMatter, String), KbError> {
    let id = fields.id.or(path_id.map(String::from)).unwrap_or_default();
    let problem = if !article::valid_id(&id) {
        Some((
            "id",
            format!("{id:?} must be 1-128 ASCII letters, digits, - or _"),
        ))
    } else if fields.title.trim().is_empty() {
        Some(("title", "is empty".to_string()))
    } else if !matches!(fields.lang.as_str(), "en" | "zh") {
        Some((
            "lang",
            format!("{:?} is not supported (en, zh)", fields.lang),
        ))
    } else if fields.body.trim().is_empty() {
        Some(("body", "is empty".to_string()))
    } else {
        None
    };
    if let Some((field, reason)) = problem {
        return Err(KbError::BadField { field, reason });
    }
    let front = FrontMatter {
        id,
        title: fields.title,
        lang: fields.lang,
        tags: fields.tags,
        intents: fields.intents,
        questions: fields.questions,
        updated: fields.updated,
        tenant: fields.tenant,
    };
    Ok((front, fields.body))
}

fn front_of(article: &Article) -> FrontMatter {
    FrontMatter {
        id: article.id.clone(),
        title: article.title.clone(),
        lang: article.lang.clone(),
        tags: article.tags.clone(),
        intents: article.intents.clone(),
        questions: article.questions.clone(),
        updated: article.updated.clone(),
        tenant: article.tenant.clone(),
    }
}

/// The text after the closing `---` of a Markdown article that has already parsed.
fn source_body(source: &str) -> String {
    let mut lines = source.lines();
    lines.next();
    let mut body = Vec::new();
    let mut in_front = true;
    for line in lines {
        if in_front {
            in_front = line.trim_end() != "---";
            continue;
        }
        body.push(line);
    }
    body.join("\n")
}
