//! FAQ files, as partners export them: question/answer pairs in CSV (a header row naming the
//! columns) or JSON (an array of objects). Each pair becomes a one-passage article whose title is
//! the question. Optional columns: `id` (default `faq-<file>-<n>`), `lang` (default: detected),
//! `tags`, `intents` (`;`-separated in CSV, arrays in JSON), `tenant`.

use std::path::Path;

use serde::Deserialize;

use super::KbError;
use super::article::{self, Article, FrontMatter};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonPair {
    question: String,
    answer: String,
    id: Option<String>,
    lang: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    intents: Vec<String>,
    tenant: Option<String>,
}

/// The articles in one FAQ file, and the rows that were rejected (named by file and line).
pub fn parse(path: &Path, source: &str) -> (Vec<Article>, Vec<KbError>) {
    let pairs = match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => csv_pairs(path, source),
        _ => json_pairs(path, source),
    };
    let pairs = match pairs {
        Ok(pairs) => pairs,
        Err(error) => return (Vec::new(), vec![error]),
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("faq");
    let mut articles = Vec::new();
    let mut rejected = Vec::new();
    for (n, (line, pair)) in pairs.into_iter().enumerate() {
        match to_article(path, stem, n + 1, line, pair) {
            Ok(article) => articles.push(article),
            Err(error) => rejected.push(error),
        }
    }
    (articles, rejected)
}

fn bad(path: &Path, line: usize, reason: impl Into<String>) -> KbError {
    KbError::BadArticle {
        path: path.to_path_buf(),
        line,
        reason: reason.into(),
    }
}

fn to_article(
    path: &Path,
    stem: &str,
    n: usize,
    line: usize,
    pair: JsonPair,
) -> Result<Article, KbError> {
    if pair.question.trim().is_empty() {
        return Err(bad(path, line, "question is empty"));
    }
    let lang = pair.lang.unwrap_or_else(|| detect_lang(&pair.question));
    let slug: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let front = FrontMatter {
        id: pair.id.unwrap_or_else(|| format!("faq-{slug}-{n}")),
        title: pair.question.trim().to_string(),
        lang,
        tags: pair.tags,
        intents: pair.intents,
        questions: Vec::new(),
        updated: None,
        tenant: pair.tenant.filter(|t| !t.is_empty()),
    };
    let body: Vec<&str> = pair.answer.lines().collect();
    article::assemble(path, front, &body, line, |_| line)
}

fn detect_lang(text: &str) -> String {
    let zh = text.chars().any(crate::nlu::features::is_cjk);
    if zh { "zh" } else { "en" }.to_string()
}

fn list(cell: Option<&str>) -> Vec<String> {
    cell.unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn csv_pairs(path: &Path, source: &str) -> Result<Vec<(usize, JsonPair)>, KbError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(source.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| bad(path, 1, format!("header row: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(question), Some(answer)) = (column("question"), column("answer")) else {
        return Err(bad(
            path,
            1,
            "the header row must name `question` and `answer` columns",
        ));
    };
    let mut pairs = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            bad(path, line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let cell = |name: &str| {
            column(name)
                .and_then(|i| record.get(i))
                .filter(|s| !s.is_empty())
        };
        pairs.push((
            line,
            JsonPair {
                question: record.get(question).unwrap_or("").to_string(),
                answer: record.get(answer).unwrap_or("").to_string(),
                id: cell("id").map(String::from),
                lang: cell("lang").map(String::from),
                tags: list(cell("tags")),
                intents: list(cell("intents")),
                tenant: cell("tenant").map(String::from),
            },
        ));
    }
    Ok(pairs)
}

fn json_pairs(path: &Path, source: &str) -> Result<Vec<(usize, JsonPair)>, KbError> {
    let pairs: Vec<JsonPair> = serde_json::from_str(source).map_err(|e| {
        bad(
            path,
            e.line(),
            format!("FAQ JSON (an array of {{question, answer}} objects): {e}"),
        )
    })?;
    let lines = object_lines(source);
    Ok(pairs
        .into_iter()
        .enumerate()
        .map(|(i, pair)| (lines.get(i).copied().unwrap_or(1), pair))
        .collect())
}

/// The line on which each top-level array element (an object) starts.
fn object_lines(source: &str) -> Vec<usize> {
    let (mut line, mut depth, mut in_string, mut escaped) = (1, 0usize, false, false);
    let mut starts = Vec::new();
    for c in source.chars() {
        match c {
            '\n' => line += 1,
            _ if in_string => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            }
            '"' => in_string = true,
            '[' | '{' => {
                if c == '{' && depth == 1 {
                    starts.push(line);
                }
                depth += 1;
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_become_articles_and_a_bad_row_names_its_line() {
        let source =
            "question,answer,tags\nHow do I top up?,Use the app.,top up;prepaid\nEmpty answer?,,\n";
        let (articles, rejected) = parse(Path::new("kb/faq/prepaid.csv"), source);
        assert_eq!(articles.len(), 1);
        assert_eq!(articles[0].id, "faq-prepaid-1");
        assert_eq!(articles[0].title, "How do I top up?");
        assert_eq!(articles[0].tags, vec!["top up", "prepaid"]);
        let error = rejected[0].to_string();
        assert!(
            error.contains("prepaid.csv, line 3") && error.contains("empty body"),
            "{error}"
        );
    }

    #[test]
    fn json_pairs_detect_chinese_and_name_the_line_of_a_bad_entry() {
        let source = "[\n  {\"question\": \"怎么充值？\", \"answer\": \"在 App 中充值。\"},\n  {\"question\": \"\", \"answer\": \"x\"}\n]";
        let (articles, rejected) = parse(Path::new("faq.json"), source);
        assert_eq!(articles[0].lang, "zh");
        assert!(
            rejected[0].to_string().contains("line 3"),
            "{}",
            rejected[0]
        );
    }
}
