//! The CSV export: one row per ticket, every score a column; empty cells where a moment never came.
//! Text cells that a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`) get a leading `'`.

use super::{Handler, TicketScore};

pub const HEADER: [&str; 20] = [
    "ticket_id",
    "tenant",
    "channel",
    "created_at_ms",
    "intent",
    "article",
    "agent",
    "turns",
    "bot_first_response_ms",
    "time_to_escalation_ms",
    "escalation_reason",
    "human_first_response_ms",
    "resolution_ms",
    "rating",
    "resolved",
    "contained",
    "handled_by",
    "sla_bot_first_response_breached",
    "sla_human_first_response_breached",
    "sla_resolution_breached",
];

fn text(value: Option<&str>) -> String {
    let value = value.unwrap_or("");
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        return format!("'{value}");
    }
    value.to_string()
}

fn number<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn row(score: &TicketScore) -> [String; 20] {
    let reason = score.escalation_reason.and_then(|reason| {
        serde_json::to_value(reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    });
    let handler = match score.handled_by {
        Handler::Bot => "bot",
        Handler::Human => "human",
    };
    [
        score.id.to_string(),
        text(Some(&score.tenant)),
        text(Some(&score.channel)),
        score.created_at_ms.to_string(),
        text(score.intent.as_deref()),
        text(score.article.as_deref()),
        text(score.agent.as_deref()),
        score.turns.to_string(),
        number(score.bot_first_response_ms),
        number(score.time_to_escalation_ms),
        text(reason.as_deref()),
        number(score.human_first_response_ms),
        number(score.resolution_ms),
        number(score.rating),
        score.resolved.to_string(),
        score.contained.to_string(),
        handler.to_string(),
        score.sla_breaches.bot_first_response.to_string(),
        score.sla_breaches.human_first_response.to_string(),
        score.sla_breaches.resolution.to_string(),
    ]
}

/// The CSV text for `scores`, header first.
pub fn tickets_csv(scores: &[TicketScore]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for score in scores {
        writer.write_record(row(score))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_defused() {
        assert_eq!(text(Some("=HYPERLINK(1)")), "'=HYPERLINK(1)");
        assert_eq!(text(Some("alice")), "alice");
        assert_eq!(text(None), "");
    }
}
