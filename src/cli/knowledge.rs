//! Knowledge-base commands: check and index the articles, measure retrieval quality.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;

use super::intents::load_classifier;
use switchboard::config::Settings;
use switchboard::kb::eval as kb_eval;
use switchboard::{kb, startup};

pub fn index(settings: &Settings, dir: &Path) -> Result<()> {
    let encoder = startup::load_encoder(settings)?;
    let started = Instant::now();
    let loaded = kb::load_dir(dir)?;
    for rejected in &loaded.rejected {
        eprintln!("skipped: {rejected}");
    }
    let kb = kb::KnowledgeBase::build(loaded.articles, encoder)?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "indexed {} articles ({} passages, BM25 + vectors) in {ms:.0} ms; {} skipped",
        kb.article_count(),
        kb.passage_count(),
        loaded.rejected.len()
    );
    Ok(())
}

pub struct KbEvalOptions {
    pub data: PathBuf,
    pub kb: PathBuf,
    pub model: PathBuf,
    pub split: kb_eval::Split,
    pub rounds: usize,
    pub json: bool,
    pub show_misses: bool,
}

pub fn eval_kb(settings: &Settings, options: &KbEvalOptions) -> Result<()> {
    let classifier = load_classifier(settings, &options.model)?;
    let loaded = kb::load_dir(&options.kb)?;
    for rejected in &loaded.rejected {
        eprintln!("skipped: {rejected}");
    }
    let kb = kb::KnowledgeBase::build(loaded.articles, Arc::clone(classifier.encoder()))?;
    let questions = options
        .split
        .select(kb_eval::load_questions(&options.data)?);
    let mut cases = Vec::with_capacity(questions.len());
    for question in questions {
        let (prediction, embedding) = classifier.classify_embedded(&question.question)?;
        cases.push(kb_eval::Case::new(question, prediction, embedding));
    }
    if options.show_misses {
        for miss in kb_eval::misses(&kb, &cases)? {
            println!("{miss}");
        }
    }
    let methods = kb_eval::evaluate(&kb, &cases)?;
    let latency = kb_eval::latency(&kb, &cases, options.rounds)?;
    if options.json {
        let report = serde_json::json!({ "methods": methods, "latency": latency });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{} questions ({:?} split), {} articles, {} passages",
        cases.len(),
        options.split,
        kb.article_count(),
        kb.passage_count()
    );
    println!(
        "{:<26} {:>6} {:>6} {:>6}   {:>17}   {:>17}",
        "method", "hit@1", "hit@3", "MRR", "en hit@1/3 MRR", "zh hit@1/3 MRR"
    );
    for m in &methods {
        let lang = |code: &str| {
            m.by_lang.get(code).map_or(String::new(), |l| {
                format!("{:.3} {:.3} {:.3}", l.hit_at_1, l.hit_at_3, l.mrr)
            })
        };
        println!(
            "{:<26} {:>6.3} {:>6.3} {:>6.3}   {:>17}   {:>17}",
            m.method,
            m.overall.hit_at_1,
            m.overall.hit_at_3,
            m.overall.mrr,
            lang("en"),
            lang("zh")
        );
    }
    for l in &latency {
        println!(
            "{:<32} p50 {:.3} ms  p99 {:.3} ms  ({} searches)",
            l.what, l.p50_ms, l.p99_ms, l.searches
        );
    }
    Ok(())
}
