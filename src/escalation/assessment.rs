//! What one message says about handing over, once the [`judge`](super::judge) has scored it: a
//! sensitive situation, anger (and whether it is mild), and the order in which they, the tenant's
//! rule and a request for a person win ([`Assessment::first`], [`Assessment::verdict`]). Plain
//! values and rules, no model: the dialogue adjusts an assessment (a question about the bot) before
//! it asks for the verdict.

use super::Escalation;
use crate::tickets::EscalationReason;

/// What the message alone says about escalating.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assessment {
    pub sensitive: Option<Escalation>,
    pub anger: Option<Escalation>,
    /// The queue priority anger gets (`priority_negative_sentiment`).
    pub anger_priority: u8,
    /// The anger is mild: the scorer alone, less than `mild_anger_margin` above its threshold,
    /// no negative word in the lexicon ("this is getting old"). See [`Assessment::verdict`].
    pub anger_mild: bool,
    /// The lexicon found a negative word ("useless", "垃圾"), however few.
    pub negative_words: bool,
    /// The sensitive score reaches the judge's [`IN_ADVANCE_MIN_SCORE`]: sure enough to stand
    /// against a message that asks something rather than tells what happened.
    ///
    /// [`IN_ADVANCE_MIN_SCORE`]: super::judge::IN_ADVANCE_MIN_SCORE
    pub sensitive_sure: bool,
}

/// What the judgment asks of this turn.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Hand over now.
    Escalate(Escalation),
    /// Mild anger, the first time in a row: the bot still answers, declines or chats when it
    /// can, and hands over with this when it cannot.
    Tentative(Escalation),
    /// No reason to hand over.
    Keep,
}

impl Assessment {
    /// Holds back anger that only the scorer sees, however high it scores, when the message is a
    /// question about the bot: to the scorer "what company made this bot" reads as contempt and
    /// "你到底是什么" as shouting, but a customer asking what they are talking to is curious. Words
    /// of anger ("are you a useless bot") still hand over, and so does a second annoyed turn.
    pub fn hold_back_wordless_anger(&mut self) {
        if !self.negative_words {
            self.anger_mild = true;
        }
    }

    /// Drops a sensitive situation the scorer is not sure of ([`Assessment::sensitive_sure`]), when
    /// the message is a question about the bot: "你能看到我的账户信息吗" (can you see my account?)
    /// reads to the scorer as a privacy worry (0.36 against 0.22), but it asks what the bot can
    /// do. A customer telling of a threat or a fraud in the same message scores far higher.
    pub fn require_sure_sensitive(&mut self) {
        if !self.sensitive_sure {
            self.sensitive = None;
        }
    }

    /// The rule that wins: a sensitive situation, the tenant's rule, an explicit request for a
    /// person, then anger. A request from an angry customer keeps anger's queue priority, so
    /// asking politely or not never costs a place.
    pub fn first(
        self,
        tenant_rule: Option<Escalation>,
        request: Option<Escalation>,
    ) -> Option<Escalation> {
        let request = request.map(|mut request| {
            if let Some(anger) = &self.anger {
                request.priority = request.priority.max(self.anger_priority);
                request.evidence = format!("{}; also {}", request.evidence, anger.evidence);
            }
            request
        });
        self.sensitive.or(tenant_rule).or(request).or(self.anger)
    }

    /// As [`Assessment::first`], but mild anger alone is tentative unless the customer was
    /// already annoyed on their previous turn: one exasperated remark in a conversation the bot
    /// can still help with is normal; two in a row, or anger the bot cannot answer, is a trend a
    /// person should see.
    pub fn verdict(
        self,
        tenant_rule: Option<Escalation>,
        request: Option<Escalation>,
        annoyed_before: bool,
    ) -> Verdict {
        let mild = self.anger_mild && !annoyed_before;
        match self.first(tenant_rule, request) {
            Some(e) if mild && e.reason == EscalationReason::NegativeSentiment => {
                Verdict::Tentative(e)
            }
            Some(escalation) => Verdict::Escalate(escalation),
            None => Verdict::Keep,
        }
    }
}

/// Anger the scorer alone puts less than `margin` above its `threshold`, with no negative word
/// in the lexicon: any such word ("愤怒", "useless") makes a borderline score a real one.
pub(super) fn is_mild(lexicon: f32, anger: f32, threshold: f32, margin: f32) -> bool {
    lexicon >= 0.0 && anger < threshold + margin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mild_anger_is_tentative_once_and_escalates_when_the_customer_was_already_annoyed() {
        let anger = Escalation::bare(EscalationReason::NegativeSentiment);
        let mild = Assessment {
            sensitive: None,
            anger: Some(anger.clone()),
            anger_priority: 2,
            anger_mild: true,
            negative_words: false,
            sensitive_sure: false,
        };
        assert_eq!(
            mild.clone().verdict(None, None, false),
            Verdict::Tentative(anger.clone())
        );
        assert_eq!(
            mild.clone().verdict(None, None, true),
            Verdict::Escalate(anger.clone())
        );
        let request = Escalation {
            reason: EscalationReason::ExplicitRequest,
            ..anger.clone()
        };
        let asked = mild.verdict(None, Some(request), false);
        assert!(
            matches!(asked, Verdict::Escalate(e) if e.reason == EscalationReason::ExplicitRequest),
            "a request for a person is never held back"
        );
        let furious = Assessment {
            sensitive: None,
            anger: Some(anger.clone()),
            anger_priority: 2,
            anger_mild: false,
            negative_words: false,
            sensitive_sure: false,
        };
        assert_eq!(furious.verdict(None, None, false), Verdict::Escalate(anger));
        assert_eq!(
            Assessment::default().verdict(None, None, true),
            Verdict::Keep
        );
    }

    #[test]
    fn anger_held_back_for_a_question_about_the_bot_is_the_scorers_alone() {
        let anger = Escalation::bare(EscalationReason::NegativeSentiment);
        let scored = Assessment {
            anger: Some(anger.clone()),
            ..Assessment::default()
        };
        let mut curious = scored.clone();
        curious.hold_back_wordless_anger();
        assert_eq!(
            curious.verdict(None, None, false),
            Verdict::Tentative(anger.clone())
        );
        let mut worded = Assessment {
            negative_words: true,
            ..scored
        };
        worded.hold_back_wordless_anger();
        assert_eq!(
            worded.verdict(None, None, false),
            Verdict::Escalate(anger),
            "'are you a useless bot' hands over"
        );
    }

    #[test]
    fn only_a_sure_sensitive_score_stands_against_a_question_about_the_bot() {
        let sensitive = Escalation::bare(EscalationReason::Sensitive);
        let unsure = Assessment {
            sensitive: Some(sensitive.clone()),
            ..Assessment::default()
        };
        let mut curious = unsure.clone();
        curious.require_sure_sensitive();
        assert_eq!(curious.verdict(None, None, false), Verdict::Keep);
        let mut sure = Assessment {
            sensitive_sure: true,
            ..unsure
        };
        sure.require_sure_sensitive();
        assert_eq!(
            sure.verdict(None, None, false),
            Verdict::Escalate(sensitive)
        );
    }

    #[test]
    fn borderline_anger_is_mild_only_while_the_lexicon_finds_no_negative_word() {
        assert!(is_mild(0.0, 0.44, 0.40, 0.08), "scorer alone, just above");
        assert!(
            is_mild(1.0, 0.44, 0.40, 0.08),
            "a positive word does not count"
        );
        assert!(
            !is_mild(-4.0, 0.44, 0.40, 0.08),
            "'我很愤怒' is angry however it scores"
        );
        assert!(!is_mild(0.0, 0.60, 0.40, 0.08), "well above the threshold");
        assert!(!is_mild(0.0, 0.44, 0.40, 0.0), "margin 0: never mild");
    }

    #[test]
    fn a_sensitive_situation_outranks_the_tenant_rule_then_a_request_then_anger() {
        let all = Assessment {
            sensitive: Some(Escalation::bare(EscalationReason::Sensitive)),
            anger: Some(Escalation::bare(EscalationReason::NegativeSentiment)),
            anger_priority: 2,
            anger_mild: false,
            negative_words: false,
            sensitive_sure: true,
        };
        let tenant = Some(Escalation::bare(EscalationReason::TenantRule));
        let request = Some(Escalation::bare(EscalationReason::ExplicitRequest));
        let first = all.clone().first(tenant.clone(), request.clone());
        assert_eq!(first.unwrap().reason, EscalationReason::Sensitive);
        let angry = Assessment {
            sensitive: None,
            ..all
        };
        let first = angry.clone().first(tenant, request.clone()).unwrap();
        assert_eq!(first.reason, EscalationReason::TenantRule);
        let asked = angry.clone().first(None, request).unwrap();
        assert_eq!(asked.reason, EscalationReason::ExplicitRequest);
        assert_eq!(asked.priority, 2, "an angry request keeps anger's place");
        let anger = angry.first(None, None).unwrap();
        assert_eq!(anger.reason, EscalationReason::NegativeSentiment);
    }
}
