//! The tenant record and its settings as stored (JSON values in sled), with the checks a new
//! tenant must pass before anything is written.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::TenantError;

/// The tenant every fresh install has, so the widget works with its defaults.
pub const DEFAULT_TENANT: &str = "demo";

/// Languages the bot speaks (the widget's and the knowledge-base search default).
const LANGUAGES: [&str; 2] = ["en", "zh"];

/// A partner or site: its own widget, escalation rules, optional intent model and API keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Tenant {
    /// Slug: 1-32 of a-z, 0-9, `_` or `-`.
    pub id: String,
    pub name: String,
    pub widget: WidgetSettings,
    pub escalation: EscalationSettings,
    /// The tenant's own intent model directory; `None` uses the shared model.
    #[schema(value_type = Option<String>)]
    pub intent_model_dir: Option<PathBuf>,
    pub created_at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetSettings {
    /// Origins allowed to embed the widget (`*` = any).
    #[serde(default = "any_origin")]
    pub allowed_origins: Vec<String>,
    /// The name the widget shows; empty = the tenant's name.
    #[serde(default)]
    pub display_name: String,
    /// Accent colour, `#rrggbb`.
    #[serde(default = "default_colour")]
    pub colour: String,
    /// `en` or `zh`: the widget's language and the knowledge-base search language.
    #[serde(default = "default_language")]
    pub language: String,
}

/// Escalation rules of the tenant's own (stored here; the escalation engine applies them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationSettings {
    /// Customers whose conversation metadata has this key and value always go to a person.
    #[serde(default)]
    pub vip_metadata: Option<MetadataRule>,
    /// The tenant's own business hours, overriding the server-wide ones.
    #[serde(default)]
    pub business_hours: Option<BusinessHours>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataRule {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    /// Days open, 1 = Monday ... 7 = Sunday.
    pub days: Vec<u8>,
    /// Opening time, `HH:MM`, local to `utc_offset_minutes`.
    pub open: String,
    /// Closing time, `HH:MM`.
    pub close: String,
    #[serde(default)]
    pub utc_offset_minutes: i16,
}

/// What an operator gives to create a tenant; everything but `id` and `name` has a default.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub widget: Option<WidgetSettings>,
    #[serde(default)]
    pub escalation: Option<EscalationSettings>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub intent_model_dir: Option<PathBuf>,
}

fn any_origin() -> Vec<String> {
    vec!["*".to_string()]
}

fn default_colour() -> String {
    "#1f6feb".to_string()
}

fn default_language() -> String {
    "en".to_string()
}

impl WidgetSettings {
    /// Whether a page at `origin` may start conversations for this tenant (`*` = any page).
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin))
    }
}

impl Default for WidgetSettings {
    fn default() -> WidgetSettings {
        WidgetSettings {
            allowed_origins: any_origin(),
            display_name: String::new(),
            colour: default_colour(),
            language: default_language(),
        }
    }
}

/// Tenant ids: 1-32 of a-z, 0-9, `_` or `-` (the same rule as the widget's `tenant` field).
pub fn valid_slug(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn invalid(message: impl Into<String>) -> TenantError {
    TenantError::Invalid(message.into())
}

impl NewTenant {
    /// Checks every field and fills the defaults; nothing is written before this passes.
    pub fn into_tenant(self, now_ms: u64) -> Result<Tenant, TenantError> {
        if !valid_slug(&self.id) {
            return Err(invalid("`id` must be 1-32 of a-z, 0-9, _ or -"));
        }
        let name = self.name.trim().to_string();
        if name.is_empty() || name.len() > 100 {
            return Err(invalid("`name` must be 1-100 bytes"));
        }
        let widget = self.widget.unwrap_or_default();
        check_widget(&widget)?;
        let escalation = self.escalation.unwrap_or_default();
        check_escalation(&escalation)?;
        Ok(Tenant {
            id: self.id,
            name,
            widget,
            escalation,
            intent_model_dir: self.intent_model_dir,
            created_at_ms: now_ms,
        })
    }
}

fn check_widget(widget: &WidgetSettings) -> Result<(), TenantError> {
    if !LANGUAGES.contains(&widget.language.as_str()) {
        return Err(invalid("`widget.language` must be `en` or `zh`"));
    }
    let colour = widget.colour.strip_prefix('#').unwrap_or("");
    if colour.len() != 6 || !colour.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(invalid("`widget.colour` must be `#rrggbb`"));
    }
    if widget.display_name.len() > 100 {
        return Err(invalid("`widget.display_name` must be at most 100 bytes"));
    }
    let origin_ok = |o: &String| {
        (o == "*" || o.starts_with("https://") || o.starts_with("http://")) && o.len() <= 200
    };
    if widget.allowed_origins.len() > 50 || !widget.allowed_origins.iter().all(origin_ok) {
        return Err(invalid(
            "`widget.allowed_origins`: at most 50, each `*` or an http(s):// origin",
        ));
    }
    Ok(())
}

fn check_escalation(escalation: &EscalationSettings) -> Result<(), TenantError> {
    if let Some(rule) = &escalation.vip_metadata
        && (rule.key.is_empty() || rule.key.len() > 64 || rule.value.len() > 256)
    {
        return Err(invalid(
            "`escalation.vip_metadata`: key 1-64 bytes, value at most 256",
        ));
    }
    let Some(hours) = &escalation.business_hours else {
        return Ok(());
    };
    let days_ok = !hours.days.is_empty() && hours.days.iter().all(|d| (1..=7).contains(d));
    let times_ok = minutes_of_day(&hours.open)
        .zip(minutes_of_day(&hours.close))
        .is_some_and(|(open, close)| open < close);
    let offset_ok = (-720..=840).contains(&hours.utc_offset_minutes);
    if !(days_ok && times_ok && offset_ok) {
        return Err(invalid(
            "`escalation.business_hours`: days 1-7, open < close as HH:MM, utc_offset_minutes -720..840",
        ));
    }
    Ok(())
}

/// `HH:MM` as minutes since midnight.
fn minutes_of_day(time: &str) -> Option<u16> {
    let (hours, minutes) = time.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

/// The tenant created at start-up when missing.
pub fn default_tenant() -> NewTenant {
    NewTenant {
        id: DEFAULT_TENANT.to_string(),
        name: "Demo".to_string(),
        widget: None,
        escalation: None,
        intent_model_dir: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(id: &str) -> NewTenant {
        NewTenant {
            id: id.into(),
            name: "Acme".into(),
            widget: None,
            escalation: None,
            intent_model_dir: None,
        }
    }

    #[test]
    fn slugs_and_settings_are_checked() {
        assert!(new("acme-1").into_tenant(0).is_ok());
        for bad in ["", "Acme", "a b", "../x", &"a".repeat(33)] {
            assert!(new(bad).into_tenant(0).is_err(), "{bad:?}");
        }
        let mut tenant = new("acme");
        tenant.widget = Some(WidgetSettings {
            language: "fr".into(),
            ..WidgetSettings::default()
        });
        assert!(tenant.into_tenant(0).is_err());
    }

    #[test]
    fn only_listed_origins_are_allowed_unless_any_is() {
        let mut widget = WidgetSettings::default();
        assert!(widget.allows_origin("https://anywhere.example"));
        widget.allowed_origins = vec!["https://acme.example".into()];
        assert!(widget.allows_origin("https://ACME.example"));
        assert!(!widget.allows_origin("https://acme.example.evil"));
        assert!(!widget.allows_origin("null"));
    }

    #[test]
    fn business_hours_need_open_before_close() {
        let mut tenant = new("acme");
        tenant.escalation = Some(EscalationSettings {
            vip_metadata: None,
            business_hours: Some(BusinessHours {
                days: vec![1, 2, 3, 4, 5],
                open: "18:00".into(),
                close: "09:00".into(),
                utc_offset_minutes: 60,
            }),
        });
        assert!(tenant.into_tenant(0).is_err());
        assert_eq!(minutes_of_day("09:30"), Some(570));
        assert_eq!(minutes_of_day("24:00"), None);
    }
}
