//! The PostgreSQL schema: the same tables as SQLite's (`migrations.rs`), in PostgreSQL's
//! types (`BIGINT` for every integer, `BYTEA` for bytes; flags stay 0/1 integers so one
//! query reads both engines). Applied in order and recorded in `rappu_migrations`; replicas
//! starting together serialise on an advisory lock, so each step runs once.
//!
//! Append new steps; never edit one that has shipped.

use super::sql::{Conn, DbError};

pub(super) const STEPS: &[&str] = &[
    // 1: the SQLite schema of migration 11 (with the outbox's lease and `received_by`).
    "CREATE TABLE issued_tokens (
        jti TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        account TEXT NOT NULL,
        role TEXT NOT NULL,
        grant_json TEXT NOT NULL,
        issued_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX issued_tokens_by_subject ON issued_tokens (subject, expires_at);
    CREATE TABLE revoked_tokens (
        jti TEXT PRIMARY KEY,
        revoked_at BIGINT NOT NULL,
        expires_at BIGINT,
        reason TEXT
    );
    CREATE INDEX revoked_tokens_by_time ON revoked_tokens (revoked_at);
    CREATE TABLE upstream_calls (
        account TEXT NOT NULL,
        month TEXT NOT NULL,
        route TEXT NOT NULL,
        calls BIGINT NOT NULL,
        PRIMARY KEY (account, month, route)
    );
    CREATE TABLE upstream_calls_daily (
        account TEXT NOT NULL,
        day TEXT NOT NULL,
        route TEXT NOT NULL,
        calls BIGINT NOT NULL,
        PRIMARY KEY (account, day, route)
    );
    CREATE TABLE webhook_notifications (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        bundle_id TEXT NOT NULL,
        attempt BIGINT NOT NULL,
        action TEXT NOT NULL,
        reference_id TEXT NOT NULL,
        reference_secondary_id TEXT NOT NULL,
        reference_data TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        received_by TEXT
    );
    CREATE INDEX webhook_notifications_by_time ON webhook_notifications (received_at);
    CREATE TABLE one_time_codes (
        code_hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        account TEXT NOT NULL,
        subject TEXT NOT NULL,
        grant_json TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
    );
    CREATE TABLE fault_reports (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        party_id BIGINT NOT NULL,
        apartment_id BIGINT NOT NULL,
        report_json TEXT NOT NULL,
        photo_count BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        delivery TEXT NOT NULL CHECK (delivery IN ('pending', 'delivered', 'failed')),
        attempts BIGINT NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        last_error TEXT,
        tampuuri_id BIGINT,
        tampuuri_number TEXT,
        settled_at BIGINT,
        remote_json TEXT,
        lease_owner TEXT,
        lease_until BIGINT
    );
    CREATE INDEX fault_reports_by_owner
        ON fault_reports (account, party_id, apartment_id, created_at DESC, id DESC);
    CREATE INDEX fault_reports_due ON fault_reports (delivery, next_attempt_at);
    CREATE INDEX fault_reports_by_tampuuri_id ON fault_reports (account, tampuuri_id);
    CREATE TABLE fault_report_photos (
        report_id TEXT NOT NULL REFERENCES fault_reports (id) ON DELETE CASCADE,
        position BIGINT NOT NULL,
        file_name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (report_id, position)
    );
    CREATE TABLE idempotency_keys (
        account TEXT NOT NULL,
        party_id BIGINT NOT NULL,
        apartment_id BIGINT NOT NULL,
        idempotency_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status BIGINT NOT NULL,
        response_json TEXT NOT NULL,
        report_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account, party_id, apartment_id, idempotency_key)
    );
    CREATE INDEX idempotency_keys_by_time ON idempotency_keys (created_at);
    CREATE TABLE upstream_profiles (
        account TEXT PRIMARY KEY,
        external_id_kept BIGINT,
        checked_at BIGINT NOT NULL,
        report_json TEXT NOT NULL
    );
    CREATE TABLE display_pairings (
        device_hash TEXT PRIMARY KEY,
        user_code TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        display_id TEXT
    );
    CREATE INDEX display_pairings_by_expiry ON display_pairings (expires_at);
    CREATE TABLE paired_displays (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        building BIGINT NOT NULL,
        staircase BIGINT,
        label TEXT,
        paired_at BIGINT NOT NULL,
        paired_by TEXT NOT NULL,
        last_seen_at BIGINT
    );
    CREATE INDEX paired_displays_by_account ON paired_displays (account, paired_at);
    CREATE TABLE caretaker_links (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        label TEXT,
        buildings_json TEXT NOT NULL,
        link_hash TEXT NOT NULL UNIQUE,
        link_expires_at BIGINT NOT NULL,
        session_hash TEXT UNIQUE,
        session_days BIGINT NOT NULL,
        expires_at BIGINT,
        created_at BIGINT NOT NULL
    );
    CREATE TABLE resident_photos (
        report_id TEXT NOT NULL,
        position BIGINT NOT NULL,
        media_type TEXT NOT NULL,
        data BYTEA NOT NULL,
        kept_until BIGINT NOT NULL,
        PRIMARY KEY (report_id, position)
    );
    CREATE INDEX resident_photos_by_expiry ON resident_photos (kept_until);
    CREATE TABLE signin_mails (
        address_hash TEXT NOT NULL,
        sent_at BIGINT NOT NULL
    );
    CREATE INDEX signin_mails_by_address ON signin_mails (address_hash, sent_at);
    CREATE TABLE apps (
        client_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        name TEXT NOT NULL,
        contact TEXT NOT NULL,
        scopes_json TEXT NOT NULL,
        origins_json TEXT NOT NULL,
        per_minute BIGINT,
        burst BIGINT,
        secret_hash TEXT NOT NULL,
        secret_set_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        revoked_at BIGINT
    );
    CREATE INDEX apps_by_account ON apps (account, created_at);
    CREATE TABLE app_calls (
        client_id TEXT NOT NULL,
        month TEXT NOT NULL,
        route TEXT NOT NULL,
        calls BIGINT NOT NULL,
        last_at BIGINT NOT NULL,
        PRIMARY KEY (client_id, month, route)
    );",
    // 2: the replicas alive, by heartbeat: quotas are split between them.
    "CREATE TABLE replicas (
        instance TEXT PRIMARY KEY,
        seen_at BIGINT NOT NULL
    );",
    // 3: the public halves of the signing keys (SQLite's migration 12).
    "CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        published_at BIGINT NOT NULL,
        retired_at BIGINT
    );",
    // 4: the account mirror, shared by the replicas (SQLite keeps it in its own file,
    // `mirror::db`): the same tables; the mirror's writer (the replica holding the
    // `rappu:mirror` lock) and the epoch that fences a writer that lost it; and the log of
    // what the writer changed, which the other replicas follow.
    "CREATE TABLE mirror_objects (
        account TEXT NOT NULL,
        id BIGINT NOT NULL,
        parent_id BIGINT,
        kind TEXT NOT NULL,
        property_id BIGINT,
        building_id BIGINT,
        row TEXT NOT NULL,
        PRIMARY KEY (account, id)
    );
    CREATE INDEX mirror_objects_by_building ON mirror_objects (account, building_id);
    CREATE INDEX mirror_objects_by_property ON mirror_objects (account, property_id, kind);
    CREATE TABLE mirror_connections (
        account TEXT NOT NULL,
        id BIGINT NOT NULL,
        party_id BIGINT NOT NULL,
        object_id BIGINT NOT NULL,
        role TEXT NOT NULL,
        building_id BIGINT,
        property_id BIGINT,
        hides BIGINT NOT NULL,
        row TEXT NOT NULL,
        PRIMARY KEY (account, id)
    );
    CREATE INDEX mirror_connections_by_party ON mirror_connections (account, party_id);
    CREATE INDEX mirror_connections_by_object ON mirror_connections (account, object_id);
    CREATE INDEX mirror_connections_by_building ON mirror_connections (account, building_id, role);
    CREATE INDEX mirror_connections_by_property ON mirror_connections (account, property_id, role);
    CREATE TABLE mirror_announcements (
        account TEXT NOT NULL,
        id BIGINT NOT NULL,
        object_id BIGINT,
        row TEXT NOT NULL,
        PRIMARY KEY (account, id)
    );
    CREATE INDEX mirror_announcements_by_object ON mirror_announcements (account, object_id);
    CREATE TABLE mirror_reports (
        account TEXT NOT NULL,
        id BIGINT NOT NULL,
        object_id BIGINT,
        building_id BIGINT,
        assignee_id BIGINT,
        reporter_id BIGINT,
        state TEXT NOT NULL,
        open BIGINT NOT NULL,
        seen_at BIGINT NOT NULL,
        row TEXT NOT NULL,
        version BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (account, id)
    );
    CREATE INDEX mirror_reports_by_building ON mirror_reports (account, building_id, open);
    CREATE INDEX mirror_reports_by_assignee ON mirror_reports (account, assignee_id);
    CREATE INDEX mirror_reports_by_reporter ON mirror_reports (account, reporter_id);
    CREATE TABLE mirror_syncs (
        account TEXT NOT NULL,
        kind TEXT NOT NULL,
        done_at BIGINT NOT NULL,
        rows BIGINT NOT NULL,
        calls BIGINT NOT NULL,
        PRIMARY KEY (account, kind)
    );
    CREATE TABLE mirror_writer (
        name TEXT PRIMARY KEY,
        epoch BIGINT NOT NULL,
        instance TEXT NOT NULL,
        since BIGINT NOT NULL
    );
    CREATE TABLE mirror_events (
        seq BIGSERIAL PRIMARY KEY,
        epoch BIGINT NOT NULL,
        account TEXT NOT NULL,
        at BIGINT NOT NULL,
        event TEXT NOT NULL
    );
    CREATE INDEX mirror_events_by_time ON mirror_events (at);",
];

/// The advisory lock replicas take while migrating.
const MIGRATION_LOCK: &str = "rappu:migrations";

/// Applies every step not yet recorded, each in its own transaction, holding the
/// migration lock so that replicas starting at once do not race.
pub(super) fn run(c: &mut Conn<'_>) -> Result<(), DbError> {
    let key = super::postgres::lock_key(MIGRATION_LOCK);
    c.execute("SELECT pg_advisory_lock($1)", crate::args![key])?;
    let result = apply(c);
    let unlocked = c.execute("SELECT pg_advisory_unlock($1)", crate::args![key]);
    result?;
    unlocked?;
    Ok(())
}

fn apply(c: &mut Conn<'_>) -> Result<(), DbError> {
    c.batch(
        "CREATE TABLE IF NOT EXISTS rappu_migrations (
            version BIGINT PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )",
    )?;
    let current = applied(c)?;
    for (i, step) in STEPS.iter().enumerate().skip(current) {
        c.transaction(|tx| {
            tx.batch(step)?;
            tx.execute(
                "INSERT INTO rappu_migrations (version, applied_at) VALUES ($1, $2)",
                crate::args![i + 1, chrono::Utc::now().timestamp()],
            )?;
            Ok(())
        })?;
    }
    Ok(())
}

/// How many steps the database has.
pub(super) fn applied(c: &mut Conn<'_>) -> Result<usize, DbError> {
    c.query_one(
        "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM rappu_migrations",
        &[],
    )?
    .get(0)
}
