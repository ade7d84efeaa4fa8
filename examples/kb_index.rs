//! Indexing time for a large generated knowledge base (default 10,000 articles): BM25 alone, the
//! passage embeddings alone, and the whole build; then search latency on the result.
//!
//! `cargo run --release --example kb_index -- --articles 10000 [--no-embed]`
//!
//! Articles are generated deterministically by recombining sentences of the sample articles in
//! `kb/en` under new titles, so their length and vocabulary match real ones.

use std::sync::Arc;
use std::time::Instant;

use switchboard::config::Settings;
use switchboard::kb::bm25::{Bm25Index, IndexedText};
use switchboard::kb::coverage::Coverage;
use switchboard::kb::{
    Article, KnowledgeBase, Mode, Passage, SearchRequest, VectorCache, embedding_text, load_dir,
};
use switchboard::startup;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let count = args
        .iter()
        .position(|a| a == "--articles")
        .and_then(|i| args.get(i + 1))
        .map_or(Ok(10_000), |n| n.parse())?;
    let embed = !args.iter().any(|a| a == "--no-embed");
    let sample = load_dir(std::path::Path::new("kb/en"))?.articles;
    let articles = generate(&sample, count);
    let passages: usize = articles.iter().map(|a| a.passages.len()).sum();
    println!("{count} articles, {passages} passages");

    let started = Instant::now();
    let indexed: Vec<IndexedText> = articles
        .iter()
        .flat_map(|a| {
            a.passages.iter().map(move |p| IndexedText {
                title: &a.title,
                heading: &p.heading,
                body: &p.text,
                tags: &a.tags,
                tenant: None,
            })
        })
        .collect();
    Bm25Index::build(&indexed)?;
    println!(
        "BM25 index (tantivy, jieba/English analysis): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let coverage = Coverage::build(&articles);
    println!(
        "answerability word coverage (kb::coverage): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(coverage);
    if !embed {
        return Ok(());
    }
    let encoder = startup::load_encoder(&Settings::defaults())?;
    let texts: Vec<String> = articles
        .iter()
        .flat_map(|a| a.passages.iter().map(move |p| embedding_text(a, p)))
        .collect();
    let mut cache = VectorCache::default();
    let started = Instant::now();
    cache.embed(&encoder, &texts)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "embeddings: {seconds:.1} s ({:.0} passages/s)",
        texts.len() as f64 / seconds
    );
    let started = Instant::now();
    let kb = KnowledgeBase::build_cached(articles, Arc::clone(&encoder), &mut cache)?;
    println!(
        "full build with every vector cached: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    search_latency(&kb, &encoder)
}

fn search_latency(kb: &KnowledgeBase, encoder: &switchboard::nlu::Encoder) -> anyhow::Result<()> {
    let questions = [
        "how do I turn on roaming",
        "my bill is too high",
        "reset my password",
        "phone has no signal",
        "cancel my broadband",
    ];
    let mut samples = Vec::new();
    for _ in 0..20 {
        for question in questions {
            let embedding = encoder.embed(&[question])?.pop().unwrap_or_default();
            let mut request = SearchRequest::new(question, "en", 3);
            request.embedding = Some(&embedding);
            request.mode = Mode::Hybrid;
            let started = Instant::now();
            kb.search(&request)?;
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    samples.sort_by(f64::total_cmp);
    println!(
        "hybrid search on {} passages, embedding given: p50 {:.2} ms, p99 {:.2} ms",
        kb.passage_count(),
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100]
    );
    Ok(())
}

/// `count` articles whose passages mix sentences from the sample, chosen by a fixed LCG.
fn generate(sample: &[Article], count: usize) -> Vec<Article> {
    let sentences: Vec<&str> = sample
        .iter()
        .flat_map(|a| a.passages.iter())
        .flat_map(|p| p.text.split(". "))
        .filter(|s| s.len() > 20)
        .collect();
    let mut state: u64 = 42;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n.max(1)
    };
    (0..count)
        .map(|i| {
            let base = &sample[next(sample.len())];
            let passages = (0..3)
                .map(|p| Passage {
                    anchor: if p == 0 {
                        String::new()
                    } else {
                        format!("section-{p}")
                    },
                    heading: format!("{} part {p}", base.title),
                    text: (0..5)
                        .map(|_| sentences[next(sentences.len())])
                        .collect::<Vec<_>>()
                        .join(". "),
                })
                .collect();
            Article {
                id: format!("generated-{i}"),
                title: format!("{} ({i})", base.title),
                lang: "en".into(),
                tags: base.tags.clone(),
                intents: base.intents.clone(),
                questions: Vec::new(),
                updated: None,
                tenant: None,
                passages,
            }
        })
        .collect()
}
