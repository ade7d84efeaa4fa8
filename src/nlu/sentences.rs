//! A long message the model rejects as a whole may still ask one in-domain question inside its
//! story: "上周末在商场办了你们的卡……才办了六天，现在退掉要不要钱？" reads as out of scope as a
//! whole, because most of its words are the story. When the whole is rejected, each sentence of
//! substance is classified on its own (one batched encoder call) and the most confident in-scope
//! one stands for the message. Short sentences ("谢谢", "hi there") never do: a greeting or a
//! thank-you is not what a story asks.

use super::features::{self, is_cjk};
use super::head::Features;
use super::model::{self, IntentModel, Prediction};
use super::{Encoder, NluError};

/// A sentence of substance has at least this many Chinese characters...
const MIN_CJK_CHARS: usize = 5;
/// ...or this many words.
const MIN_WORDS: usize = 4;
/// Sentences classified at most (the last ones: the question usually ends the story).
const MAX_SENTENCES: usize = 6;

/// The message's sentences of substance (at most [`MAX_SENTENCES`], the last ones); fewer than
/// two means there is nothing to read apart.
pub fn of_substance(text: &str) -> Vec<&str> {
    let ends = |c: char| matches!(c, '。' | '？' | '！' | '；' | '?' | '!' | ';' | '\n' | '.');
    let sentences: Vec<&str> = text
        .split(ends)
        .map(str::trim)
        .filter(|s| has_substance(s))
        .collect();
    let skip = sentences.len().saturating_sub(MAX_SENTENCES);
    sentences.into_iter().skip(skip).collect()
}

fn has_substance(sentence: &str) -> bool {
    let cjk = sentence.chars().filter(|c| is_cjk(*c)).count();
    cjk >= MIN_CJK_CHARS || sentence.split_whitespace().count() >= MIN_WORDS
}

/// `whole` (the message's prediction), or, when it was rejected, the most confident in-scope
/// prediction among the message's sentences of substance.
pub fn read_apart(
    encoder: &Encoder,
    model: &IntentModel,
    text: &str,
    whole: Prediction,
) -> Result<Prediction, NluError> {
    if !whole.out_of_scope {
        return Ok(whole);
    }
    let sentences = of_substance(text);
    if sentences.len() < 2 {
        return Ok(whole);
    }
    let vectors = encoder.embed(&sentences)?;
    let best = sentences
        .iter()
        .zip(vectors)
        .map(|(sentence, dense)| {
            let features = Features {
                dense,
                sparse: features::sparse_features(sentence),
            };
            model.predict(&features, model::language_of(sentence))
        })
        .filter(|prediction| !prediction.out_of_scope)
        .max_by(|a, b| a.intent.confidence.total_cmp(&b.intent.confidence));
    Ok(best.unwrap_or(whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_story_splits_into_its_sentences_of_substance() {
        let story =
            "你好。上周末在商场办了你们的卡，回家觉得用不上。才办了六天，现在退掉要不要钱？谢谢";
        assert_eq!(
            of_substance(story),
            vec![
                "上周末在商场办了你们的卡，回家觉得用不上",
                "才办了六天，现在退掉要不要钱"
            ]
        );
        let english = "Hi! Landed in Tokyo an hour ago and no internet. How do I get it working?";
        assert_eq!(
            of_substance(english),
            vec![
                "Landed in Tokyo an hour ago and no internet",
                "How do I get it working"
            ]
        );
    }

    #[test]
    fn a_short_message_has_one_sentence_at_most() {
        assert!(of_substance("谢谢").is_empty());
        assert_eq!(
            of_substance("how do i turn on roaming"),
            vec!["how do i turn on roaming"]
        );
    }
}
