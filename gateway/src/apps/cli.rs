//! `rappu app ...`: register, list, rotate and revoke third-party apps from the command
//! line (on the data directory; a running gateway picks changes up within
//! `oauth.refresh_secs`).

use anyhow::{Context, bail};
use clap::Subcommand;
use rappu_shared::apps::{NewApp, Scope, ScopeGrant};
use secrecy::ExposeSecret;

use super::registry::{self, RegisteredApp};
use super::secret;
use crate::cli::CommonArgs;
use crate::config::Settings;
use crate::store::Store;

/// `rappu app ...`.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an app. Prints its client id and secret: the secret is shown only now.
    Create {
        /// The app's name, e.g. `Huolto-Virtanen työnohjaus`.
        #[arg(long)]
        name: String,
        /// Who answers for it (email or phone).
        #[arg(long)]
        contact: String,
        /// A scope and where it applies, e.g. `feeds:read=building:100001,property:100000`
        /// (scopes: feeds:read, announcements:read, reports:read, work-orders:write).
        /// Repeat for more scopes.
        #[arg(long = "scope", value_name = "SCOPE=PLACES", required = true)]
        scopes: Vec<String>,
        /// A browser origin its front-end runs on (`https://host[:port]`); repeat for more.
        #[arg(long = "origin")]
        origins: Vec<String>,
        /// Its requests per minute (default `oauth.app_per_minute`).
        #[arg(long)]
        per_minute: Option<u32>,
        /// Its burst (default `oauth.app_burst`).
        #[arg(long)]
        burst: Option<u32>,
        /// Tampuuri account. Default: the first configured account.
        #[arg(long)]
        account: Option<String>,
        #[command(flatten)]
        #[allow(missing_docs)]
        common: CommonArgs,
    },
    /// List the registered apps.
    List(CommonArgs),
    /// Give an app a new secret (printed now); the old secret and its tokens stop working.
    Rotate {
        /// The client id.
        client_id: String,
        #[command(flatten)]
        #[allow(missing_docs)]
        common: CommonArgs,
    },
    /// Revoke an app: its secret and its tokens stop working.
    Revoke {
        /// The client id.
        client_id: String,
        #[command(flatten)]
        #[allow(missing_docs)]
        common: CommonArgs,
    },
}

/// `feeds:read=building:1,property:2`.
pub fn parse_scope(text: &str) -> anyhow::Result<ScopeGrant> {
    let (name, places) = text
        .split_once('=')
        .with_context(|| format!("--scope {text:?}: write SCOPE=building:ID,property:ID"))?;
    let scope = Scope::parse(name.trim()).with_context(|| {
        format!("--scope {text:?}: {name:?} is not one of feeds:read, announcements:read, reports:read, work-orders:write")
    })?;
    let mut grant = ScopeGrant {
        scope,
        buildings: Vec::new(),
        properties: Vec::new(),
    };
    for place in places.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (kind, id) = place.split_once(':').with_context(|| {
            format!("--scope {text:?}: {place:?} is not building:ID or property:ID")
        })?;
        let id: u64 = id
            .trim()
            .parse()
            .with_context(|| format!("--scope {text:?}: {id:?} is not an id"))?;
        match kind.trim() {
            "building" => grant.buildings.push(id),
            "property" => grant.properties.push(id),
            other => bail!("--scope {text:?}: {other:?} is neither building nor property"),
        }
    }
    Ok(grant)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn show(app: &RegisteredApp, settings: &Settings) {
    let view = app.view(&settings.oauth, 0, None);
    let scopes: Vec<String> = view
        .scopes
        .iter()
        .map(|g| {
            let places: Vec<String> = g
                .buildings
                .iter()
                .map(|b| format!("building:{b}"))
                .chain(g.properties.iter().map(|p| format!("property:{p}")))
                .collect();
            format!("{}={}", g.scope.as_str(), places.join(","))
        })
        .collect();
    println!(
        "{}  {:<10} {:<30} {}/min{}\n    scopes: {}\n    origins: {}",
        view.client_id,
        view.account,
        view.name,
        view.rate_limit_per_minute,
        if view.revoked_at.is_some() {
            "  REVOKED"
        } else {
            ""
        },
        scopes.join(" "),
        if view.origins.is_empty() {
            "-".to_owned()
        } else {
            view.origins.join(" ")
        },
    );
}

/// Runs `rappu app ...` with `load` giving the settings for the command's `--data-dir`.
pub fn run(
    cmd: AppCommand,
    load: impl Fn(&CommonArgs) -> anyhow::Result<Settings>,
    pick_account: impl Fn(&Settings, Option<String>) -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    match cmd {
        AppCommand::Create {
            name,
            contact,
            scopes,
            origins,
            per_minute,
            burst,
            account,
            common,
        } => {
            let settings = load(&common)?;
            let account = pick_account(&settings, account)?;
            let new = NewApp {
                name,
                contact,
                scopes: scopes
                    .iter()
                    .map(|s| parse_scope(s))
                    .collect::<anyhow::Result<_>>()?,
                origins,
                rate_limit_per_minute: per_minute,
                rate_limit_burst: burst,
            };
            if let Err(errors) = registry::validate(&new) {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect();
                bail!("the app is not valid:\n  {}", lines.join("\n  "));
            }
            let (secret, hash) = secret::new_secret().map_err(|e| anyhow::anyhow!(e))?;
            let at = now();
            let app = RegisteredApp {
                client_id: secret::new_client_id(),
                account,
                name: new.name.trim().to_owned(),
                contact: new.contact.trim().to_owned(),
                scopes: new.scopes,
                origins: new
                    .origins
                    .iter()
                    .map(|o| registry::normalized_origin(o))
                    .collect(),
                per_minute: new.rate_limit_per_minute,
                burst: new.rate_limit_burst,
                secret_hash: hash,
                secret_set_at: at,
                created_at: at,
                created_by: "cli".into(),
                updated_at: at,
                revoked_at: None,
            };
            let store = Store::open(&settings.database_path())?;
            store.call_blocking(|c| crate::store::apps::insert(c, &app))?;
            show(&app, &settings);
            eprintln!(
                "the secret is shown only now; give it to the app's developer over a safe channel:"
            );
            println!(
                "client_id={}\nclient_secret={}",
                app.client_id,
                secret.expose_secret()
            );
        }
        AppCommand::List(common) => {
            let settings = load(&common)?;
            let store = Store::open(&settings.database_path())?;
            let apps = store.call_blocking(|c| crate::store::apps::all(c))?;
            if apps.is_empty() {
                println!("no apps registered");
            }
            for app in &apps {
                show(app, &settings);
            }
        }
        AppCommand::Rotate { client_id, common } => {
            let settings = load(&common)?;
            let store = Store::open(&settings.database_path())?;
            let (secret, hash) = secret::new_secret().map_err(|e| anyhow::anyhow!(e))?;
            let revoked = store
                .call_blocking(|c| crate::store::apps::rotate(c, &client_id, &hash, now()))?
                .with_context(|| format!("no app {client_id} in force"))?;
            eprintln!(
                "new secret for {client_id}; the old one and {} token(s) stop working within {} s:",
                revoked.len(),
                settings
                    .oauth
                    .refresh_secs
                    .max(settings.auth.revocation_refresh_secs)
            );
            println!("client_secret={}", secret.expose_secret());
        }
        AppCommand::Revoke { client_id, common } => {
            let settings = load(&common)?;
            let store = Store::open(&settings.database_path())?;
            let revoked = store
                .call_blocking(|c| crate::store::apps::revoke(c, &client_id, now()))?
                .with_context(|| format!("no app {client_id}"))?;
            println!(
                "revoked {client_id} and {} token(s); a running gateway refuses them within {} s",
                revoked.len(),
                settings
                    .oauth
                    .refresh_secs
                    .max(settings.auth.revocation_refresh_secs)
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_from_the_command_line() {
        let g = parse_scope("feeds:read=building:100001, property:100000").unwrap();
        assert_eq!(g.scope, Scope::FeedsRead);
        assert_eq!((g.buildings, g.properties), (vec![100001], vec![100000]));
        for bad in [
            "feeds:read",
            "root=building:1",
            "feeds:read=house:1",
            "feeds:read=building:x",
        ] {
            assert!(parse_scope(bad).is_err(), "{bad}");
        }
    }
}
