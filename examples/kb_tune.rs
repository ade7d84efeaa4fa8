//! Chooses the fusion weights (`kb::fusion::BOOSTS`) on the dev half of the labelled KB
//! questions (even lines), by grid search on hit@1 then MRR. The test half (odd lines) is not
//! read. Prints the best few settings; copy the winner into `BOOSTS` by hand.
//!
//! `cargo run --release --example kb_tune -- [--data benches/data/kb_questions.jsonl]`

use std::path::Path;

use switchboard::config::Settings;
use switchboard::kb::eval::{self, Case, Split};
use switchboard::kb::fusion::Boosts;
use switchboard::kb::{KnowledgeBase, VectorCache, load_dir};
use switchboard::nlu::{Classifier, IntentModel};
use switchboard::startup;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let data = args
        .iter()
        .position(|a| a == "--data")
        .and_then(|i| args.get(i + 1))
        .map_or("benches/data/kb_questions.jsonl", String::as_str);
    let settings = Settings::defaults();
    let encoder = startup::load_encoder(&settings)?;
    let model = IntentModel::load(&settings.paths.model_dir, encoder.dim())?;
    let classifier = Classifier::new(encoder.clone(), model);
    let cache_path = Path::new(".cache/bench/kb-vectors.bin");
    let mut cache = VectorCache::load(cache_path);
    let mut kb = KnowledgeBase::build_cached(load_dir(Path::new("kb"))?.articles, encoder, &mut cache)?;
    cache.save(cache_path)?;
    let mut cases = Vec::new();
    for question in Split::Dev.select(eval::load_questions(Path::new(data))?) {
        let (prediction, embedding) = classifier.classify_embedded(&question.question)?;
        cases.push(Case::new(question, prediction, embedding));
    }
    let mut results = Vec::new();
    for dense_en in [1.0, 1.5, 2.0] {
        for dense_zh in [0.0, 0.3, 0.6] {
            for intent in [0.0, 0.01, 0.02, 0.03, 0.05] {
                for lang in [0.0, 0.01] {
                    for (lead, article_rest) in [0.0, 0.002, 0.005].into_iter().flat_map(|l| [(l, 0.0), (l, 0.2), (l, 0.5)]) {
                        let boosts = Boosts { dense_en, dense_zh, intent, lang, lead, article_rest };
                        kb.set_boosts(boosts);
                        let reports = eval::evaluate(&kb, &cases)?;
                        let serving = &reports[reports.len() - 1].overall;
                        results.push((serving.hit_at_1, serving.mrr, boosts));
                    }
                }
            }
        }
    }
    results.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
    println!("{} dev questions; best settings (hit@1, MRR):", cases.len());
    for (hit, mrr, boosts) in results.iter().take(15) {
        println!("{hit:.3} {mrr:.3} {boosts:?}");
    }
    Ok(())
}
