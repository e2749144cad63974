//! What `rappu serve` prints when it is ready, and writes to `--ready-file`: the URLs and,
//! in demo mode, ready-to-use credentials for every role against the simulated data.

use std::time::Duration;

use rappu_shared::Grant;
use serde::Serialize;

use crate::auth::TokenRequest;
use crate::commands::mint_and_record;
use crate::startup::Application;
use crate::state::UpstreamMode;

/// URLs and demo credentials of a started instance.
#[derive(Debug, Serialize)]
pub struct ReadyInfo {
    /// Base URL.
    pub url: String,
    /// The stairwell display page.
    pub display_url: String,
    /// The resident portal.
    pub portal_url: String,
    /// Interactive API documentation.
    pub docs_url: String,
    /// The OpenAPI document.
    pub openapi_url: String,
    /// `GET /metrics` on the metrics listener, when metrics are on.
    pub metrics_url: Option<String>,
    /// `tampuuri` or `embedded-simulator`.
    pub mode: &'static str,
    /// The embedded simulator's loopback address (demo mode only; tests use its admin routes).
    pub simulator_url: Option<String>,
    /// Demo credentials (demo mode only).
    pub credentials: Vec<DemoCredential>,
    /// One-time link that enrols a browser as the demo building's display (demo mode only).
    pub display_enrolment_url: Option<String>,
}

/// One demo token.
#[derive(Debug, Serialize)]
pub struct DemoCredential {
    /// What it is for.
    pub label: String,
    /// Role and scope.
    pub grant: Grant,
    /// The Tampuuri account.
    pub account: String,
    /// The bearer token.
    pub token: String,
}

/// Demo tokens live a week: long enough for a demo, short enough not to matter.
const DEMO_TTL: Duration = Duration::from_secs(7 * 86_400);

impl ReadyInfo {
    /// Collects URLs and, in demo mode, mints one token per role.
    pub fn collect(app: &Application) -> anyhow::Result<Self> {
        let url = app.public_url();
        let state = app.state();
        let mut credentials = Vec::new();
        let mut display_enrolment_url = None;
        let mode = match &state.mode {
            UpstreamMode::Tampuuri => "tampuuri",
            UpstreamMode::Embedded(sim) => {
                for (label, account, grant) in demo_grants(sim) {
                    let minted = mint_and_record(
                        &state.tokens,
                        &state.store,
                        TokenRequest {
                            subject: format!("demo-{}", grant.role()),
                            account: account.clone(),
                            grant: grant.clone(),
                            ttl: DEMO_TTL,
                        },
                    )?;
                    if display_enrolment_url.is_none()
                        && matches!(
                            grant,
                            Grant::Display {
                                staircase: None,
                                ..
                            }
                        )
                    {
                        let link = crate::sessions::create_link_blocking(
                            &state.store,
                            crate::sessions::LinkRequest {
                                public_url: &state.public_url,
                                account: &account,
                                grant: grant.clone(),
                                subject: "demo-display".into(),
                            },
                        )
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                        display_enrolment_url = Some(link.url);
                    }
                    credentials.push(DemoCredential {
                        label,
                        grant,
                        account,
                        token: minted.token,
                    });
                }
                "embedded-simulator"
            }
        };
        Ok(Self {
            display_url: format!("{url}/display"),
            portal_url: format!("{url}/portal"),
            docs_url: format!("{url}/docs/"),
            openapi_url: format!("{url}/openapi.json"),
            simulator_url: app.simulator_addr().map(|a| format!("http://{a}")),
            metrics_url: app.metrics_addr().map(|a| format!("http://{a}/metrics")),
            url,
            mode,
            credentials,
            display_enrolment_url,
        })
    }

    /// A banner for the terminal.
    pub fn banner(&self) -> String {
        let mut out = format!(
            "\nRappu is running ({})\n  display page  {}\n  portal        {}\n  API docs      {}\n  OpenAPI       {}\n",
            self.mode, self.display_url, self.portal_url, self.docs_url, self.openapi_url
        );
        if let Some(url) = &self.metrics_url {
            out.push_str(&format!("  metrics       {url}\n"));
        }
        if let Some(url) = &self.display_enrolment_url {
            out.push_str(&format!(
                "\nOpen once on the stairwell display (one-time enrolment link):\n  {url}\nResidents sign in at the portal by picking a demo resident.\n"
            ));
        }
        if !self.credentials.is_empty() {
            out.push_str(
                "\nDemo credentials (simulated data; use as `Authorization: Bearer <token>`):\n",
            );
            for c in &self.credentials {
                out.push_str(&format!("\n  {} [{}]\n  {}\n", c.label, c.account, c.token));
            }
            out.push_str(&format!(
                "\nTry: curl -H \"Authorization: Bearer $TOKEN\" {}/api/v1/me\n",
                self.url
            ));
        }
        out
    }
}

fn id(v: i64) -> Option<u64> {
    u64::try_from(v).ok()
}

/// One grant per role on the first simulated account's first property.
fn demo_grants(sim: &rappu_sim::Simulator) -> Vec<(String, String, Grant)> {
    let mut out = Vec::new();
    let account = "demo".to_owned();
    let Some(summary) = sim.summary(&account) else {
        return out;
    };
    out.push(("Admin (operator)".to_owned(), account.clone(), Grant::Admin));
    if let Some(property) = summary.properties.first()
        && let Some(building) = property.buildings.first()
        && let Some(building_id) = id(building.id)
    {
        out.push((
            format!("Display: {}, {}", property.name, building.address),
            account.clone(),
            Grant::Display {
                building: building_id,
                staircase: None,
            },
        ));
        if let Some(staircase) = building.staircases.first().and_then(|s| id(s.id)) {
            out.push((
                format!(
                    "Display: {}, staircase {}",
                    building.address, building.staircases[0].letter
                ),
                account.clone(),
                Grant::Display {
                    building: building_id,
                    staircase: Some(staircase),
                },
            ));
        }
        if let Some(assignee) = property.maintenance_company_id.and_then(id) {
            out.push((
                format!("Maintenance partner of {}", property.name),
                account.clone(),
                Grant::Partner { assignee },
            ));
        }
    }
    if let Some(resident) = summary.residents.plain.first()
        && let (Some(party), Some(apartment)) = (id(resident.party_id), id(resident.apartment_id))
    {
        out.push((
            "Resident".to_owned(),
            account.clone(),
            Grant::Resident { party, apartment },
        ));
    }
    out
}
