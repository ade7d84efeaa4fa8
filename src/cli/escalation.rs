//! Escalation commands: train the escalation scorer, and measure the bot's judgment (hand over,
//! decline, answer) on labelled first messages and conversations.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, bail};

use super::intents::load_classifier;
use switchboard::config::Settings;
use switchboard::escalation::eval::{self, Bot, Dialogue, Row, report};
use switchboard::escalation::judge::Judge;
use switchboard::escalation::scorer::{EscalationModel, LANGS};
use switchboard::escalation::train;
use switchboard::kb::{self, KnowledgeBase};
use switchboard::startup;

pub fn train_scorer(settings: &Settings, data: &Path, intents: &Path, out: &Path) -> Result<()> {
    let started = Instant::now();
    let (examples, labelled) = train::load_examples(data, intents)?;
    let encoder = startup::load_encoder(settings)?;
    let model = train::train(&encoder, &examples)?;
    model.save(out)?;
    let held = &model.meta.held_out;
    println!(
        "trained the escalation scorer on {labelled} labelled + {} intent examples in {:.1} s -> {}",
        examples.len() - labelled,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    let judge = Judge::new(Some(model_copy(out, encoder.dim())?), &settings.escalation);
    for (lang, name) in LANGS.iter().enumerate() {
        let [sensitive, anger] = judge.thresholds().map(|t| t[lang]);
        println!(
            "  {name}: thresholds sensitive {sensitive:.2} ({} held-out positives), anger {anger:.2} ({}); calm flagged at 0.5: {:.3}",
            held.sensitive[lang].len(),
            held.anger[lang].len(),
            held.false_positive_rate_at_half[lang]
        );
    }
    Ok(())
}

/// The model just saved, read back (the check that it loads).
fn model_copy(dir: &Path, dim: usize) -> Result<EscalationModel> {
    Ok(EscalationModel::load(dir, dim)?)
}

pub struct EvalOptions {
    pub data: PathBuf,
    pub dialogues: PathBuf,
    pub model: PathBuf,
    pub escalation_model: PathBuf,
    pub kb: PathBuf,
    /// `dev`, `test`, or `all`; each split is reported on its own.
    pub split: String,
    pub json: bool,
    pub show_misses: bool,
    pub show_scores: bool,
}

pub fn eval_judgment(settings: &Settings, options: &EvalOptions) -> Result<()> {
    let splits: Vec<&str> = match options.split.as_str() {
        "all" => vec!["dev", "test"],
        "dev" => vec!["dev"],
        "test" => vec!["test"],
        other => bail!("--split must be dev, test or all, not {other:?}"),
    };
    let classifier = load_classifier(settings, &options.model)?;
    let encoder = classifier.encoder();
    let model = EscalationModel::load(&options.escalation_model, encoder.dim())?;
    let judge = Judge::new(Some(model), &settings.escalation)
        .rereading_with(std::sync::Arc::clone(encoder));
    let loaded = kb::load_dir(&options.kb)?;
    let kb = KnowledgeBase::build(loaded.articles, std::sync::Arc::clone(encoder))?;
    let bot = Bot {
        classifier: &classifier,
        judge: &judge,
        kb: &kb,
        settings: &settings.dialogue,
    };
    let rows: Vec<Row> = eval::load(&options.data)?;
    let dialogues: Vec<Dialogue> = eval::load(&options.dialogues)?;
    let mut json = serde_json::Map::new();
    for split in splits {
        let rows: Vec<Row> = rows.iter().filter(|r| r.split == split).cloned().collect();
        let talks: Vec<Dialogue> = dialogues
            .iter()
            .filter(|d| d.split == split)
            .cloned()
            .collect();
        let turns = rows
            .iter()
            .map(|r| bot.turn(&r.text, None, 0, false))
            .collect::<Result<Vec<_>, _>>()?;
        let conversations = talks
            .iter()
            .map(|d| bot.converse(&d.turns))
            .collect::<Result<Vec<_>, _>>()?;
        let first = report::first_messages(&rows, &turns);
        let talk = report::conversations(&talks, &conversations);
        if options.show_scores {
            print_scores(&rows, &turns);
        }
        if options.show_misses {
            print_misses(&rows, &turns, &talks, &conversations);
        }
        if options.json {
            json.insert(
                split.to_string(),
                serde_json::json!({ "first_messages": first, "conversations": talk }),
            );
        } else {
            print!("{}", report::render(split, &first, &talk));
        }
    }
    if options.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    Ok(())
}

/// "SCORE en sensitive 0.913 0.021 Escalated sim_lost <text> | <evidence>": language, expected
/// reason, sensitive and anger scores, what the bot did, the intent it answered as, and what a
/// hand-over (or held-back anger) rested on.
fn print_scores(rows: &[Row], turns: &[eval::Turn]) {
    for (row, turn) in rows.iter().zip(turns) {
        println!(
            "SCORE {} {} {:.3} {:.3} {:?} {} {} | {}",
            row.lang,
            row.reason,
            turn.scores[0],
            turn.scores[1],
            turn.action,
            turn.intent,
            row.text,
            turn.evidence.as_deref().unwrap_or("")
        );
    }
}

fn print_misses(rows: &[Row], turns: &[eval::Turn], talks: &[Dialogue], done: &[Vec<eval::Turn>]) {
    for (row, turn) in rows.iter().zip(turns) {
        if !eval::report::is_correct(row, turn) {
            println!(
                "MISS {:?}->{:?} s{:.2} a{:.2} [{} {}/{}] intent {} {:?} {}: {}",
                row.expected,
                turn.outcome(),
                turn.scores[0],
                turn.scores[1],
                row.lang,
                row.reason,
                row.category,
                turn.intent,
                turn.reason,
                turn.evidence.as_deref().unwrap_or(""),
                row.text
            );
        }
    }
    for (talk, turns) in talks.iter().zip(done) {
        let got = turns
            .iter()
            .position(|t| t.action == switchboard::tickets::BotAction::Escalated);
        if got != talk.handover_at {
            let actions: Vec<String> = turns
                .iter()
                .map(|t| {
                    let [sensitive, anger] = t.scores;
                    format!(
                        "{:?}/{}/{:?} s{sensitive:.2} a{anger:.2}",
                        t.action, t.intent, t.reason
                    )
                })
                .collect();
            println!(
                "TURN want {:?} got {got:?} [{} {}] {:?} | {}",
                talk.handover_at,
                talk.lang,
                talk.category,
                actions,
                talk.turns.join(" / ")
            );
        }
    }
}
