//! A registered app as Rappu keeps it, the rules a registration must follow, and what its
//! scopes cover.

use chrono::{DateTime, Utc};
use rappu_shared::FieldError;
use rappu_shared::apps::{AppView, NewApp, Scope, ScopeGrant};

use super::settings::OAuthSettings;
use crate::places::Lineage;

/// One app, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredApp {
    /// Client id.
    pub client_id: String,
    /// Tampuuri account.
    pub account: String,
    /// Name.
    pub name: String,
    /// Contact.
    pub contact: String,
    /// Scopes and where they apply.
    pub scopes: Vec<ScopeGrant>,
    /// Allowed browser origins.
    pub origins: Vec<String>,
    /// Requests per minute, when not the default.
    pub per_minute: Option<u32>,
    /// Burst, when not the default.
    pub burst: Option<u32>,
    /// Argon2id hash of the secret.
    pub secret_hash: String,
    /// When the secret was made (unix seconds).
    pub secret_set_at: i64,
    /// Registered (unix seconds).
    pub created_at: i64,
    /// Who registered it (an admin token's subject, or `cli`).
    pub created_by: String,
    /// Last change (unix seconds).
    pub updated_at: i64,
    /// Revoked (unix seconds).
    pub revoked_at: Option<i64>,
}

/// The most ids one scope may list.
pub const MAX_IDS: usize = 1000;
/// The most origins.
pub const MAX_ORIGINS: usize = 10;

fn time(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

/// The grammar of a registered origin, as the API document states it (and [`valid_origin`]
/// implements): `https://` and a DNS name (lower case, its last label starting with a
/// letter), or `http://` to `localhost` or `127.0.0.1`; an optional port 1 to 65535.
pub const ORIGIN_PATTERN: &str = r"^(https://([a-z0-9]+(-[a-z0-9]+)*\.)*[a-z][a-z0-9]*(-[a-z0-9]+)*|http://(localhost|127\.0\.0\.1))(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?$";

/// The most characters of an origin.
pub const MAX_ORIGIN_LEN: usize = 300;

/// Whether `label` is `[a-z0-9]+(-[a-z0-9]+)*`.
fn dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Whether `origin` follows [`ORIGIN_PATTERN`]: `scheme://host[:port]` as a browser sends it
/// in `Origin` (lower case, no path, no trailing slash).
pub fn valid_origin(origin: &str) -> bool {
    if origin.len() > MAX_ORIGIN_LEN {
        return false;
    }
    let (secure, rest) = if let Some(rest) = origin.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = origin.strip_prefix("http://") {
        (false, rest)
    } else {
        return false;
    };
    let (host, port) = match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let port_ok = port.is_none_or(|p| {
        !p.starts_with('0')
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65_535).contains(&n))
    });
    let host_ok = if secure {
        let labels: Vec<&str> = host.split('.').collect();
        labels.iter().all(|l| dns_label(l))
            && labels
                .last()
                .is_some_and(|l| l.bytes().next().is_some_and(|b| b.is_ascii_lowercase()))
    } else {
        matches!(host, "localhost" | "127.0.0.1")
    };
    port_ok && host_ok
}

/// `origin` as a browser sends it: without the scheme's default port (`:443`, `:80`).
pub fn normalized_origin(origin: &str) -> String {
    origin
        .strip_suffix(":443")
        .filter(|o| o.starts_with("https://"))
        .or_else(|| {
            origin
                .strip_suffix(":80")
                .filter(|o| o.starts_with("http://"))
        })
        .unwrap_or(origin)
        .to_owned()
}

/// Checks a registration; every problem is named by its field.
pub fn validate(app: &NewApp) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let text = |field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>| {
        if value.trim().is_empty() {
            errors.push(FieldError::new(field, "must not be empty"));
        } else if value.chars().count() > max {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
        } else if value.chars().any(char::is_control) {
            errors.push(FieldError::new(
                field,
                "must not contain control characters",
            ));
        }
    };
    text("name", &app.name, 100, &mut errors);
    text("contact", &app.contact, 254, &mut errors);
    if app.scopes.is_empty() || app.scopes.len() > Scope::ALL.len() {
        errors.push(FieldError::new("scopes", "must list 1 to 4 scopes"));
    }
    for (i, grant) in app.scopes.iter().enumerate() {
        if app.scopes[..i].iter().any(|g| g.scope == grant.scope) {
            errors.push(FieldError::new(
                format!("scopes[{i}].scope"),
                "is listed twice",
            ));
        }
        if grant.buildings.is_empty() && grant.properties.is_empty() {
            errors.push(FieldError::new(
                format!("scopes[{i}]"),
                "must name at least one building or property",
            ));
        }
        for (field, ids) in [
            ("buildings", &grant.buildings),
            ("properties", &grant.properties),
        ] {
            if ids.len() > MAX_IDS {
                errors.push(FieldError::new(
                    format!("scopes[{i}].{field}"),
                    format!("must list at most {MAX_IDS} ids"),
                ));
            }
            if let Some(j) = ids
                .iter()
                .position(|id| !crate::upstream::tampuuri::is_possible_id(*id))
            {
                errors.push(FieldError::new(
                    format!("scopes[{i}].{field}[{j}]"),
                    "is not a Tampuuri id",
                ));
            }
        }
    }
    if app.origins.len() > MAX_ORIGINS {
        errors.push(FieldError::new(
            "origins",
            format!("must list at most {MAX_ORIGINS}"),
        ));
    }
    for (i, origin) in app.origins.iter().enumerate() {
        if !valid_origin(origin) {
            errors.push(FieldError::new(
                format!("origins[{i}]"),
                "must be an origin: https://host[:port] (http only for localhost and 127.0.0.1), lower case, no path",
            ));
        }
    }
    if let Some(n) = app.rate_limit_per_minute
        && !(1..=6000).contains(&n)
    {
        errors.push(FieldError::new(
            "rate_limit_per_minute",
            "must be 1 to 6000",
        ));
    }
    if let Some(n) = app.rate_limit_burst
        && !(1..=1000).contains(&n)
    {
        errors.push(FieldError::new("rate_limit_burst", "must be 1 to 1000"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

impl RegisteredApp {
    /// Whether the app is in force.
    pub fn active(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// Its quota: requests per minute and burst.
    pub fn quota(&self, defaults: &OAuthSettings) -> (u32, u32) {
        (
            self.per_minute.unwrap_or(defaults.app_per_minute),
            self.burst.unwrap_or(defaults.app_burst),
        )
    }

    /// Its scopes, space-separated, in a fixed order.
    pub fn scope_string(&self) -> String {
        let mut scopes: Vec<Scope> = self.scopes.iter().map(|g| g.scope).collect();
        scopes.sort();
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether `scope` names `building` itself (no lookup needed).
    pub fn names_building(&self, scope: Scope, building: u64) -> bool {
        self.scopes
            .iter()
            .any(|g| g.scope == scope && g.buildings.contains(&building))
    }

    /// Whether `scope` covers the place `lineage` describes: its building is listed, or
    /// its property is.
    pub fn covers(&self, scope: Scope, lineage: &Lineage) -> bool {
        self.scopes.iter().filter(|g| g.scope == scope).any(|g| {
            lineage.building.is_some_and(|b| g.buildings.contains(&b))
                || lineage.property.is_some_and(|p| g.properties.contains(&p))
        })
    }

    /// The operator's view, with this month's calls.
    pub fn view(
        &self,
        defaults: &OAuthSettings,
        calls_this_month: u64,
        last_call_at: Option<i64>,
    ) -> AppView {
        let (rate_limit_per_minute, rate_limit_burst) = self.quota(defaults);
        AppView {
            client_id: self.client_id.clone(),
            account: self.account.clone(),
            name: self.name.clone(),
            contact: self.contact.clone(),
            scopes: self.scopes.clone(),
            origins: self.origins.clone(),
            rate_limit_per_minute,
            rate_limit_burst,
            created_at: time(self.created_at),
            secret_set_at: time(self.secret_set_at),
            revoked_at: self.revoked_at.map(time),
            calls_this_month,
            last_call_at: last_call_at.map(time),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> NewApp {
        NewApp {
            name: "Huolto".into(),
            contact: "it@huolto.example.fi".into(),
            scopes: vec![ScopeGrant {
                scope: Scope::FeedsRead,
                buildings: vec![100001],
                properties: vec![],
            }],
            origins: vec![
                "https://app.example.fi".into(),
                "http://localhost:5173".into(),
            ],
            rate_limit_per_minute: None,
            rate_limit_burst: None,
        }
    }

    #[test]
    fn a_registration_names_every_field_at_fault() {
        validate(&app()).unwrap();
        let mut bad = app();
        bad.name = " ".into();
        bad.scopes.push(bad.scopes[0].clone());
        bad.scopes[1].buildings.clear();
        bad.origins = vec![
            "http://app.example.fi".into(),
            "https://app.example.fi/".into(),
            "https://APP.example.fi".into(),
            "https://app.example.fi/path".into(),
        ];
        for good in [
            "https://app.example.fi",
            "https://tyot.huolto-virtanen.example.fi:8443",
            "http://localhost:5173",
            "http://127.0.0.1",
        ] {
            assert!(valid_origin(good), "{good}");
        }
        for bad in [
            "https://000000000000",
            "https://app.example.fi:0",
            "https://app.example.fi:65536",
            "https://app.example.fi:08443",
            "https://a--b.example.fi",
            "https://-a.example.fi",
            "https://app..fi",
            "https://user@app.example.fi",
            "ftp://app.example.fi",
        ] {
            assert!(!valid_origin(bad), "{bad}");
        }
        assert_eq!(
            normalized_origin("https://app.example.fi:443"),
            "https://app.example.fi"
        );
        assert_eq!(normalized_origin("http://localhost:80"), "http://localhost");
        let document = serde_json::to_value(crate::http::openapi_document()).unwrap();
        assert_eq!(
            document["components"]["schemas"]["WebOrigin"]["pattern"], ORIGIN_PATTERN,
            "the API document states the rule valid_origin implements"
        );
        assert_eq!(
            normalized_origin("http://localhost:8080"),
            "http://localhost:8080"
        );
        bad.rate_limit_burst = Some(0);
        let fields: Vec<String> = validate(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "name",
                "scopes[1].scope",
                "scopes[1]",
                "origins[0]",
                "origins[1]",
                "origins[2]",
                "origins[3]",
                "rate_limit_burst"
            ]
        );
    }

    #[test]
    fn scopes_cover_their_buildings_and_their_properties_buildings() {
        let mut a = RegisteredApp {
            client_id: "rappu-app-0000000000000000".into(),
            account: "demo".into(),
            name: "n".into(),
            contact: "c".into(),
            scopes: vec![
                ScopeGrant {
                    scope: Scope::FeedsRead,
                    buildings: vec![10],
                    properties: vec![],
                },
                ScopeGrant {
                    scope: Scope::ReportsRead,
                    buildings: vec![],
                    properties: vec![1],
                },
            ],
            origins: vec![],
            per_minute: None,
            burst: None,
            secret_hash: String::new(),
            secret_set_at: 0,
            created_at: 0,
            created_by: "cli".into(),
            updated_at: 0,
            revoked_at: None,
        };
        let place = |building, property| Lineage {
            object: 99,
            building: Some(building),
            property: Some(property),
        };
        assert!(a.covers(Scope::FeedsRead, &place(10, 1)));
        assert!(
            !a.covers(Scope::FeedsRead, &place(11, 1)),
            "the property is not in feeds:read"
        );
        assert!(a.covers(Scope::ReportsRead, &place(11, 1)));
        assert!(!a.covers(Scope::ReportsRead, &place(11, 2)));
        assert!(!a.covers(Scope::WorkOrdersWrite, &place(10, 1)));
        assert!(a.names_building(Scope::FeedsRead, 10));
        assert_eq!(a.scope_string(), "feeds:read reports:read");
        a.revoked_at = Some(1);
        assert!(!a.active());
    }
}
