//! The KB's passage-vector cache belongs to the encoder that filled it: a cache saved by one
//! encoder is never served to another of the same width (switching `nlu.encoder` or the MiniLM
//! graph re-embeds instead of matching messages against another model's vectors).
//! A bulk build's own encoder (more e5 sessions) makes the very vectors the serving one does.

use switchboard::config::Settings;
use switchboard::kb::VectorCache;
use switchboard::startup;

fn encoder_settings(kind: &str) -> Settings {
    let mut settings = Settings::defaults();
    settings.nlu.encoder = kind.to_string();
    settings
}

#[test]
fn a_vector_cache_saved_by_one_encoder_is_re_embedded_by_another_of_the_same_width() {
    let minilm = startup::load_encoder(&encoder_settings("minilm")).expect("MiniLM");
    let e5 = startup::load_encoder(&encoder_settings("e5")).expect("e5");
    assert_eq!(minilm.dim(), e5.dim(), "the case this guards: same width");
    assert_ne!(minilm.fingerprint(), e5.fingerprint());

    let texts = vec!["How do I turn on roaming before I travel?".to_string()];
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vectors.bin");
    let mut cache = VectorCache::default();
    cache.embed(&minilm, &texts).expect("MiniLM embedding");
    cache.save(&path).expect("save");

    let mut loaded = VectorCache::load(&path);
    assert_eq!(loaded.len(), 1, "the saved vector reads back");
    let served = loaded.embed(&e5, &texts).expect("e5 embedding");
    let e5_vector = e5.embed(&[texts[0].as_str()]).expect("e5 vector").remove(0);
    let cosine = served.cosine(0, &e5_vector);
    assert!(cosine > 0.99, "served e5's own vector, cosine {cosine}");

    let same_encoder = loaded.embed(&e5, &texts).expect("cached");
    assert!(same_encoder.cosine(0, &e5_vector) > 0.99);
}

#[test]
fn the_bulk_encoder_embeds_every_text_as_the_serving_encoder_does() {
    let encoder = startup::load_encoder(&Settings::defaults()).expect("routed encoder");
    let bulk = encoder.for_bulk().expect("bulk encoder");
    assert_eq!(bulk.fingerprint(), encoder.fingerprint());
    for text in [
        "How do I turn on roaming before I travel?",
        "出国前怎么开通漫游？",
    ] {
        let served = encoder.embed_alone(text).expect("served vector");
        // Twice: the bulk encoder takes its sessions in turn, and e5's second one is new.
        for _ in 0..2 {
            let vector = bulk.embed_alone(text).expect("bulk vector");
            assert_eq!(vector, served, "{text}");
        }
    }
}
