//! The judgment on one customer message: is it a sensitive situation, is the customer angry?
//! The learned [`scorer`](super::scorer) decides with per-language thresholds; the valence
//! lexicon ([`sentiment`](super::sentiment)) still escalates an unmistakably furious message on
//! its own, and is all there is when no scorer model is installed. The evidence says which label
//! fired, its score and threshold, the strongest kind, and the cues found.

use std::path::Path;
use std::sync::Arc;

use super::assessment::{Assessment, is_mild};
use super::scorer::{
    ANGER, ANGER_KINDS, EscalationModel, KIND_OFFSET, LABELS, LANGS, SENSITIVE, SENSITIVE_KINDS,
    Scores,
};
use super::{Escalation, cues, framing, interjection, ownership, process, sentiment};
use crate::config::EscalationSettings;
use crate::nlu::Encoder;
use crate::nlu::features::is_cjk;
use crate::tickets::EscalationReason;

/// A question asked ahead of time ([`framing`]) is a sensitive situation only when the scorer is
/// sure of it: "how can I protect my account against SIM swap fraud?" scores just above the
/// threshold (0.33 against 0.26), victims telling what happened mostly score above 0.5. The same
/// holds for a question about the bot ([`Assessment::require_sure_sensitive`]). A fixed
/// score, not a multiple of the threshold, which moves each time the scorer is retrained.
pub(super) const IN_ADVANCE_MIN_SCORE: f32 = 0.6;

/// A question about how complaints work ([`process`]) is anger to hand over at once only when
/// the scorer is clearly sure of it; below, the anger is mild (answered once, a person offered).
/// Angry customers mostly score above 0.9; "投诉到监管机构和你们内部投诉有什么区别" scored 0.69 on the
/// complaint words alone.
const COMPLAINT_QUESTION_MIN_ANGER: f32 = 0.9;

/// Scores a message with the learned scorer and the lexicon, and says what it found as an
/// [`Assessment`] with its evidence.
pub struct Judge {
    model: Option<EscalationModel>,
    /// [deciding label][language] (see [`LANGS`]).
    thresholds: [[f32; 2]; 2],
    lexicon_threshold: f32,
    anger_priority: u8,
    mild_margin: f32,
    /// Embeds a message read again without its opening interjection; without it, none is.
    encoder: Option<Arc<Encoder>>,
}

impl Judge {
    pub fn new(model: Option<EscalationModel>, settings: &EscalationSettings) -> Judge {
        let mut thresholds = [[0.5; 2]; 2];
        if let Some(model) = &model {
            for (lang, _) in LANGS.iter().enumerate() {
                let ceiling = settings.max_threshold;
                thresholds[SENSITIVE][lang] =
                    model.threshold(SENSITIVE, lang, settings.sensitive_recall, ceiling);
                thresholds[ANGER][lang] =
                    model.threshold(ANGER, lang, settings.anger_recall, ceiling);
            }
        }
        Judge {
            model,
            thresholds,
            lexicon_threshold: settings.negative_sentiment_threshold,
            anger_priority: settings.priority_negative_sentiment,
            mild_margin: settings.mild_anger_margin,
            encoder: None,
        }
    }

    /// The judge that reads an angry-sounding message again without its opening sigh or groan
    /// ([`interjection`]), embedding the rest with `encoder` (the one the scorer was trained on).
    pub fn rereading_with(self, encoder: Arc<Encoder>) -> Judge {
        Judge {
            encoder: Some(encoder),
            ..self
        }
    }

    /// The scorer in `dir` for messages embedded by `encoder`, reading again with it
    /// ([`Judge::rereading_with`]); without a scorer (not trained yet, or unreadable) the lexicon
    /// alone judges anger and nothing is flagged sensitive, which is logged loudly.
    pub fn load(dir: &Path, encoder: Arc<Encoder>, settings: &EscalationSettings) -> Judge {
        let model = match EscalationModel::load(dir, encoder.dim()) {
            Ok(model) => Some(model),
            Err(error) => {
                tracing::warn!(%error, "no escalation scorer: sensitive situations are not detected and anger uses the lexicon alone");
                None
            }
        };
        Judge::new(model, settings).rereading_with(encoder)
    }

    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// The thresholds in force: [sensitive, anger] x [en, zh].
    pub fn thresholds(&self) -> [[f32; 2]; 2] {
        self.thresholds
    }

    /// The deciding scores [sensitive, anger] of `text` (zeros without a model).
    pub fn scores(&self, text: &str, embedding: &[f32]) -> [f32; 2] {
        self.model.as_ref().map_or([0.0; 2], |m| {
            let scores = m.score(text, embedding);
            [scores.0[SENSITIVE], scores.0[ANGER]]
        })
    }

    /// Judges `text`, whose sentence embedding (from the intent classifier) is `embedding`.
    pub fn assess(&self, text: &str, embedding: &[f32]) -> Assessment {
        let lang = usize::from(text.chars().any(is_cjk));
        let found = cues::find(text);
        let feeling = sentiment::score(&crate::nlu::chinese::mandarin(text));
        let scores = self.model.as_ref().map(|m| m.score(text, embedding));
        let fired = |label: usize| {
            let scores = scores.as_ref()?;
            (scores.0[label] >= self.thresholds[label][lang]).then_some(scores)
        };
        let sensitive_sure = scores
            .as_ref()
            .is_some_and(|s| s.0[SENSITIVE] >= IN_ADVANCE_MIN_SCORE);
        let sensitive = fired(SENSITIVE)
            .filter(|_| sensitive_sure || !framing::asks_in_advance(text))
            .filter(|_| !ownership::only_says_whose_it_is(text, &found))
            .map(|scores| Escalation {
                reason: EscalationReason::Sensitive,
                evidence: self.evidence(scores, SENSITIVE, lang, &found),
                priority: 0,
            });
        let angry_words = feeling.score <= self.lexicon_threshold;
        let asks_about_complaints = process::asks_how_complaints_work(text)
            && feeling
                .cues
                .iter()
                .all(|word| process::LEXICON_WORDS.contains(&word.as_str()));
        let mut anger_mild = scores.as_ref().is_some_and(|s| {
            let anger = s.0[ANGER];
            is_mild(
                feeling.score,
                anger,
                self.thresholds[ANGER][lang],
                self.mild_margin,
            ) || (asks_about_complaints && anger < COMPLAINT_QUESTION_MIN_ANGER)
        });
        let mut anger = match fired(ANGER) {
            Some(scores) => {
                let mut evidence = self.evidence(scores, ANGER, lang, &found);
                if feeling.score < 0.0 {
                    let words = feeling.cues.join(", ");
                    evidence.push_str(&format!("; lexicon {:.1}: {words}", feeling.score));
                }
                Some(evidence)
            }
            None if angry_words => Some(format!(
                "sentiment {:.1} (threshold {:.1}): {}",
                feeling.score,
                self.lexicon_threshold,
                feeling.cues.join(", ")
            )),
            None => None,
        };
        if let Some(evidence) = anger.as_mut()
            && !anger_mild
            && let Some(rest) = self.calm_without_interjection(text, lang)
        {
            anger_mild = true;
            evidence.push_str(&format!("; mild: {rest:.2} without the interjection"));
        }
        Assessment {
            sensitive,
            anger: anger.map(|evidence| Escalation {
                reason: EscalationReason::NegativeSentiment,
                evidence,
                priority: 0,
            }),
            anger_priority: self.anger_priority,
            anger_mild,
            negative_words: feeling.score < 0.0,
            sensitive_sure,
        }
    }

    /// The anger score of `text` read again without its opening interjection of exasperation,
    /// when that reading is calm or only mildly angry ([`is_mild`]); `None` when the message has
    /// no such interjection, the rest is angry, or there is no model or encoder to read it with.
    fn calm_without_interjection(&self, text: &str, lang: usize) -> Option<f32> {
        let rest = interjection::after_exasperation(text)?;
        let (model, encoder) = (self.model.as_ref()?, self.encoder.as_ref()?);
        let embedding = match encoder.embed(&[rest]) {
            Ok(mut vectors) => vectors.pop()?,
            Err(error) => {
                tracing::warn!(%error, "could not read a message again without its interjection");
                return None;
            }
        };
        let anger = model.score(rest, &embedding).0[ANGER];
        let feeling = sentiment::score(&crate::nlu::chinese::mandarin(rest));
        let threshold = self.thresholds[ANGER][lang];
        is_mild(feeling.score, anger, threshold, self.mild_margin).then_some(anger)
    }

    /// "sensitive score 0.93 (threshold 0.31, en): bereavement 0.95; cues: 'passed away'".
    fn evidence(&self, scores: &Scores, label: usize, lang: usize, found: &cues::Found) -> String {
        let kinds = if label == SENSITIVE {
            SENSITIVE_KINDS
        } else {
            ANGER_KINDS
        };
        let (kind, kind_score) = scores.strongest(kinds.clone());
        let mut evidence = format!(
            "{} score {:.2} (threshold {:.2}, {}): {} {:.2}",
            LABELS[label],
            scores.0[label],
            self.thresholds[label][lang],
            LANGS[lang],
            LABELS[kind],
            kind_score
        );
        let quoted: Vec<String> = kinds
            .map(|k| found.quoted(k - KIND_OFFSET))
            .filter(|q| !q.is_empty())
            .collect();
        if !quoted.is_empty() {
            evidence.push_str("; cues: ");
            evidence.push_str(&quoted.join(", "));
        }
        evidence
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn without_a_model_the_lexicon_alone_judges_anger() {
        let settings = Settings::defaults().escalation;
        let judge = Judge::new(None, &settings);
        let furious = "I am furious, this is absolutely terrible and the worst service ever!!!";
        let assessment = judge.assess(furious, &[]);
        assert!(assessment.sensitive.is_none());
        let anger = assessment.anger.expect("the lexicon fires");
        assert!(anger.evidence.contains("terrible"), "{}", anger.evidence);
        let calm = judge.assess("how do I pay my bill", &[]);
        assert!(calm.sensitive.is_none() && calm.anger.is_none(), "{calm:?}");
    }
}
