//! The `switchboard` command line: parses arguments and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use switchboard::config::Settings;
use switchboard::kb::eval as kb_eval;
use switchboard::nlu::head::TrainOptions;
use switchboard::nlu::{Classifier, IntentModel, dataset, eval, train};
use switchboard::{kb, startup};

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Self-hosted AI customer-support server"
)]
struct Cli {
    /// Configuration file (TOML); the embedded defaults apply to anything it leaves out.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve,
    /// Check and index the knowledge base, and report what was skipped.
    Index {
        /// Knowledge-base directory (default: paths.kb_dir).
        #[arg(long)]
        kb: Option<PathBuf>,
    },
    /// Retrieval quality (hit@1, hit@3, MRR for BM25, dense and hybrid) and search latency on
    /// labelled questions (JSONL: question, article, lang).
    KbEval {
        #[arg(long, default_value = "benches/data/kb_questions.jsonl")]
        data: PathBuf,
        /// Knowledge-base directory (default: paths.kb_dir).
        #[arg(long)]
        kb: Option<PathBuf>,
        /// Intent model for the predicted-intent boost (default: paths.model_dir).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Which questions: all, dev (even lines, used to choose the boosts) or test (odd lines).
        #[arg(long, default_value = "all")]
        split: kb_eval::Split,
        /// Passes over the questions for the latency percentiles.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Also list the questions hybrid search does not answer with the expected article.
        #[arg(long)]
        show_misses: bool,
    },
    /// Train an intent model from labelled examples (CSV, JSONL or YAML; a file or a directory).
    Train {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Evaluate an intent model on labelled examples.
    Eval {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Classify one message and print the prediction as JSON.
    Classify {
        text: String,
        #[arg(long)]
        model: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, cause chain included; no backtrace even when RUST_BACKTRACE is set.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve(settings),
        Command::Index { kb } => index(&settings, &kb.unwrap_or(settings.paths.kb_dir.clone())),
        Command::KbEval {
            data,
            kb,
            model,
            split,
            rounds,
            json,
            show_misses,
        } => eval_kb(
            &settings,
            &KbEvalOptions {
                data,
                kb: kb.unwrap_or(settings.paths.kb_dir.clone()),
                model: model.unwrap_or(settings.paths.model_dir.clone()),
                split,
                rounds,
                json,
                show_misses,
            },
        ),
        Command::Train { data, out } => train_model(&settings, &data, &out),
        Command::Eval { model, data, json } => eval_model(&settings, &model, &data, json),
        Command::Classify { text, model } => classify(
            &settings,
            &model.unwrap_or(settings.paths.model_dir.clone()),
            &text,
        ),
    }
}

fn serve(settings: Settings) -> Result<()> {
    let service = Arc::new(startup::open(&settings)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = startup::bind(service, &settings)?;
        // Scripts and tests read this line to learn the port.
        println!("listening on http://{}:{}", settings.server.host, app.port);
        app.server.await.context("server stopped with an error")
    })
}

fn index(settings: &Settings, dir: &std::path::Path) -> Result<()> {
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

fn train_model(settings: &Settings, data: &std::path::Path, out: &std::path::Path) -> Result<()> {
    let started = Instant::now();
    let examples = dataset::load(data)?;
    let encoder = startup::load_encoder(settings)?;
    let model = train::train(&encoder, &examples, TrainOptions::default())?;
    model.save(out)?;
    let v = &model.meta.validation;
    println!(
        "trained {} intents on {} examples in {:.1} s -> {}; validation: accuracy {:.3}, in-scope {:.3}, out-of-scope recall {}, threshold {:.2}",
        model.meta.labels.len(),
        examples.len(),
        started.elapsed().as_secs_f64(),
        out.display(),
        v.accuracy,
        v.in_scope_accuracy,
        v.out_of_scope_recall
            .map_or("n/a".into(), |r| format!("{r:.3}")),
        model.meta.threshold
    );
    Ok(())
}

fn load_classifier(settings: &Settings, model: &std::path::Path) -> Result<Classifier> {
    let encoder = startup::load_encoder(settings)?;
    let model = IntentModel::load(model, encoder.dim())?;
    Ok(Classifier::new(encoder, model))
}

fn eval_model(
    settings: &Settings,
    model: &std::path::Path,
    data: &std::path::Path,
    json: bool,
) -> Result<()> {
    let classifier = load_classifier(settings, model)?;
    let examples = dataset::load(data)?;
    let report = eval::evaluate(&classifier, &examples)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "examples {}  accuracy {:.4}  in-scope accuracy {:.4}  macro-F1 {:.4}  accuracy without rejection {:.4}",
        report.examples,
        report.accuracy,
        report.in_scope_accuracy,
        report.macro_f1,
        report.accuracy_without_rejection
    );
    if let (Some(p), Some(r)) = (report.out_of_scope_precision, report.out_of_scope_recall) {
        println!(
            "out-of-scope precision {p:.4}  recall {r:.4}  (threshold {:.2})",
            report.threshold
        );
    }
    println!(
        "latency p50 {:.2} ms  p99 {:.2} ms",
        report.latency_p50_ms, report.latency_p99_ms
    );
    println!("top confusions:");
    for c in &report.top_confusions {
        println!("  {:>3}  {} -> {}", c.count, c.expected, c.predicted);
    }
    Ok(())
}

fn classify(settings: &Settings, model: &std::path::Path, text: &str) -> Result<()> {
    let classifier = load_classifier(settings, model)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&classifier.classify(text)?)?
    );
    Ok(())
}

struct KbEvalOptions {
    data: PathBuf,
    kb: PathBuf,
    model: PathBuf,
    split: kb_eval::Split,
    rounds: usize,
    json: bool,
    show_misses: bool,
}

fn eval_kb(settings: &Settings, options: &KbEvalOptions) -> Result<()> {
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
