//! The compact Unigram tokenizer (`nlu::unigram`) gives multilingual-e5-small exactly the ids
//! `tokenizers` gives, on every sentence of the default intents (train and held-out, English and
//! Chinese) and the load-test messages. Needs `make setup` (the e5 tokenizer.json).

use std::path::Path;

use switchboard::nlu::dataset;
use switchboard::nlu::unigram::UnigramTokenizer;
use tokenizers::Tokenizer;

const TOKENIZER: &str = ".cache/encoder-e5/tokenizer.json";

fn sentences() -> Vec<String> {
    let mut all: Vec<String> = ["models/intents/train.yaml", "models/intents/test.yaml"]
        .iter()
        .flat_map(|path| dataset::load(Path::new(path)).expect("intent data"))
        .map(|example| example.text)
        .collect();
    for file in ["load_messages_en.txt", "load_messages_zh.txt"] {
        let text = std::fs::read_to_string(Path::new("benches/data").join(file)).expect("messages");
        all.extend(
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    all.extend(
        [
            "",
            "   ",
            "ÀÉÎ ｆｕｌｌｗｉｄｔｈ ①②",
            "emoji 🙂🙂 and ☃",
            "tabs\tand\nnewlines",
        ]
        .map(String::from),
    );
    all
}

#[test]
fn compact_unigram_gives_the_same_ids_as_tokenizers() {
    let compact = UnigramTokenizer::load(Path::new(TOKENIZER)).expect("run `make setup`");
    let full = Tokenizer::from_file(TOKENIZER).expect("tokenizer.json");
    let texts = sentences();
    assert!(texts.len() > 2500, "only {} sentences", texts.len());
    let mut different = Vec::new();
    for text in &texts {
        let expected = full
            .encode(text.as_str(), true)
            .expect("encode")
            .get_ids()
            .to_vec();
        let got = compact.encode(text, 512).expect("encode");
        if got != expected {
            different.push(format!("{text:?}: {got:?} != {expected:?}"));
        }
    }
    assert!(
        different.is_empty(),
        "{} differ, e.g. {}",
        different.len(),
        different[0]
    );
}

#[test]
fn long_texts_are_cut_to_the_limit_with_their_end_marker() {
    let compact = UnigramTokenizer::load(Path::new(TOKENIZER)).expect("run `make setup`");
    let ids = compact.encode(&"话费 ".repeat(200), 128).expect("encode");
    assert_eq!(ids.len(), 128);
    assert_eq!((ids[0], ids[127]), (0, 2));
}
