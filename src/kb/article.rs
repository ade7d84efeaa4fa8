//! Knowledge-base articles: Markdown files with YAML front matter, split into passages at `##`
//! headings so that a reply can quote one passage and cite its anchor.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::KbError;

#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub id: String,
    pub title: String,
    pub lang: String,
    pub tags: Vec<String>,
    pub intents: Vec<String>,
    /// Customers' own phrasings of what the article answers (see [`FrontMatter::questions`]).
    pub questions: Vec<String>,
    pub updated: Option<String>,
    /// The tenant that owns the article; `None` = shared by every tenant.
    pub tenant: Option<String>,
    pub passages: Vec<Passage>,
}

/// A self-contained piece of an article: the text before the first `##` heading (anchor ""), or
/// one `##` section (anchor = the heading's slug).
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub anchor: String,
    pub heading: String,
    pub text: String,
}

/// The YAML between the `---` lines. Unknown keys are refused so that a typo is not ignored.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub id: String,
    pub title: String,
    pub lang: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub intents: Vec<String>,
    /// How customers ask for this article in their own words (short queries, stories, slang,
    /// typos): matched against a question as a whole, like the title.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

/// Lines that only point elsewhere ("See also [..](..)"): dropped from the end of a passage so a
/// quoted answer does not end in bare links.
const SEE_ALSO: [&str; 3] = ["See also", "另见", "另請參閱"];

fn bad(path: &Path, line: usize, reason: impl Into<String>) -> KbError {
    KbError::BadArticle {
        path: path.to_path_buf(),
        line,
        reason: reason.into(),
    }
}

pub fn parse(path: &Path, source: &str) -> Result<Article, KbError> {
    let lines: Vec<&str> = source.lines().collect();
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return Err(bad(
            path,
            1,
            "missing front matter (the file must start with a `---` line)",
        ));
    }
    let close = lines
        .iter()
        .skip(1)
        .position(|l| l.trim_end() == "---")
        .map(|i| i + 1)
        .ok_or_else(|| bad(path, 1, "front matter is not closed by a `---` line"))?;
    let yaml = lines[1..close].join("\n");
    let front: FrontMatter = serde_norway::from_str(&yaml).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line() + 1);
        bad(path, line, format!("front matter: {e}"))
    })?;
    let key_line = |key: &str| {
        lines[1..close]
            .iter()
            .position(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))
            .map_or(2, |i| i + 2)
    };
    let body_start = close + 1;
    assemble(path, front, &lines[body_start..], body_start + 1, key_line)
}

/// Checks front matter and splits the body into passages. `body_line` is the 1-based line of
/// the body's first line and `key_line` finds a front-matter key's line, for error messages.
pub fn assemble(
    path: &Path,
    front: FrontMatter,
    body: &[&str],
    body_line: usize,
    key_line: impl Fn(&str) -> usize,
) -> Result<Article, KbError> {
    check_front_matter(path, &front, key_line)?;
    let passages = split_passages(&front.title, body);
    if passages.is_empty() {
        return Err(bad(path, body_line, "empty body"));
    }
    Ok(Article {
        id: front.id,
        title: front.title,
        lang: front.lang,
        tags: front.tags,
        intents: front.intents,
        questions: front.questions,
        updated: front.updated,
        tenant: front.tenant,
        passages,
    })
}

/// 1-128 ASCII letters, digits, `-` or `_`: safe as a file name and in a URL path.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_front_matter(
    path: &Path,
    front: &FrontMatter,
    key_line: impl Fn(&str) -> usize,
) -> Result<(), KbError> {
    if !valid_id(&front.id) {
        return Err(bad(
            path,
            key_line("id"),
            format!(
                "id {:?} must be 1-128 ASCII letters, digits, - or _",
                front.id
            ),
        ));
    }
    if front.title.trim().is_empty() {
        return Err(bad(path, key_line("title"), "title is empty"));
    }
    if !matches!(front.lang.as_str(), "en" | "zh") {
        return Err(bad(
            path,
            key_line("lang"),
            format!("lang {:?} is not supported (en, zh)", front.lang),
        ));
    }
    if let Some(tenant) = &front.tenant
        && !valid_id(tenant)
    {
        return Err(bad(
            path,
            key_line("tenant"),
            format!("tenant {tenant:?} must be 1-128 ASCII letters, digits, - or _"),
        ));
    }
    if front.questions.len() > MAX_QUESTIONS {
        return Err(bad(
            path,
            key_line("questions"),
            format!(
                "{} questions (at most {MAX_QUESTIONS})",
                front.questions.len()
            ),
        ));
    }
    if let Some(question) = front.questions.iter().find(|q| {
        let length = q.trim().chars().count();
        length == 0 || length > MAX_QUESTION_CHARS
    }) {
        return Err(bad(
            path,
            key_line("questions"),
            format!("question {question:?} must be 1-{MAX_QUESTION_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Each question is one more vector to embed and search per article: enough for the ways
/// customers ask, not a place for a second article.
pub const MAX_QUESTIONS: usize = 40;
pub const MAX_QUESTION_CHARS: usize = 300;

fn split_passages(title: &str, body: &[&str]) -> Vec<Passage> {
    let mut passages = Vec::new();
    let mut heading = title.to_string();
    let mut anchor = String::new();
    let mut text: Vec<&str> = Vec::new();
    for line in body {
        if let Some(next) = line.strip_prefix("## ") {
            push_passage(&mut passages, &anchor, &heading, &text);
            heading = next.trim().to_string();
            anchor = slug(&heading);
            text.clear();
        } else if !line.starts_with("# ") {
            text.push(line);
        }
    }
    push_passage(&mut passages, &anchor, &heading, &text);
    passages
}

fn push_passage(passages: &mut Vec<Passage>, anchor: &str, heading: &str, lines: &[&str]) {
    let mut lines = lines;
    while let Some((last, rest)) = lines.split_last()
        && (last.trim().is_empty() || SEE_ALSO.iter().any(|p| last.trim().starts_with(p)))
    {
        lines = rest;
    }
    let text = lines.join("\n").trim().to_string();
    if text.is_empty() {
        return;
    }
    passages.push(Passage {
        anchor: anchor.to_string(),
        heading: heading.to_string(),
        text,
    });
}

/// GitHub-style anchor: lowercase letters, digits and CJK, words joined by `-`.
pub fn slug(heading: &str) -> String {
    let mut out = String::new();
    for c in heading.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if (c == ' ' || c == '-') && !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Renders front matter and a Markdown body as an article file that [`parse`] reads back.
pub fn to_markdown(front: &FrontMatter, body: &str) -> String {
    let yaml = serde_norway::to_string(front).unwrap_or_default();
    format!("---\n{}---\n{}\n", yaml, body.trim_end())
}

/// Every article file under `dir` (`.md`, and FAQ `.csv` / `.json`), recursively, in path order.
pub fn article_files(dir: &Path) -> Result<Vec<PathBuf>, KbError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|e| bad(&current, 0, e.to_string()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "md" || e == "csv" || e == "json")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nid: roaming-on\ntitle: Turn on roaming\nlang: en\ntags: [roaming]\nintents: [roaming_activate]\nupdated: 2026-10-12\n---\nIntro text.\n\n## In the app\nSteps here.\n";

    #[test]
    fn splits_into_intro_and_sections() {
        let article = parse(Path::new("a.md"), GOOD).unwrap();
        assert_eq!(article.passages.len(), 2);
        assert_eq!(article.passages[0].anchor, "");
        assert_eq!(article.passages[1].anchor, "in-the-app");
        assert_eq!(article.updated.as_deref(), Some("2026-10-12"));
    }

    #[test]
    fn bad_front_matter_names_the_line() {
        let broken = GOOD.replace("tags: [roaming]", "tags: [roaming");
        let err = parse(Path::new("kb/x.md"), &broken)
            .unwrap_err()
            .to_string();
        assert!(err.contains("kb/x.md") && err.contains("line"), "{err}");
    }

    #[test]
    fn trailing_see_also_is_not_quoted() {
        let source =
            format!("{GOOD}More steps.\n\nSee also [Travel Pass](/kb/roaming-travel-pass).\n");
        let article = parse(Path::new("a.md"), &source).unwrap();
        let last = &article.passages[1].text;
        assert!(last.ends_with("More steps."), "{last}");
    }

    #[test]
    fn rendered_markdown_parses_back() {
        let article = parse(Path::new("a.md"), GOOD).unwrap();
        let front = FrontMatter {
            id: article.id.clone(),
            title: article.title.clone(),
            lang: article.lang.clone(),
            tags: article.tags.clone(),
            intents: article.intents.clone(),
            questions: vec!["how do i roam".into()],
            updated: article.updated.clone(),
            tenant: Some("acme".into()),
        };
        let again = parse(
            Path::new("b.md"),
            &to_markdown(&front, "Intro text.\n\n## In the app\nSteps here."),
        )
        .unwrap();
        assert_eq!(again.passages, article.passages);
        assert_eq!(again.tenant.as_deref(), Some("acme"));
    }

    #[test]
    fn empty_body_is_rejected() {
        let empty = GOOD.split("Intro").next().unwrap();
        let err = parse(Path::new("e.md"), empty).unwrap_err().to_string();
        assert!(err.contains("empty body"), "{err}");
    }
}
