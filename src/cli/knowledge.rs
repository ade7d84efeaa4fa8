//! Knowledge-base commands: check and index the articles, measure retrieval quality.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use std::collections::BTreeMap;

use anyhow::{Result, bail};

use super::intents::load_classifier;
use switchboard::config::Settings;
use switchboard::escalation::judge::Judge;
use switchboard::kb::answerable::Answerability;
use switchboard::kb::eval as kb_eval;
use switchboard::kb::first_turn;
use switchboard::kb::fitting::{FOLDS, Quoted};
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

#[derive(clap::Args)]
pub struct KbEvalArgs {
    /// Labelled questions (JSONL: question, article or null, also, lang, split).
    #[arg(long, default_value = "benches/data/kb_heldout.jsonl")]
    data: PathBuf,
    /// Knowledge-base directory (default: paths.kb_dir).
    #[arg(long)]
    kb: Option<PathBuf>,
    /// Intent model for the predicted-intent boost (default: paths.model_dir).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Which questions: all, dev (tune on these) or test (report only): a question's `split`
    /// field, or even/odd lines in files without one.
    #[arg(long, default_value = "all")]
    split: kb_eval::Split,
    /// Passes over the questions for the latency percentiles.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also list the questions hybrid search gets wrong (not first, not judged to answer, or a
    /// no-article question answered).
    #[arg(long)]
    show_misses: bool,
    /// Judge answerability with this model file instead of the compiled-in one.
    #[arg(long)]
    answerability: Option<PathBuf>,
    /// Fit the answerability model on these questions (only with `--split dev`), write it here,
    /// then evaluate with it.
    #[arg(long)]
    fit_answerability: Option<PathBuf>,
}

pub fn eval_kb(settings: &Settings, args: KbEvalArgs) -> Result<()> {
    let classifier = load_classifier(
        settings,
        &args.model.unwrap_or(settings.paths.model_dir.clone()),
    )?;
    let loaded = kb::load_dir(&args.kb.unwrap_or(settings.paths.kb_dir.clone()))?;
    for rejected in &loaded.rejected {
        eprintln!("skipped: {rejected}");
    }
    let mut kb = kb::KnowledgeBase::build(loaded.articles, Arc::clone(classifier.encoder()))?;
    let questions = args.split.select(kb_eval::load_questions(&args.data)?);
    let mut cases = Vec::with_capacity(questions.len());
    for question in questions {
        cases.push(kb_eval::Case::classified(&kb, &classifier, question)?);
    }
    if let Some(path) = &args.answerability {
        kb.set_answerability(Answerability::load(path)?);
    }
    if let Some(path) = &args.fit_answerability {
        if args.split != kb_eval::Split::Dev {
            bail!("--fit-answerability fits on the dev split only: add --split dev");
        }
        let (fitted, estimates) = kb_eval::fit_answerability(&kb, &cases)?;
        print_out_of_fold(&estimates);
        std::fs::write(path, serde_json::to_string_pretty(&fitted)? + "\n")?;
        eprintln!("answerability model written to {}", path.display());
        kb.set_answerability(fitted);
    }
    if args.show_misses {
        for miss in kb_eval::misses(&kb, &cases)? {
            println!("{miss}");
        }
    }
    let methods = kb_eval::evaluate(&kb, &cases)?;
    let judge = Judge::load(
        &settings.paths.escalation_model_dir,
        std::sync::Arc::clone(classifier.encoder()),
        &settings.escalation,
    );
    let turns = cases
        .iter()
        .map(|case| first_turn::first_turn(&kb, &judge, case, &settings.dialogue))
        .collect::<Result<Vec<_>, _>>()?;
    let headline = first_turn::headline(&cases, &turns);
    if args.show_misses {
        println!("first turns that went wrong:");
        for failure in first_turn::failures(&cases, &turns) {
            println!("  {failure}");
        }
    }
    let latency = kb_eval::latency(&kb, &cases, args.rounds)?;
    if args.json {
        let report =
            serde_json::json!({ "first_turn": headline, "methods": methods, "latency": latency });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{} questions ({:?} split), {} articles, {} passages",
        cases.len(),
        args.split,
        kb.article_count(),
        kb.passage_count()
    );
    print_headline(&headline);
    print_methods(&methods);
    for l in &latency {
        println!(
            "{:<32} p50 {:.3} ms  p99 {:.3} ms  ({} searches)",
            l.what, l.p50_ms, l.p99_ms, l.searches
        );
    }
    Ok(())
}

fn print_out_of_fold(estimates: &BTreeMap<String, Quoted>) {
    println!(
        "answerability, out of {FOLDS} folds (each question judged by a model fitted without it):"
    );
    for (lang, q) in estimates {
        println!(
            "  {lang}: right quoted {}/{}  wrong quoted {}/{}  no-article quoted {}/{}",
            q.right, q.right_of, q.wrong, q.wrong_of, q.no_article, q.no_article_of
        );
    }
}

fn print_headline(headline: &BTreeMap<String, first_turn::Headline>) {
    println!("first message of a fresh conversation (the real decision path):");
    let share = |s: &kb_eval::Share| format!("{:.3} ({}/{})", s.rate, s.count, s.of);
    for (lang, h) in headline {
        println!(
            "  {lang}: right article quoted {}  wrong article quoted {}  handed over {}  right offered {}  |  no article: not answered {}  offered {}",
            share(&h.right_quoted),
            share(&h.wrong_quoted),
            share(&h.escalated),
            share(&h.right_offered),
            share(&h.no_article_not_answered),
            share(&h.no_article_offered)
        );
    }
}

fn print_methods(methods: &[kb_eval::MethodReport]) {
    println!(
        "{:<26} {:>6} {:>6} {:>6}   {:>17}   {:>17}   {:>14}",
        "method", "hit@1", "hit@3", "MRR", "en hit@1/3 MRR", "zh hit@1/3 MRR", "no-art en/zh"
    );
    for m in methods {
        let lang = |code: &str| {
            m.by_lang.get(code).map_or(String::new(), |l| {
                format!("{:.3} {:.3} {:.3}", l.hit_at_1, l.hit_at_3, l.mrr)
            })
        };
        let silent = |code: &str| {
            m.no_article_not_answered
                .get(code)
                .map_or("-".into(), |s| format!("{:.2}", s.rate))
        };
        println!(
            "{:<26} {:>6.3} {:>6.3} {:>6.3}   {:>17}   {:>17}   {:>6} {:>6}",
            m.method,
            m.overall.hit_at_1,
            m.overall.hit_at_3,
            m.overall.mrr,
            lang("en"),
            lang("zh"),
            silent("en"),
            silent("zh")
        );
    }
}
