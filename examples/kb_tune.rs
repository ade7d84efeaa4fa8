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
    let mut kb =
        KnowledgeBase::build_cached(load_dir(Path::new("kb"))?.articles, encoder, &mut cache)?;
    cache.save(cache_path)?;
    let mut cases = Vec::new();
    for question in Split::Dev.select(eval::load_questions(Path::new(data))?) {
        let (prediction, embedding) = classifier.classify_embedded(&question.question)?;
        cases.push(Case::new(question, prediction, embedding));
    }
    let mut results = Vec::new();
    for k in [5.0, 15.0, 30.0, 60.0] {
        for dense_en in [1.0, 1.5] {
            for dense_zh in [0.0, 0.3] {
                for intent in [0.6, 1.2, 1.8, 2.5] {
                    for (lang, lead) in [(0.0, 0.0), (0.0, 0.12), (0.6, 0.0), (0.6, 0.12)] {
                        for titles in [0.5, 1.0, 2.0] {
                            let boosts = Boosts {
                                k,
                                dense_en,
                                dense_zh,
                                intent,
                                lang,
                                lead,
                                titles,
                            };
                            kb.set_boosts(boosts);
                            let reports = eval::evaluate(&kb, &cases)?;
                            let serving = &reports[reports.len() - 1].overall;
                            results.push((serving.hit_at_1, serving.mrr, boosts));
                        }
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
    println!("best per k:");
    for k in [5.0, 15.0, 30.0, 60.0] {
        if let Some((hit, mrr, boosts)) = results.iter().find(|r| r.2.k == k) {
            println!("{hit:.3} {mrr:.3} {boosts:?}");
        }
    }
    Ok(())
}
