//! What each `rappu` subcommand does.

use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use rappu_shared::Grant;

use crate::auth::{KeyRing, RevocationList, TokenRequest, Tokens, keys};
use crate::cli::{
    Cli, Command, CommonArgs, KeysCommand, LinkArgs, MintArgs, ServeArgs, SimArgs, TokenCommand,
};
use crate::config::Settings;
use crate::startup::{Application, shutdown_signal};
use crate::store::Store;
use crate::store::revocations::IssuedToken;
use crate::store::signing_keys;
use crate::{demo, embedded, http, telemetry};

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Serve(args) => serve(load(config, Some(&args.common))?, args).await,
        Command::Sim(args) => sim(args).await,
        Command::Token(cmd) => token(config, cmd),
        Command::Keys(cmd) => keys_command(config, cmd),
        Command::App(cmd) => crate::apps::cli::run(cmd, |c| load(config, Some(c)), pick_account),
        Command::EnrollDisplay {
            building,
            staircase,
            label,
            link,
        } => {
            let subject = label.unwrap_or_else(|| format!("display-{building}"));
            print_link(
                config,
                link,
                Grant::Display {
                    building,
                    staircase,
                },
                subject,
            )
        }
        Command::LoginLink {
            party,
            apartment,
            link,
        } => print_link(
            config,
            link,
            Grant::Resident { party, apartment },
            format!("resident-{party}"),
        ),
        Command::AdminLink { subject, link } => print_link(
            config,
            link,
            Grant::Admin,
            format!("console:{}", subject.trim()),
        ),
        Command::VerifyUpstream {
            account,
            write_test_object,
            json,
            common,
        } => {
            let settings = load(config, Some(&common))?;
            crate::verify::command(settings, account, write_test_object, json).await
        }
        Command::CheckConfig(common) => {
            let settings = load(config, Some(&common))?;
            println!("configuration is valid");
            for name in crate::config::ignored_env_vars() {
                println!(
                    "note: {name} is not a Rappu setting (settings are RAPPU_<SECTION>__<KEY>)"
                );
            }
            println!("{}", toml_like(&settings)?);
            Ok(())
        }
        Command::Openapi => {
            println!("{}", http::openapi_document().to_pretty_json()?);
            Ok(())
        }
        Command::Plan(args) => plan(load(config, None)?, &args),
    }
}

/// `rappu plan`: the cost model of [`crate::plan`] with the configured cadences and prices.
fn plan(settings: Settings, args: &crate::cli::PlanArgs) -> anyhow::Result<()> {
    use crate::plan::{Fleet, bills, estimate};
    let typical = Fleet::typical(args.buildings);
    let fleet = Fleet {
        properties: args.properties.unwrap_or(typical.properties).max(1),
        buildings: args.buildings,
        staircases: typical.staircases,
        apartments: args.apartments.unwrap_or(typical.apartments),
        residents: args.residents.unwrap_or(typical.residents),
        displays: args.displays.unwrap_or(typical.displays),
        portal_users: args.portal_users.unwrap_or(typical.portal_users),
        announcements: args.announcements.unwrap_or(typical.announcements),
        unclosed_reports: typical.unclosed_reports,
        changes_per_month: args.changes_per_month.unwrap_or(typical.changes_per_month),
        restarts_per_month: args.restarts_per_month,
        webhooks: args.webhooks.as_deref() != Some("off"),
    };
    let e = estimate(&fleet, &settings.mirror);
    let package = match args.package.as_deref() {
        Some("standard") => crate::pricing::Package::Standard,
        Some("business") => crate::pricing::Package::Business,
        Some(_) => crate::pricing::Package::Normal,
        None => settings.usage.package,
    };
    let configured = (package == settings.usage.package).then(|| settings.usage.prices());
    let bills = bills(
        e.total,
        Some((package, configured.unwrap_or(package.prices()))),
    );
    if args.json {
        let out = serde_json::json!({
            "fleet": e.fleet,
            "changes": e.mix,
            "calls_per_month": { "total": e.total, "by_kind": e.by_kind },
            "lost_webhook_repaired_within_secs": e.lost_webhook_repaired_within_secs,
            "package": package.name(),
            "monthly_budget_calls": settings.usage.budget_calls(),
            "bills": bills,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let f = &e.fleet;
    let m = &e.mix;
    println!(
        "fleet: {} buildings in {} housing companies, {} apartments, {} residents, {} displays, {} portal users, {} announcements",
        f.buildings,
        f.properties,
        f.apartments,
        f.residents,
        f.displays,
        f.portal_users,
        f.announcements
    );
    println!(
        "a month: {} change notifications ({} moves, {} privacy changes, {} announcement changes, {} new reports, {} report state changes, {} partner transitions), {} restarts; webhooks {}",
        f.changes_per_month,
        m.moves,
        m.privacy,
        m.announcements,
        m.new_reports,
        m.report_changes,
        m.transitions,
        f.restarts_per_month,
        if f.webhooks { "on" } else { "off" }
    );
    let s = &settings.mirror;
    println!(
        "cadences: people and reports every {} s, announcements every {} s, registry every {} s",
        s.people_every(f.webhooks).as_secs(),
        s.news_every(f.webhooks).as_secs(),
        s.registry_every().as_secs()
    );
    println!("\nTampuuri calls a 30-day month:");
    for (kind, calls) in &e.by_kind {
        println!("  {kind:<18} {calls:>10}");
    }
    println!("  {:<18} {:>10}", "total", e.total);
    println!("  displays and portal reads: 0 (served from the account mirror)");
    println!(
        "  a lost webhook is repaired within {} s (the people and reports sweep)",
        e.lost_webhook_repaired_within_secs
    );
    println!("\nthe bill:");
    for b in &bills {
        let mark = if b.package == package.name() {
            "  <- in use"
        } else {
            ""
        };
        println!(
            "  {:<9} {:>10.2} € ({} calls over the included){mark}",
            b.package, b.eur, b.extra_calls
        );
    }
    let budget = settings.usage.budget_calls();
    if e.total > budget {
        println!(
            "\nwarning: {} calls a month is over the budget of {budget} ([usage] monthly_budget_calls): past it, only writes and privacy changes go upstream",
            e.total
        );
    }
    Ok(())
}

fn load(config: Option<&std::path::Path>, common: Option<&CommonArgs>) -> anyhow::Result<Settings> {
    let mut settings = Settings::load(config)?;
    if let Some(dir) = common.and_then(|c| c.data_dir.clone()) {
        settings.data_dir = dir;
    }
    Ok(settings)
}

fn toml_like(settings: &Settings) -> anyhow::Result<String> {
    // Secrets serialize as "[redacted]" (see config.rs).
    Ok(serde_json::to_string_pretty(settings)?)
}

async fn serve(mut settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(addr) = args.addr {
        settings.server.addr = addr;
    }
    if let Some(dir) = args.web_dir {
        settings.web_dir = dir;
    }
    if let Some(n) = args.properties {
        settings.simulator.properties = n;
    }
    settings.validate()?;
    telemetry::init(&settings.log);
    if !settings.web_dir.join("index.html").is_file() {
        tracing::warn!(web_dir = %settings.web_dir.display(), "the web app is not built; run scripts/build-web");
    }
    let app = Application::build(settings).await?;
    let info = demo::ReadyInfo::collect(&app)?;
    println!("{}", info.banner());
    if let Some(path) = &args.ready_file {
        let json = serde_json::to_vec_pretty(&info)?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, json).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    }
    app.run(shutdown_signal()).await
}

async fn sim(args: SimArgs) -> anyhow::Result<()> {
    telemetry::init(&Settings::default().log);
    let config = crate::embedded::with_dialect(
        rappu_sim::SimConfig::demo_sized(args.properties, args.seed)
            .with_buildings_per_property(args.buildings_per_property.map(usize::from)),
        &args.dialect,
    );
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    print!("{}", config.banner(listener.local_addr()?));
    let simulator = rappu_sim::Simulator::new(config);
    rappu_sim::serve(listener, simulator, shutdown_signal()).await?;
    Ok(())
}

/// Everything `rappu token` needs: keys (generated on first use), the store, the accounts.
fn token_service(settings: &Settings) -> anyhow::Result<(Tokens, Store)> {
    let keys =
        KeyRing::load_or_generate(&settings.keys_dir(), settings.auth.signing_kid.as_deref())?;
    let store = Store::from_settings(settings)?;
    let tokens = Tokens::new(
        &settings.auth,
        keys,
        embedded::account_names(settings),
        RevocationList::default(),
    );
    // A retired key signs nothing, here either; this directory's keys verify everywhere.
    keys::publish_blocking(&tokens, &store)?;
    Ok((tokens, store))
}

/// Mints a token and records it, so it can be listed and revoked.
pub fn mint_and_record(
    tokens: &Tokens,
    store: &Store,
    request: TokenRequest,
) -> anyhow::Result<crate::auth::MintedToken> {
    let minted = tokens.mint(request)?;
    store.record_issued_blocking(&IssuedToken::from_claims(&minted.claims))?;
    Ok(minted)
}

/// `--account`, or the first configured account; an unknown account is an error.
fn pick_account(settings: &Settings, account: Option<String>) -> anyhow::Result<String> {
    let accounts = embedded::account_names(settings);
    let account = match account {
        Some(a) => a,
        None => accounts
            .first()
            .cloned()
            .context("no Tampuuri account is configured")?,
    };
    if !accounts.contains(&account) {
        bail!(
            "--account: {account:?} is not configured (configured: {})",
            accounts.join(", ")
        );
    }
    Ok(account)
}

fn default_ttl(grant: &Grant) -> Duration {
    let days = match grant {
        Grant::Display { .. } => 365,
        Grant::Resident { .. } => 30,
        Grant::Partner { .. } => 90,
        Grant::Admin => 1,
        // Apps get theirs at POST /oauth/token; one minted by hand lives an hour.
        Grant::App { .. } => return Duration::from_secs(3600),
    };
    Duration::from_secs(days * 86_400)
}

fn token(config: Option<&std::path::Path>, cmd: TokenCommand) -> anyhow::Result<()> {
    let (grant, mint) = match cmd {
        TokenCommand::Display {
            building,
            staircase,
            mint,
        } => (
            Grant::Display {
                building,
                staircase,
            },
            mint,
        ),
        TokenCommand::Resident {
            party,
            apartment,
            mint,
        } => (Grant::Resident { party, apartment }, mint),
        TokenCommand::Partner { assignee, mint } => (Grant::Partner { assignee }, mint),
        TokenCommand::Admin { mint } => (Grant::Admin, mint),
        TokenCommand::List(common) => return list_tokens(&load(config, Some(&common))?),
        TokenCommand::Revoke {
            jti,
            reason,
            common,
        } => {
            let settings = load(config, Some(&common))?;
            let store = Store::from_settings(&settings)?;
            let fresh = store.revoke_blocking(&jti, Utc::now().timestamp(), reason.as_deref())?;
            if fresh {
                println!(
                    "revoked {jti}; a running gateway refuses it within {} s",
                    settings.auth.revocation_refresh_secs
                );
            } else {
                println!("{jti} was already revoked");
            }
            return Ok(());
        }
    };
    let MintArgs {
        account,
        subject,
        ttl,
        common,
    } = mint;
    let settings = load(config, Some(&common))?;
    let (tokens, store) = token_service(&settings)?;
    let account = pick_account(&settings, account)?;
    let subject = subject.unwrap_or_else(|| default_subject(&grant));
    let ttl = ttl.unwrap_or_else(|| default_ttl(&grant));
    let minted = mint_and_record(
        &tokens,
        &store,
        TokenRequest {
            subject,
            account,
            grant,
            ttl,
        },
    )?;
    eprintln!(
        "token {} for {} ({}), expires {}",
        minted.claims.jti,
        minted.claims.sub,
        minted.claims.grant.role(),
        format_time(minted.claims.exp)
    );
    println!("{}", minted.token);
    Ok(())
}

fn default_subject(grant: &Grant) -> String {
    match grant {
        Grant::Display {
            building,
            staircase: Some(s),
        } => format!("display-{building}-{s}"),
        Grant::Display {
            building,
            staircase: None,
        } => format!("display-{building}"),
        Grant::Resident { party, .. } => format!("resident-{party}"),
        Grant::Partner { assignee } => format!("partner-{assignee}"),
        Grant::Admin => "admin".into(),
        Grant::App { client_id, .. } => client_id.clone(),
    }
}

fn format_time(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| unix.to_string())
}

fn list_tokens(settings: &Settings) -> anyhow::Result<()> {
    let store = Store::from_settings(settings)?;
    let tokens = store.list_issued_blocking(Utc::now().timestamp())?;
    if tokens.is_empty() {
        println!("no unexpired tokens");
    }
    for t in tokens {
        println!(
            "{}  {:<8} {:<10} {:<28} expires {}{}",
            t.jti,
            t.role,
            t.account,
            t.subject,
            format_time(t.expires_at),
            if t.revoked { "  REVOKED" } else { "" }
        );
    }
    Ok(())
}

fn print_link(
    config: Option<&std::path::Path>,
    args: LinkArgs,
    grant: Grant,
    subject: String,
) -> anyhow::Result<()> {
    let settings = load(config, Some(&args.common))?;
    let account = pick_account(&settings, args.account)?;
    let public_url = args
        .public_url
        .unwrap_or_else(|| settings.public_url(settings.server.addr));
    let store = Store::from_settings(&settings)?;
    let link = crate::sessions::create_link_blocking(
        &store,
        crate::sessions::LinkRequest {
            public_url: public_url.trim_end_matches('/'),
            account: &account,
            grant,
            subject,
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!(
        "one-time link, valid until {} (or until used):",
        link.expires_at.format("%Y-%m-%d %H:%M UTC")
    );
    println!("{}", link.url);
    Ok(())
}

fn keys_command(config: Option<&std::path::Path>, cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Generate(common) => {
            let settings = load(config, Some(&common))?;
            let dir = settings.keys_dir();
            let kid = keys::generate(&dir)?;
            let ring = KeyRing::load(&dir, settings.auth.signing_kid.as_deref())?;
            let public = ring
                .local_keys()
                .find(|(k, _)| *k == kid)
                .map(|(_, key)| *key)
                .ok_or_else(|| anyhow::anyhow!("the new key {kid} is not in {}", dir.display()))?;
            let now = chrono::Utc::now().timestamp();
            let kid_for_store = kid.clone();
            Store::from_settings(&settings)
                .map_err(anyhow::Error::from)
                .and_then(|store| {
                    store
                        .call_blocking(move |c| {
                            signing_keys::publish(c, &kid_for_store, &public, now).map(|_| ())
                        })
                        .map_err(anyhow::Error::from)
                })
                .with_context(|| {
                    format!(
                        "generated key {kid} in {} but could not publish it; a gateway \
                         publishes it when it starts with it",
                        dir.display()
                    )
                })?;
            println!(
                "generated key {kid} in {}; every replica verifies it from now on",
                dir.display()
            );
            println!(
                "it signs once the gateways using this directory restart; retire the old key \
                 (rappu keys retire KID) when its tokens have expired"
            );
        }
        KeysCommand::List(common) => {
            let settings = load(config, Some(&common))?;
            let store = Store::from_settings(&settings)?;
            let shared = store.call_blocking(signing_keys::all)?;
            let ring = KeyRing::load(&settings.keys_dir(), settings.auth.signing_kid.as_deref())?
                .with_shared(&shared);
            for line in key_list(&ring, &shared) {
                println!("{line}");
            }
        }
        KeysCommand::Retire { kid, force, common } => {
            let settings = load(config, Some(&common))?;
            let store = Store::from_settings(&settings)?;
            let dir = settings.keys_dir();
            let shared = store.call_blocking(signing_keys::all)?;
            let ring =
                KeyRing::load(&dir, settings.auth.signing_kid.as_deref())?.with_shared(&shared);
            let local = ring
                .local_keys()
                .find(|(k, _)| *k == kid)
                .map(|(_, key)| *key);
            if local.is_none() && !shared.iter().any(|k| k.kid == kid) {
                anyhow::bail!("no key {kid} in {} or in the database", dir.display());
            }
            let mut after = shared.clone();
            after.retain(|k| k.kid != kid);
            after.push(signing_keys::SharedKey {
                kid: kid.clone(),
                public: local.unwrap_or_default(),
                published_at: 0,
                retired_at: Some(0),
            });
            let signer = ring
                .with_shared(&after)
                .signing()
                .map(|(k, _)| k.to_owned());
            if signer.is_none() && !force {
                anyhow::bail!(
                    "retiring {kid} leaves {} no key to sign tokens with: generate a new key \
                     first (rappu keys generate) and restart the gateways, or pass --force",
                    dir.display()
                );
            }
            let now = chrono::Utc::now().timestamp();
            let retired = store.call_blocking(move |c| {
                if let Some(public) = local {
                    // Recorded as retired even if no gateway ever published it.
                    signing_keys::publish(c, &kid, &public, now)?;
                }
                Ok((kid.clone(), signing_keys::retire(c, &kid, now)?))
            })?;
            match retired {
                (kid, signing_keys::Retired::Now) => {
                    println!(
                        "retired {kid}: every gateway refuses its tokens from now on (within a \
                         second on PostgreSQL, within auth.revocation_refresh_secs on SQLite)"
                    );
                    match signer {
                        Some(signer) => println!("{signer} signs new tokens here"),
                        None => println!("no key in {} signs any more", dir.display()),
                    }
                    println!("delete its files from every key directory");
                }
                (kid, signing_keys::Retired::Already(at)) => {
                    println!("{kid} was retired already, at {}", format_time(at));
                }
                (kid, signing_keys::Retired::Unknown) => {
                    anyhow::bail!("no key {kid} in the database");
                }
            }
        }
    }
    Ok(())
}

/// `rappu keys list`: each key with what it does here and in the database.
fn key_list(ring: &KeyRing, shared: &[signing_keys::SharedKey]) -> Vec<String> {
    let local: std::collections::BTreeSet<&str> = ring.local_keys().map(|(k, _)| k).collect();
    let mut kids: std::collections::BTreeSet<&str> = local.clone();
    kids.extend(shared.iter().map(|k| k.kid.as_str()));
    let signing = ring.signing().map(|(kid, _)| kid);
    kids.into_iter()
        .map(|kid| {
            let mut marks = Vec::new();
            if Some(kid) == signing {
                marks.push("signs".to_owned());
            }
            if local.contains(kid) {
                marks.push("in the key directory".to_owned());
            }
            match shared.iter().find(|k| k.kid == kid) {
                Some(k) => match k.retired_at {
                    Some(at) => marks.push(format!("retired {}", format_time(at))),
                    None => marks.push(format!("published {}", format_time(k.published_at))),
                },
                None => marks.push("not published yet (a gateway publishes it at start)".into()),
            }
            format!("{kid}  ({})", marks.join(", "))
        })
        .collect()
}
