//! The intent engine on a small data set from another domain (tests/fixtures/intents): training
//! is deterministic, held-out English and Chinese sentences classify, out-of-scope messages are
//! rejected, and a broken model directory is refused while the server keeps the old model.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use switchboard::nlu::head::TrainOptions;
use switchboard::nlu::{Classifier, IntentModel, dataset, train};

const FIXTURE_TRAIN: &str = "tests/fixtures/intents/train.yaml";
const FIXTURE_HELDOUT: &str = "tests/fixtures/intents/heldout.yaml";
const ADMIN_TOKEN: &str = "test-admin-token";

fn train_fixture() -> IntentModel {
    let examples = dataset::load(Path::new(FIXTURE_TRAIN)).expect("fixture");
    train::train(&common::encoder(), &examples, TrainOptions::default()).expect("training")
}

fn fixture_classifier() -> Classifier {
    Classifier::new(common::encoder(), train_fixture())
}

#[test]
fn training_twice_on_the_same_data_gives_the_same_model() {
    let (first, second) = (train_fixture(), train_fixture());
    assert_eq!(first.head, second.head);
    assert_eq!(first.meta.threshold, second.meta.threshold);
    assert_eq!(first.meta.temperature, second.meta.temperature);
}

#[test]
fn held_out_english_and_chinese_sentences_get_their_intent() {
    let classifier = fixture_classifier();
    let heldout = dataset::load(Path::new(FIXTURE_HELDOUT)).expect("fixture");
    let in_scope: Vec<_> = heldout
        .iter()
        .filter(|e| e.intent != "out_of_scope")
        .collect();
    let wrong: Vec<String> = in_scope
        .iter()
        .filter_map(|e| {
            let p = classifier.classify(&e.text).expect("classify");
            let ok = !p.out_of_scope && p.intent.name == e.intent;
            (!ok).then(|| {
                format!(
                    "{:?} -> {} ({:.2})",
                    e.text, p.intent.name, p.intent.confidence
                )
            })
        })
        .collect();
    // 15 sentences, 5 of them Chinese: allow one miss, no more.
    assert!(wrong.len() <= 1, "misclassified: {wrong:#?}");
    let chinese_wrong = wrong
        .iter()
        .filter(|w| w.chars().any(|c| c > '\u{2e80}'))
        .count();
    assert_eq!(chinese_wrong, 0, "Chinese misclassified: {wrong:#?}");
}

#[test]
fn out_of_scope_messages_are_rejected() {
    let classifier = fixture_classifier();
    let heldout = dataset::load(Path::new(FIXTURE_HELDOUT)).expect("fixture");
    for example in heldout.iter().filter(|e| e.intent == "out_of_scope") {
        let p = classifier.classify(&example.text).expect("classify");
        assert!(
            p.out_of_scope,
            "{:?} was taken as {:?}",
            example.text, p.intent
        );
    }
}

#[test]
fn mixed_chinese_and_english_messages_classify() {
    let classifier = fixture_classifier();
    let p = classifier.classify("我想order一个pizza").expect("classify");
    assert_eq!(p.intent.name, "order_pizza", "{p:?}");
}

/// The vector a follow-up is read with ([`Encoder::blend`] of the two messages' vectors) stands
/// for the two read together: closer to the pair's own vector than either message alone is, in
/// both lanes; vectors from different lanes are not blended.
#[test]
fn two_messages_blended_stand_for_the_pair_and_two_languages_do_not_blend() {
    let encoder = common::encoder();
    let cosine = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    for (previous, current) in [
        (
            "what's the difference between Everyday and Unlimited?",
            "ok and if I upgrade now do I pay for the full month?",
        ),
        ("怎么设置语音信箱", "默认密码是多少"),
    ] {
        let pair = format!("{previous}\n{current}");
        let vectors = encoder.embed(&[previous, current, &pair]).expect("embed");
        let blended = encoder.blend(&vectors[0], &vectors[1]).expect("one lane");
        let to_pair = cosine(&blended, &vectors[2]);
        assert!(to_pair > 0.9, "{pair}: {to_pair}");
        assert!(to_pair > cosine(&vectors[0], &vectors[2]), "{pair}");
        assert!(to_pair > cosine(&vectors[1], &vectors[2]), "{pair}");
    }
    let mixed = encoder
        .embed(&["is roaming on?", "漫游开了吗"])
        .expect("embed");
    assert_eq!(encoder.blend(&mixed[0], &mixed[1]), None);
}

async fn reload(app: &common::TestApp, token: Option<&str>, dir: &Path) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/v1/admin/model/reload", app.address))
        .json(&serde_json::json!({ "dir": dir }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn a_new_model_is_loaded_without_restart_and_a_broken_one_is_refused() {
    let classifier = Arc::new(Classifier::new(
        common::encoder(),
        IntentModel::load(&common::trained_model_dir(), common::encoder().dim())
            .expect("default model"),
    ));
    let app = common::spawn_app_using(classifier, |s| s.admin.token = ADMIN_TOKEN.into()).await;
    let fixture_dir = tempfile::tempdir().expect("temp dir");
    train_fixture().save(fixture_dir.path()).expect("save");

    let refused = reload(&app, None, fixture_dir.path()).await;
    assert_eq!(refused.status(), 401);
    let wrong_token = reload(&app, Some("guess"), fixture_dir.path()).await;
    assert_eq!(wrong_token.status(), 401);

    let broken = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        fixture_dir.path().join("model.json"),
        broken.path().join("model.json"),
    )
    .unwrap();
    std::fs::write(broken.path().join("weights.bin"), b"not weights").unwrap();
    let response = reload(&app, Some(ADMIN_TOKEN), broken.path()).await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_rejected");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("weights.bin"),
        "{body}"
    );

    let id = app.new_conversation().await;
    let still_old = app
        .say(&id, "how do I turn on roaming before my trip?")
        .await;
    assert_eq!(
        still_old["intent"]["name"], "roaming_activate",
        "{still_old}"
    );

    let response = reload(&app, Some(ADMIN_TOKEN), fixture_dir.path()).await;
    assert_eq!(response.status(), 200);
    let summary: serde_json::Value = response.json().await.unwrap();
    assert_eq!(summary["intents"], 6, "{summary}");
    let id = app.new_conversation().await;
    let now_new = app.say(&id, "when will my pizza arrive?").await;
    assert_eq!(now_new["intent"]["name"], "delivery_time", "{now_new}");
}
