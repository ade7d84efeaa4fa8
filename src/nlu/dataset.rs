//! Labelled examples for training and evaluation, read from CSV (`text` plus `intent`, `category`
//! or `label`), JSONL (`{"text": ..., "intent": ...}`) or YAML (`intent: [examples...]`) files,
//! or a directory of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::NluError;
use super::model::OUT_OF_SCOPE;

#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub intent: String,
}

fn bad(path: &Path, line: usize, reason: impl Into<String>) -> NluError {
    NluError::BadData {
        path: path.to_path_buf(),
        line,
        reason: reason.into(),
    }
}

/// Reads a file, or every supported file of a directory in name order.
pub fn load(path: &Path) -> Result<Vec<Example>, NluError> {
    if !path.is_dir() {
        return load_file(path);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| bad(path, 0, e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| matches!(extension(p).as_str(), "csv" | "jsonl" | "yaml" | "yml"))
        .collect();
    files.sort();
    let mut all = Vec::new();
    for file in files {
        all.extend(load_file(&file)?);
    }
    Ok(all)
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Labels other data sets use for out-of-scope examples (CLINC150 says `oos`).
const OUT_OF_SCOPE_ALIASES: [&str; 2] = ["oos", "out-of-scope"];

fn load_file(path: &Path) -> Result<Vec<Example>, NluError> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(path, 0, e.to_string()))?;
    let mut examples = match extension(path).as_str() {
        "csv" => parse_csv(path, &text)?,
        "jsonl" => parse_jsonl(path, &text)?,
        "yaml" | "yml" => parse_yaml(path, &text)?,
        other => {
            return Err(bad(
                path,
                0,
                format!("unsupported extension {other:?} (csv, jsonl, yaml)"),
            ));
        }
    };
    if examples.is_empty() {
        return Err(bad(path, 0, "no examples"));
    }
    for example in &mut examples {
        if OUT_OF_SCOPE_ALIASES.contains(&example.intent.as_str()) {
            example.intent = OUT_OF_SCOPE.to_string();
        }
    }
    Ok(examples)
}

fn parse_csv(path: &Path, text: &str) -> Result<Vec<Example>, NluError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| bad(path, 1, e.to_string()))?
        .clone();
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim()));
    let text_col = column(&["text"]).ok_or_else(|| bad(path, 1, "no `text` column"))?;
    let intent_col = column(&["intent", "category", "label"])
        .ok_or_else(|| bad(path, 1, "no `intent` (or `category`, `label`) column"))?;
    let mut examples = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(path, i + 2, e.to_string()))?;
        let (Some(text), Some(intent)) = (record.get(text_col), record.get(intent_col)) else {
            return Err(bad(path, i + 2, "missing column"));
        };
        examples.push(checked(path, i + 2, text, intent)?);
    }
    Ok(examples)
}

#[derive(Deserialize)]
struct JsonExample {
    text: String,
    intent: String,
}

fn parse_jsonl(path: &Path, text: &str) -> Result<Vec<Example>, NluError> {
    let mut examples = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: JsonExample =
            serde_json::from_str(line).map_err(|e| bad(path, i + 1, e.to_string()))?;
        examples.push(checked(path, i + 1, &row.text, &row.intent)?);
    }
    Ok(examples)
}

fn parse_yaml(path: &Path, text: &str) -> Result<Vec<Example>, NluError> {
    let map: BTreeMap<String, Vec<String>> = serde_norway::from_str(text).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line());
        bad(path, line, e.to_string())
    })?;
    let mut examples = Vec::new();
    for (intent, texts) in map {
        for text in texts {
            examples.push(checked(path, 0, &text, &intent)?);
        }
    }
    Ok(examples)
}

fn checked(path: &Path, line: usize, text: &str, intent: &str) -> Result<Example, NluError> {
    let (text, intent) = (text.trim(), intent.trim());
    if text.is_empty() || intent.is_empty() {
        return Err(bad(path, line, "empty text or intent"));
    }
    Ok(Example {
        text: text.to_string(),
        intent: intent.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_three_formats() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.csv"),
            "text,category\nhello there,greeting\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.jsonl"),
            "{\"text\":\"bye\",\"intent\":\"goodbye\"}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("c.yaml"),
            "thanks:\n  - thank you\n  - 谢谢\n",
        )
        .unwrap();
        let examples = load(dir.path()).unwrap();
        assert_eq!(examples.len(), 4);
        assert_eq!(
            examples[3],
            Example {
                text: "谢谢".into(),
                intent: "thanks".into()
            }
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.jsonl");
        std::fs::write(&file, "{\"text\":\"ok\",\"intent\":\"a\"}\nnot json\n").unwrap();
        let err = load(&file).unwrap_err().to_string();
        assert!(err.contains("bad.jsonl") && err.contains("line 2"), "{err}");
    }
}
