//! Intent commands: train a model, evaluate it, calibrate a Hugging Face export, classify one
//! message.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use switchboard::config::Settings;
use switchboard::nlu::head::TrainOptions;
use switchboard::nlu::transformer::Calibration;
use switchboard::nlu::{Classifier, TransformerModel, dataset, eval, train};
use switchboard::startup;

pub fn train_model(settings: &Settings, data: &Path, out: &Path) -> Result<()> {
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
    for (lang, c) in &model.meta.languages {
        let v = &c.validation;
        println!(
            "  {lang}: {} held-out examples, in-scope {:.3}, out-of-scope recall {}, temperature {:.2}, threshold {:.2}",
            v.examples,
            v.in_scope_accuracy,
            v.out_of_scope_recall
                .map_or("n/a".into(), |r| format!("{r:.3}")),
            c.temperature,
            c.threshold
        );
    }
    Ok(())
}

pub fn load_classifier(settings: &Settings, model: &Path) -> Result<Classifier> {
    let encoder = startup::load_encoder(settings)?;
    Ok(Classifier::load(encoder, model)?)
}

pub fn eval_model(settings: &Settings, model: &Path, data: &Path, json: bool) -> Result<()> {
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
            "  {}: {} examples  accuracy {:.4}  in-scope accuracy {:.4}  without rejection {:.4}  out-of-scope recall {}",
            language.lang,
            language.examples,
            language.accuracy,
            language.in_scope_accuracy,
            language.accuracy_without_rejection,
            language
                .out_of_scope_recall
                .map_or("n/a".into(), |r| format!("{r:.4}"))
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

pub fn calibrate(settings: &Settings, dir: &Path, data: &Path) -> Result<()> {
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

pub fn classify(settings: &Settings, model: &Path, text: &str) -> Result<()> {
    let classifier = load_classifier(settings, model)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&classifier.classify(text)?)?
    );
    Ok(())
}
