//! Aggregates over scored tickets: containment, escalation rate by reason, first-response and
//! resolution percentiles (nearest rank), CSAT split bot vs human, SLA breaches; for all tickets
//! and per group (tenant, intent, article, agent or channel). Grouped by intent or by article,
//! containment and CSAT show which answers do not work: an article that customers rate low, or
//! after which they still ask for a person.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Handler, TicketScore};

/// What to group the report by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Tenant,
    Intent,
    /// The article the bot cited first in the conversation.
    Article,
    Agent,
    Channel,
}

/// The group key of tickets that have no intent, article or agent.
pub const NO_KEY: &str = "(none)";

impl GroupBy {
    pub fn parse(name: &str) -> Option<GroupBy> {
        match name {
            "tenant" => Some(GroupBy::Tenant),
            "intent" => Some(GroupBy::Intent),
            "article" => Some(GroupBy::Article),
            "agent" => Some(GroupBy::Agent),
            "channel" => Some(GroupBy::Channel),
            _ => None,
        }
    }

    fn key(self, score: &TicketScore) -> String {
        let key = match self {
            GroupBy::Tenant => Some(&score.tenant),
            GroupBy::Intent => score.intent.as_ref(),
            GroupBy::Article => score.article.as_ref(),
            GroupBy::Agent => score.agent.as_ref(),
            GroupBy::Channel => Some(&score.channel),
        };
        key.cloned().unwrap_or_else(|| NO_KEY.to_string())
    }
}

/// p50 and p90 of a duration (milliseconds) over the tickets that have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: usize,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Csat {
    pub responses: usize,
    pub mean: Option<f64>,
    /// Share of ratings that are 4 or 5.
    pub share_4_5: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsatSplit {
    pub all: Csat,
    pub bot: Csat,
    pub human: Csat,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCount {
    pub count: usize,
    /// Share of all the group's tickets.
    pub rate: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SlaCounts {
    pub bot_first_response: usize,
    pub human_first_response: usize,
    pub resolution: usize,
}

/// The numbers for one set of tickets (a group, or all of them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub key: String,
    pub tickets: usize,
    pub resolved: usize,
    pub contained: usize,
    pub containment_rate: Option<f64>,
    pub escalated: usize,
    pub escalation_rate: Option<f64>,
    pub escalations_by_reason: BTreeMap<String, ReasonCount>,
    pub turns_mean: Option<f64>,
    pub bot_first_response_ms: Percentiles,
    pub time_to_escalation_ms: Percentiles,
    pub human_first_response_ms: Percentiles,
    pub resolution_ms: Percentiles,
    pub csat: CsatSplit,
    pub sla_breaches: SlaCounts,
}

/// The nearest-rank percentile (`p` in 0..=100) of `values`: the smallest value with at least p%
/// of the values at or below it.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn percentiles(values: Vec<f64>) -> Percentiles {
    Percentiles {
        count: values.len(),
        p50: percentile(&values, 50.0),
        p90: percentile(&values, 90.0),
    }
}

fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn csat<'s>(scores: impl Iterator<Item = &'s TicketScore>) -> Csat {
    let ratings: Vec<u8> = scores.filter_map(|s| s.rating).collect();
    let sum: u32 = ratings.iter().map(|&r| u32::from(r)).sum();
    let happy = ratings.iter().filter(|&&r| r >= 4).count();
    Csat {
        responses: ratings.len(),
        mean: share(sum as usize, ratings.len()),
        share_4_5: share(happy, ratings.len()),
    }
}

fn durations(scores: &[&TicketScore], pick: impl Fn(&TicketScore) -> Option<f64>) -> Percentiles {
    percentiles(scores.iter().filter_map(|s| pick(s)).collect())
}

/// Sums up `scores` under the label `key`.
pub fn summarize(key: &str, scores: &[&TicketScore]) -> Summary {
    let tickets = scores.len();
    let count = |keep: &dyn Fn(&TicketScore) -> bool| scores.iter().filter(|s| keep(s)).count();
    let contained = count(&|s| s.contained);
    let escalated = count(&|s| s.escalation_reason.is_some());
    let mut by_reason: BTreeMap<String, ReasonCount> = BTreeMap::new();
    for reason in scores.iter().filter_map(|s| s.escalation_reason) {
        let name = serde_json::to_value(reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        by_reason
            .entry(name)
            .or_insert(ReasonCount {
                count: 0,
                rate: 0.0,
            })
            .count += 1;
    }
    for reason in by_reason.values_mut() {
        reason.rate = reason.count as f64 / tickets as f64;
    }
    let turns: u32 = scores.iter().map(|s| s.turns).sum();
    Summary {
        key: key.to_string(),
        tickets,
        resolved: count(&|s| s.resolved),
        contained,
        containment_rate: share(contained, tickets),
        escalated,
        escalation_rate: share(escalated, tickets),
        escalations_by_reason: by_reason,
        turns_mean: share(turns as usize, tickets),
        bot_first_response_ms: durations(scores, |s| s.bot_first_response_ms),
        time_to_escalation_ms: durations(scores, |s| s.time_to_escalation_ms.map(|v| v as f64)),
        human_first_response_ms: durations(scores, |s| s.human_first_response_ms.map(|v| v as f64)),
        resolution_ms: durations(scores, |s| s.resolution_ms.map(|v| v as f64)),
        csat: CsatSplit {
            all: csat(scores.iter().copied()),
            bot: csat(
                scores
                    .iter()
                    .copied()
                    .filter(|s| s.handled_by == Handler::Bot),
            ),
            human: csat(
                scores
                    .iter()
                    .copied()
                    .filter(|s| s.handled_by == Handler::Human),
            ),
        },
        sla_breaches: SlaCounts {
            bot_first_response: count(&|s| s.sla_breaches.bot_first_response),
            human_first_response: count(&|s| s.sla_breaches.human_first_response),
            resolution: count(&|s| s.sla_breaches.resolution),
        },
    }
}

/// The whole report: every ticket, then each group (largest first) when grouping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub total: Summary,
    pub group_by: Option<GroupBy>,
    pub groups: Vec<Summary>,
}

pub fn report(scores: &[TicketScore], group_by: Option<GroupBy>) -> Report {
    let all: Vec<&TicketScore> = scores.iter().collect();
    let mut groups = Vec::new();
    if let Some(group_by) = group_by {
        let mut members: BTreeMap<String, Vec<&TicketScore>> = BTreeMap::new();
        for score in scores {
            members.entry(group_by.key(score)).or_default().push(score);
        }
        groups = members
            .iter()
            .map(|(key, scores)| summarize(key, scores))
            .collect();
        groups.sort_by(|a, b| b.tickets.cmp(&a.tickets).then_with(|| a.key.cmp(&b.key)));
    }
    Report {
        total: summarize("all", &all),
        group_by,
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0, 9.0, 8.0, 7.0, 6.0];
        assert_eq!(percentile(&values, 50.0), Some(5.0));
        assert_eq!(percentile(&values, 90.0), Some(9.0));
        assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
