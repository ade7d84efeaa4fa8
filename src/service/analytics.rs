//! Scoring over HTTP's head: the analytics report and CSV export for a time range and tenant, and
//! the metrics text with its scrape-time gauges. Each scan of the store runs behind the CPU gate.

use serde::{Deserialize, Serialize};

use super::Switchboard;
use crate::analytics::report::{self, GroupBy, Report};
use crate::analytics::{self, TicketScore, export};
use crate::error::ServiceError;
use crate::store::TicketFilter;
use crate::tickets::now_ms;

/// Tickets read (and scored) at a time.
const SCAN_PAGE: usize = 500;

/// The analytics filters as the API receives them (query string).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// Tickets created at or after: milliseconds since the epoch, or a date `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Tickets created before (exclusive), in the same forms.
    pub to: Option<String>,
    /// Only this tenant's tickets.
    pub tenant: Option<String>,
    /// tenant, intent, article (the first cited by the bot), agent or channel.
    pub group_by: Option<String>,
}

/// A partner's analytics filters: the same as [`AnalyticsQuery`] without `tenant`, which is the
/// API key's (a `tenant` parameter is refused as unknown).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartnerAnalyticsQuery {
    /// Tickets created at or after: milliseconds since the epoch, or a date `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Tickets created before (exclusive), in the same forms.
    pub to: Option<String>,
    /// tenant, intent, article (the first cited by the bot), agent or channel.
    pub group_by: Option<String>,
}

impl PartnerAnalyticsQuery {
    /// The filters, forced to `tenant`.
    pub fn for_tenant(self, tenant: &str) -> AnalyticsQuery {
        AnalyticsQuery {
            from: self.from,
            to: self.to,
            tenant: Some(tenant.to_string()),
            group_by: self.group_by,
        }
    }
}

/// The filters, checked.
#[derive(Debug, Clone, Serialize)]
pub struct Filter {
    pub from_ms: u64,
    pub to_ms: u64,
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnalyticsReport {
    #[serde(flatten)]
    pub filter: Filter,
    pub sla_targets_ms: SlaTargets,
    #[serde(flatten)]
    pub report: Report,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct SlaTargets {
    pub bot_first_response: u64,
    pub human_first_response: u64,
    pub resolution: u64,
}

impl Switchboard {
    pub async fn analytics(&self, query: &AnalyticsQuery) -> Result<AnalyticsReport, ServiceError> {
        let filter = parse_filter(query)?;
        let group_by = match query.group_by.as_deref() {
            None | Some("") => None,
            Some(name) => Some(GroupBy::parse(name).ok_or_else(|| {
                ServiceError::InvalidParameter(format!(
                    "`group_by` {name:?} is not one of tenant, intent, article, agent, channel"
                ))
            })?),
        };
        let scores = self.scores(filter.clone()).await?;
        let sla = self.sla;
        Ok(AnalyticsReport {
            filter,
            sla_targets_ms: SlaTargets {
                bot_first_response: sla.bot_first_response_ms,
                human_first_response: sla.human_first_response_ms,
                resolution: sla.resolution_ms,
            },
            report: report::report(&scores, group_by),
        })
    }

    /// One CSV row per ticket matching the filters.
    pub async fn tickets_csv(&self, query: &AnalyticsQuery) -> Result<String, ServiceError> {
        if query.group_by.is_some() {
            return Err(ServiceError::InvalidParameter(
                "`group_by` does not apply to the per-ticket export".into(),
            ));
        }
        let scores = self.scores(parse_filter(query)?).await?;
        export::tickets_csv(&scores).map_err(|e| ServiceError::Task(format!("CSV export: {e}")))
    }

    /// The Prometheus text, with the queue depth and outbox length counted now.
    pub async fn metrics_text(&self) -> Result<String, ServiceError> {
        let gauges = self.store.gauges().await?;
        Ok(self
            .metrics
            .render(gauges.escalated, gauges.pending_deliveries))
    }

    /// Scores every ticket the filter selects, a page of tickets at a time (scored on the CPU
    /// gate), oldest first.
    async fn scores(&self, filter: Filter) -> Result<Vec<TicketScore>, ServiceError> {
        let selection = TicketFilter {
            tenant: filter.tenant,
            created_ms: Some((filter.from_ms, filter.to_ms)),
            ..TicketFilter::default()
        };
        let now = now_ms();
        let mut scores = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .store
                .tickets(selection.clone(), after, SCAN_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let full = page.len() == SCAN_PAGE;
            let mut timelines = Vec::with_capacity(page.len());
            for ticket in page {
                let events = self.store.events_after(ticket.id, None).await?;
                timelines.push((ticket, events));
            }
            let sla = self.sla;
            let job = move || -> Vec<TicketScore> {
                timelines
                    .iter()
                    .map(|(ticket, events)| analytics::score(ticket, events, &sla, now))
                    .collect()
            };
            scores.extend(self.cpu.run(job).await?);
            if !full {
                break;
            }
        }
        scores.sort_by_key(|s| (s.created_at_ms, s.id));
        Ok(scores)
    }
}

fn parse_filter(query: &AnalyticsQuery) -> Result<Filter, ServiceError> {
    let from_ms = match query.from.as_deref() {
        None | Some("") => 0,
        Some(text) => parse_time("from", text)?,
    };
    let to_ms = match query.to.as_deref() {
        None | Some("") => u64::MAX,
        Some(text) => parse_time("to", text)?,
    };
    if from_ms > to_ms {
        return Err(ServiceError::InvalidParameter(
            "`from` is after `to`".into(),
        ));
    }
    let tenant = match query.tenant.as_deref() {
        None | Some("") => None,
        Some(name) => {
            crate::webhooks::validate_tenant(name).map_err(|_| {
                ServiceError::InvalidParameter("`tenant` is not a tenant name".into())
            })?;
            Some(name.to_string())
        }
    };
    Ok(Filter {
        from_ms,
        to_ms,
        tenant,
    })
}

/// Milliseconds since the epoch, or `YYYY-MM-DD` (midnight UTC).
fn parse_time(field: &str, text: &str) -> Result<u64, ServiceError> {
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let invalid = || {
        ServiceError::InvalidParameter(format!(
            "`{field}` must be milliseconds since the epoch or a date YYYY-MM-DD, not {:?}",
            text.chars().take(40).collect::<String>()
        ))
    };
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(invalid());
    };
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<i64>(),
        month.parse::<i64>(),
        day.parse::<i64>(),
    ) else {
        return Err(invalid());
    };
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(invalid());
    }
    let days = days_from_civil(year, month, day);
    u64::try_from(days * 86_400_000).map_err(|_| invalid())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_milliseconds_parse() {
        assert_eq!(parse_time("from", "1970-01-01").unwrap(), 0);
        assert_eq!(parse_time("from", "2026-11-25").unwrap(), 1_795_564_800_000);
        assert_eq!(parse_time("from", "2024-03-01").unwrap(), 1_709_251_200_000);
        assert_eq!(parse_time("from", "12345").unwrap(), 12345);
        assert!(parse_time("from", "2026-13-01").is_err());
        assert!(parse_time("from", "yesterday").is_err());
    }
}
