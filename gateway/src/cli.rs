//! The `rappu` command line: the one entry point users meet.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Rappu: Tampuuri property data for stairwell displays, residents and maintenance partners,
/// behind a secure, cached, rate-limited API.
///
/// Settings come from defaults, then a TOML file (`--config`, or `./rappu.toml` when present),
/// then `RAPPU_*` environment variables (`RAPPU_SERVER__ADDR=0.0.0.0:8080`), then flags.
/// With no `[tampuuri]` settings Rappu runs its Tampuuri simulator in-process (demo mode).
#[derive(Debug, Parser)]
#[command(name = "rappu", version, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "RAPPU_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (and the embedded simulator when no Tampuuri is configured).
    Serve(ServeArgs),
    /// Run the Tampuuri simulator alone.
    Sim(SimArgs),
    /// Mint, list or revoke access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Register and manage third-party apps (OAuth 2.0 client credentials).
    #[command(subcommand)]
    App(crate::apps::cli::AppCommand),
    /// Print a one-time enrolment link for a stairwell display (open it once on the display).
    EnrollDisplay {
        /// Building object id.
        #[arg(long)]
        building: u64,
        /// Staircase object id, for a display that shows one staircase.
        #[arg(long)]
        staircase: Option<u64>,
        /// A name for the display, e.g. `Koivukuja 3 A`.
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        #[allow(missing_docs)]
        link: LinkArgs,
    },
    /// Print a one-time login link for a resident (valid for a day).
    LoginLink {
        /// Party id of the resident.
        #[arg(long)]
        party: u64,
        /// Apartment object id.
        #[arg(long)]
        apartment: u64,
        #[command(flatten)]
        #[allow(missing_docs)]
        link: LinkArgs,
    },
    /// Print a one-time sign-in link to the operator's console (valid 15 minutes); opening
    /// it gives that browser an admin session for 12 hours.
    AdminLink {
        /// Who signs in, for the record (`sub` of the session), e.g. `maija@example.fi`.
        #[arg(long, default_value = "operator")]
        subject: String,
        #[command(flatten)]
        #[allow(missing_docs)]
        link: LinkArgs,
    },
    /// The go-live check: at most 25 read-only calls to the configured Tampuuri account, and a
    /// report of what it found (routes, fields, privacy fields, differences from what Rappu
    /// assumed). Without `[tampuuri]` settings it checks the embedded simulator.
    VerifyUpstream {
        /// The account (default: the only one, or the first).
        #[arg(long)]
        account: Option<String>,
        /// Also file a report on this test object (an apartment or space id) and close it
        /// again, to prove the write path and choose the exactly-once scheme.
        #[arg(long, value_name = "ID")]
        write_test_object: Option<u64>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        #[allow(missing_docs)]
        common: CommonArgs,
    },
    /// Validate the configuration and print it with secrets redacted.
    CheckConfig(CommonArgs),
    /// Print the OpenAPI document of this build.
    Openapi,
    /// Estimate the Tampuuri calls a month a fleet costs, by kind, and the bill on each
    /// package, with the mirror's cadences from the configuration (`--config`) or the
    /// defaults. Sizes not given follow the reference fleet's proportions per building.
    Plan(PlanArgs),
}

/// `rappu plan`.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Buildings served.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub buildings: u64,
    /// Housing companies (default: one for every two buildings).
    #[arg(long)]
    pub properties: Option<u64>,
    /// Apartments (default: 20 a building).
    #[arg(long)]
    pub apartments: Option<u64>,
    /// Resident parties (default: 30 a building).
    #[arg(long)]
    pub residents: Option<u64>,
    /// Stairwell displays (default: 2 a building; they cost no calls).
    #[arg(long)]
    pub displays: Option<u64>,
    /// Portal users (default: 10 a building; reading costs no calls).
    #[arg(long)]
    pub portal_users: Option<u64>,
    /// Announcements listed at any time (default: 2 a building).
    #[arg(long)]
    pub announcements: Option<u64>,
    /// Change notifications a month (default: 7 a building), split as the reference month.
    #[arg(long)]
    pub changes_per_month: Option<u64>,
    /// Gateway restarts a month.
    #[arg(long, default_value_t = 4)]
    pub restarts_per_month: u64,
    /// Whether Tampuuri sends webhooks (default: on).
    #[arg(long, value_parser = ["on", "off"])]
    pub webhooks: Option<String>,
    /// Mark this package as the one in use (default: `[usage] package`).
    #[arg(long, value_parser = ["standard", "normal", "business"])]
    pub package: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Overrides shared by commands that read the data directory.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Data directory (SQLite database, signing keys). Overrides `data_dir`.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// `rappu serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Listen address, e.g. `127.0.0.1:8080`; port 0 picks a free one. Overrides `server.addr`.
    #[arg(long, value_name = "ADDR")]
    pub addr: Option<SocketAddr>,
    /// The built web app. Overrides `web_dir`.
    #[arg(long, value_name = "DIR")]
    pub web_dir: Option<PathBuf>,
    /// Demo mode: properties generated per simulated account. Overrides `simulator.properties`.
    #[arg(long, value_name = "N")]
    pub properties: Option<usize>,
    /// Write a JSON file with the URLs (and demo credentials) once ready to serve.
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: CommonArgs,
}

/// `rappu sim`.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:8090", value_name = "ADDR")]
    pub addr: SocketAddr,
    /// Properties generated per account (default: the demo sizes, 3 and 2).
    #[arg(long, value_name = "N")]
    pub properties: Option<usize>,
    /// Seed of the first account's data (the next account gets seed + 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Buildings in every property (default: 1, 2 or 3 drawn per property, 1.6 on
    /// average), e.g. 2 for a fleet of 500 buildings in 250 housing companies.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=20))]
    pub buildings_per_property: Option<u16>,
    /// The dialect every account speaks (see sim/README.md).
    #[arg(long, default_value = "classic", value_parser = ["classic", "vendor_help", "mixed"])]
    pub dialect: String,
}

/// `rappu token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// A token for a stairwell display, bound to a building (and optionally a staircase).
    Display {
        /// Building object id.
        #[arg(long)]
        building: u64,
        /// Staircase object id.
        #[arg(long)]
        staircase: Option<u64>,
        #[command(flatten)]
        #[allow(missing_docs)]
        mint: MintArgs,
    },
    /// A token for a resident, bound to their party id and apartment.
    Resident {
        /// Party id of the resident.
        #[arg(long)]
        party: u64,
        /// Apartment object id.
        #[arg(long)]
        apartment: u64,
        #[command(flatten)]
        #[allow(missing_docs)]
        mint: MintArgs,
    },
    /// A token for a maintenance partner, bound to its assignee party id.
    Partner {
        /// Assignee (työnsuorittaja) party id.
        #[arg(long)]
        assignee: u64,
        #[command(flatten)]
        #[allow(missing_docs)]
        mint: MintArgs,
    },
    /// A token for an operator of this gateway.
    Admin {
        #[command(flatten)]
        #[allow(missing_docs)]
        mint: MintArgs,
    },
    /// List minted tokens that have not expired.
    List(CommonArgs),
    /// Revoke a token by its id (`jti`); a running gateway refuses it within seconds.
    Revoke {
        /// The token id.
        jti: String,
        /// Why, for the record.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        #[allow(missing_docs)]
        common: CommonArgs,
    },
}

/// Options of every minting command.
#[derive(Debug, Clone, Args)]
pub struct MintArgs {
    /// Tampuuri account the token may reach. Default: the first configured account.
    #[arg(long)]
    pub account: Option<String>,
    /// Who the token is for (free text, recorded as `sub`), e.g. `display-koivukuja-3-a`.
    #[arg(long)]
    pub subject: Option<String>,
    /// Lifetime, e.g. `30d`, `12h`. Default: display 365d, resident 30d, partner 90d, admin 1d.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub ttl: Option<Duration>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: CommonArgs,
}

/// Options of the link commands.
#[derive(Debug, Clone, Args)]
pub struct LinkArgs {
    /// Tampuuri account. Default: the first configured account.
    #[arg(long)]
    pub account: Option<String>,
    /// Public URL of the gateway for the link. Default: `server.public_url`, else from `server.addr`.
    #[arg(long)]
    pub public_url: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: CommonArgs,
}

/// `rappu keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a new signing key; it signs new tokens from now on (rotation).
    Generate(CommonArgs),
    /// List the keys and which one signs.
    List(CommonArgs),
    /// Retire a key on every replica: tokens signed with it are refused from then on
    /// (within a second on PostgreSQL, within `auth.revocation_refresh_secs` on SQLite) and
    /// it signs nowhere, whatever a key directory still holds.
    Retire {
        /// The key's id (`kid`), as `rappu keys list` shows it.
        kid: String,
        /// Retire it even when this key directory would have no key left to sign with.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        #[allow(missing_docs)]
        common: CommonArgs,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_a_display_token_request() {
        let cli = Cli::try_parse_from([
            "rappu",
            "token",
            "display",
            "--building",
            "7",
            "--ttl",
            "30d",
        ])
        .unwrap();
        match cli.command {
            Command::Token(TokenCommand::Display { building, mint, .. }) => {
                assert_eq!(building, 7);
                assert_eq!(mint.ttl, Some(Duration::from_secs(30 * 86400)));
            }
            other => panic!("{other:?}"),
        }
    }
}
