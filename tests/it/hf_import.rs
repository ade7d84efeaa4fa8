//! Bringing a fine-tuned Hugging Face text-classification export (model.onnx + tokenizer.json +
//! config.json with id2label): it loads, computes what the model says, serves after a reload,
//! and a mismatched export is refused with a clear error.
//!
//! The export is made here with `models/export_hf.py` (encoder graph + pooling + a head's dense
//! weights, written as `optimum` lays out a classifier), so the test needs no download.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use switchboard::config::Settings;
use switchboard::startup;

use switchboard::nlu::head::{Features, TrainOptions};
use switchboard::nlu::transformer::Calibration;
use switchboard::nlu::{
    Classifier, Encoder, IntentBackend, IntentModel, TransformerModel, dataset, train,
};

const FIXTURE_TRAIN: &str = "tests/fixtures/intents/train.yaml";
const FIXTURE_HELDOUT: &str = "tests/fixtures/intents/heldout.yaml";
const ADMIN_TOKEN: &str = "test-admin-token";

/// The export is MiniLM's fp32 graph plus the head's dense weights, so the head is trained on
/// that encoder alone (the served default routes Chinese to e5 and runs MiniLM in int8).
fn minilm_fp32() -> Arc<Encoder> {
    static ENCODER: OnceLock<Arc<Encoder>> = OnceLock::new();
    let encoder = ENCODER.get_or_init(|| {
        let mut settings = Settings::defaults();
        settings.nlu.encoder = "minilm".into();
        settings.nlu.encoder_file = "model.onnx".into();
        startup::load_encoder(&settings).expect("encoder (run `make setup`)")
    });
    Arc::clone(encoder)
}

fn trained_head() -> IntentModel {
    let examples = dataset::load(Path::new(FIXTURE_TRAIN)).expect("fixture");
    train::train(&minilm_fp32(), &examples, TrainOptions::default()).expect("training")
}

/// Trains the fixture head, saves it and exports it; returns (head, export dir, temp guard).
fn export() -> (IntentModel, PathBuf, tempfile::TempDir) {
    let head = trained_head();
    let temp = tempfile::tempdir().expect("temp dir");
    let head_dir = temp.path().join("head");
    head.save(&head_dir).expect("save head");
    let out = temp.path().join("hf");
    let status = Command::new(".cache/venv/bin/python")
        .args(["models/export_hf.py", ".cache/encoder"])
        .arg(&head_dir)
        .arg(&out)
        .status()
        .expect("run models/export_hf.py (run `make setup` first)");
    assert!(status.success(), "export_hf.py failed");
    (head, out, temp)
}

#[test]
fn a_hugging_face_export_loads_and_gives_the_logits_of_its_graph() {
    let (head, dir, _temp) = export();
    let encoder = minilm_fp32();
    let classifier = Classifier::load(Arc::clone(&encoder), &dir).expect("load export");
    let backend = classifier.model();
    let IntentBackend::Transformer(model) = backend.as_ref() else {
        panic!("expected the Hugging Face backend");
    };
    assert_eq!(model.labels, head.meta.labels);
    let heldout = dataset::load(Path::new(FIXTURE_HELDOUT)).expect("fixture");
    for example in &heldout {
        let dense = encoder.embed(&[&example.text]).expect("embed").remove(0);
        let expected = head.head.logits(&Features {
            dense,
            sparse: Vec::new(),
        });
        let got = model.logits(&[&example.text]).expect("logits").remove(0);
        for (e, g) in expected.iter().zip(&got) {
            assert!(
                (e - g).abs() < 1e-3,
                "{:?}: {expected:?} vs {got:?}",
                example.text
            );
        }
    }
}

#[test]
fn a_hugging_face_export_classifies_held_out_english_sentences() {
    let (_head, dir, _temp) = export();
    let classifier = Classifier::load(minilm_fp32(), &dir).expect("load export");
    let heldout = dataset::load(Path::new(FIXTURE_HELDOUT)).expect("fixture");
    let english: Vec<_> = heldout
        .iter()
        .filter(|e| e.intent != "out_of_scope" && e.text.is_ascii())
        .collect();
    let right = english
        .iter()
        .filter(|e| classifier.classify(&e.text).expect("classify").intent.name == e.intent)
        .count();
    assert!(
        right + 1 >= english.len(),
        "{right} of {} right",
        english.len()
    );
}

#[test]
fn an_export_whose_labels_do_not_match_its_output_is_refused() {
    let (_head, dir, _temp) = export();
    let config = r#"{"id2label": {"0": "only", "1": "two"}}"#;
    std::fs::write(dir.join("config.json"), config).expect("write config");
    let error = Classifier::load(minilm_fp32(), &dir)
        .err()
        .expect("a mismatched export must not load");
    assert!(
        error.to_string().contains("2 labels"),
        "unclear error: {error}"
    );
}

#[tokio::test]
async fn the_server_switches_to_a_hugging_face_export_on_reload() {
    let (_head, dir, _temp) = export();
    let classifier = Arc::new(Classifier::new(minilm_fp32(), trained_head()));
    let app = common::spawn_app_using(classifier, |s| s.admin.token = ADMIN_TOKEN.into()).await;
    let response = app
        .client
        .post(format!("{}/v1/admin/model/reload", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({ "dir": dir }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let summary: serde_json::Value = response.json().await.expect("json");
    assert_eq!(summary["kind"], "huggingface_classifier");
    let id = app.new_conversation().await;
    let reply = app
        .say(&id, "I want to order a large pepperoni pizza")
        .await;
    assert_eq!(reply["intent"]["name"], "order_pizza", "{reply}");
}

#[test]
fn calibrating_an_export_stores_a_threshold_that_rejects_out_of_scope_messages() {
    let (_head, dir, _temp) = export();
    let encoder = minilm_fp32();
    let model = TransformerModel::load(&dir, encoder.library(), 1).expect("load export");
    assert_eq!(
        model.calibration.threshold, 0.0,
        "uncalibrated exports reject nothing"
    );
    // Calibrated on the held-out sentences (the export never saw them), checked on the same:
    // this tests the mechanism (fit, store, load, apply), not generalisation.
    let heldout = dataset::load(Path::new(FIXTURE_HELDOUT)).expect("fixture");
    let fitted = model.calibrate(&heldout).expect("calibrate");
    let calibration = Calibration {
        threshold: fitted.threshold,
        temperature: fitted.temperature,
    };
    TransformerModel::save_calibration(&dir, calibration).expect("save");
    let classifier = Classifier::load(encoder, &dir).expect("reload export");
    assert_eq!(classifier.model().summary().threshold, fitted.threshold);
    assert!(fitted.threshold > 0.0);
    let unknown = heldout.iter().filter(|e| e.intent == "out_of_scope");
    for example in unknown {
        let p = classifier.classify(&example.text).expect("classify");
        assert!(p.out_of_scope, "{:?} taken as {:?}", example.text, p.intent);
    }
}
