//! The `switchboard` command line: parses arguments and calls the library. The commands other
//! than `serve` live in `cli/` (binary-only modules): `intents` (train, eval, calibrate,
//! classify), `knowledge` (index, kb-eval), `people` (agents and tenants).

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use cli::{escalation, intents, knowledge, people};
use switchboard::config::Settings;
use switchboard::startup;

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
    /// Retrieval quality (hit@1, hit@3, MRR), no-article questions left unanswered, the first
    /// turn through the real decision path, and search latency on labelled questions.
    KbEval(knowledge::KbEvalArgs),
    /// Train an intent model from labelled examples (CSV, JSONL or YAML; a file or a directory).
    Train {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Train the escalation scorer (anger, sensitive situations) from labelled examples (a YAML
    /// file or directory: label -> messages), with the intent examples as calm ones.
    TrainEscalation {
        #[arg(long, default_value = "models/escalation")]
        data: PathBuf,
        #[arg(long, default_value = "models/intents/train.yaml")]
        intents: PathBuf,
        /// Output directory (default: paths.escalation_model_dir).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The bot's judgment on labelled first messages and conversations: hand-over precision,
    /// recall and F1 by reason and language, declines, bot identity, hand-over turn.
    EscalationEval {
        #[arg(long, default_value = "benches/data/escalation_eval.jsonl")]
        data: PathBuf,
        #[arg(long, default_value = "benches/data/escalation_dialogues.jsonl")]
        dialogues: PathBuf,
        /// Intent model (default: paths.model_dir).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Escalation scorer (default: paths.escalation_model_dir).
        #[arg(long)]
        escalation_model: Option<PathBuf>,
        /// Knowledge-base directory (default: paths.kb_dir).
        #[arg(long)]
        kb: Option<PathBuf>,
        /// dev, test, or all (each reported separately). Tune on dev only.
        #[arg(long, default_value = "all")]
        split: String,
        #[arg(long)]
        json: bool,
        /// Also list the rows and conversations the bot got wrong.
        #[arg(long)]
        show_misses: bool,
        /// Also print every first message's sensitive and anger scores (to see how far a
        /// threshold is from the rows of a reason).
        #[arg(long)]
        show_scores: bool,
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
pub enum AgentCommand {
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
pub enum TenantCommand {
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
        Command::Index { kb } => {
            knowledge::index(&settings, &kb.unwrap_or(settings.paths.kb_dir.clone()))
        }
        Command::KbEval(args) => knowledge::eval_kb(&settings, args),

        Command::Train { data, out } => intents::train_model(&settings, &data, &out),
        Command::TrainEscalation { data, intents, out } => escalation::train_scorer(
            &settings,
            &data,
            &intents,
            &out.unwrap_or(settings.paths.escalation_model_dir.clone()),
        ),
        Command::EscalationEval {
            data,
            dialogues,
            model,
            escalation_model,
            kb,
            split,
            json,
            show_misses,
            show_scores,
        } => escalation::eval_judgment(
            &settings,
            &escalation::EvalOptions {
                data,
                dialogues,
                model: model.unwrap_or(settings.paths.model_dir.clone()),
                escalation_model: escalation_model
                    .unwrap_or(settings.paths.escalation_model_dir.clone()),
                kb: kb.unwrap_or(settings.paths.kb_dir.clone()),
                split,
                json,
                show_misses,
                show_scores,
            },
        ),
        Command::Eval { model, data, json } => intents::eval_model(&settings, &model, &data, json),
        Command::Calibrate { model, data } => intents::calibrate(&settings, &model, &data),
        Command::Agent { command } => people::agent(&settings, command),
        Command::Tenant { command } => people::tenant(&settings, command),
        Command::Classify { text, model } => intents::classify(
            &settings,
            &model.unwrap_or(settings.paths.model_dir.clone()),
            &text,
        ),
    }
}

fn serve(settings: Settings) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let service = startup::open(&settings).await?;
        let app = startup::bind(service, &settings)?;
        // Scripts and tests read this line to learn the port.
        println!("listening on http://{}:{}", settings.server.host, app.port);
        app.run_until_stopped()
            .await
            .context("server stopped with an error")?;
        tracing::info!("stopped");
        Ok(())
    })
}
