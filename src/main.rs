//! The `switchboard` command line: parses arguments and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use switchboard::agents::{AgentStore, NewAgent, Role};
use switchboard::config::Settings;
use switchboard::nlu::head::TrainOptions;
use switchboard::nlu::transformer::Calibration;
use switchboard::nlu::{Classifier, TransformerModel, dataset, eval, train};
use switchboard::tenants::{NewTenant, TenantRegistry, WidgetSettings};
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
    /// Fit the rejection threshold and temperature of a Hugging Face export on labelled examples
    /// it was not trained on; writes switchboard.json into the model directory.
    Calibrate {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
    },
    /// Manage agent accounts (stop the server first: it holds the database lock; while it runs,
    /// use `POST /v1/admin/agents`).
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Manage tenants and their API keys (the server must be stopped: use the admin API while it runs).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Classify one message and print the prediction as JSON.
    Classify {
        text: String,
        #[arg(long)]
        model: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Add an agent; the password is read from stdin (one line).
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// `agent` or `admin`.
        #[arg(long, default_value = "agent")]
        role: String,
        /// Read the password from stdin (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant and print its first API key (shown once).
    Add {
        /// Slug: 1-32 of a-z, 0-9, _ or -.
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// Widget and knowledge-base language: en or zh.
        #[arg(long, default_value = "en")]
        language: String,
        /// An origin allowed to embed the widget (repeat for more; default any).
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
    /// List tenants with their active keys.
    List,
    /// Issue a new key and revoke the tenant's other keys (after the grace period).
    RotateKey {
        #[arg(long)]
        tenant: String,
        /// Seconds the old keys keep working.
        #[arg(long, default_value_t = 0)]
        grace_seconds: u64,
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
        Command::Index { kb } => index(&kb.unwrap_or(settings.paths.kb_dir)),
        Command::Train { data, out } => train_model(&settings, &data, &out),
        Command::Eval { model, data, json } => eval_model(&settings, &model, &data, json),
        Command::Calibrate { model, data } => calibrate(&settings, &model, &data),
        Command::Agent { command } => agent(&settings, command),
        Command::Tenant { command } => tenant(&settings, command),
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

fn agent(settings: &Settings, command: AgentCommand) -> Result<()> {
    let AgentCommand::Add {
        tenant,
        username,
        display_name,
        role,
        password_stdin: _,
    } = command;
    let role = match role.as_str() {
        "agent" => Role::Agent,
        "admin" => Role::Admin,
        other => anyhow::bail!("--role must be `agent` or `admin`, not `{other}`"),
    };
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let store = startup::open_store(settings).context(
        "cannot open the database: if the server is running, stop it or use POST /v1/admin/agents",
    )?;
    let new = NewAgent {
        tenant,
        username,
        display_name,
        role,
        password,
    };
    let profile = AgentStore::new(store.clone()).add(new)?;
    tokio::runtime::Builder::new_current_thread()
        .build()?
        .block_on(store.flush())?;
    println!(
        "added {} ({}) to tenant {} as {:?}",
        profile.username, profile.display_name, profile.tenant, profile.role
    );
    Ok(())
}

fn index(dir: &std::path::Path) -> Result<()> {
    let started = Instant::now();
    let loaded = kb::load_dir(dir)?;
    let kb = kb::KnowledgeBase::build(&loaded.articles)?;
    for rejected in &loaded.rejected {
        eprintln!("skipped: {rejected}");
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "indexed {} articles ({} passages) in {ms:.0} ms; {} skipped",
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
    Ok(Classifier::load(encoder, model)?)
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
    for language in &report.by_language {
        println!(
            "  {}: {} examples  accuracy {:.4}  in-scope accuracy {:.4}  without rejection {:.4}",
            language.lang,
            language.examples,
            language.accuracy,
            language.in_scope_accuracy,
            language.accuracy_without_rejection
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

fn calibrate(settings: &Settings, dir: &std::path::Path, data: &std::path::Path) -> Result<()> {
    let encoder = startup::load_encoder(settings)?;
    let model = TransformerModel::load(dir, encoder.library(), encoder.session_count())?;
    let examples = dataset::load(data)?;
    let fitted = model.calibrate(&examples)?;
    let calibration = Calibration {
        threshold: fitted.threshold,
        temperature: fitted.temperature,
    };
    TransformerModel::save_calibration(dir, calibration)?;
    let v = &fitted.validation;
    println!(
        "calibrated on {} examples: temperature {:.2}, threshold {:.2}; in-scope accuracy {:.3}, out-of-scope recall {}",
        examples.len(),
        fitted.temperature,
        fitted.threshold,
        v.in_scope_accuracy,
        v.out_of_scope_recall
            .map_or("n/a".into(), |r| format!("{r:.3}")),
    );
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

fn tenant(settings: &Settings, command: TenantCommand) -> Result<()> {
    let (store, registry) = startup::open_tenants(settings)?;
    match command {
        TenantCommand::Add {
            id,
            name,
            language,
            origins,
        } => {
            let mut widget = WidgetSettings {
                language,
                ..WidgetSettings::default()
            };
            if !origins.is_empty() {
                widget.allowed_origins = origins;
            }
            let new = NewTenant {
                id,
                name,
                widget: Some(widget),
                escalation: None,
                intent_model_dir: None,
            };
            let tenant = registry.create(new)?;
            let key = registry.create_key(&tenant.id, Some("first".into()))?;
            store.db().flush()?;
            println!("created tenant {} ({})", tenant.id, tenant.name);
            println!(
                "API key {} (shown once, store it now):\n{}",
                key.key_id, key.key
            );
        }
        TenantCommand::List => print_tenants(&registry)?,
        TenantCommand::RotateKey {
            tenant,
            grace_seconds,
        } => {
            let rotation = registry.rotate_key(&tenant, grace_seconds)?;
            store.db().flush()?;
            for old in &rotation.retired {
                println!("retired key {} (grace {grace_seconds} s)", old.key_id);
            }
            let key = rotation.issued;
            println!(
                "new API key {} (shown once, store it now):\n{}",
                key.key_id, key.key
            );
        }
    }
    Ok(())
}

fn print_tenants(registry: &TenantRegistry) -> Result<()> {
    println!(
        "{:<32}  {:<8}  {:<24}  name",
        "id", "language", "active keys"
    );
    for tenant in registry.list()? {
        let active: Vec<String> = registry
            .keys_of(&tenant.id)?
            .into_iter()
            .filter(|k| k.active)
            .map(|k| k.key_id)
            .collect();
        println!(
            "{:<32}  {:<8}  {:<24}  {}",
            tenant.id,
            tenant.widget.language,
            active.join(","),
            tenant.name
        );
    }
    Ok(())
}
