//! Schema migrations, applied in order and recorded in `PRAGMA user_version`.
//!
//! Append new steps; never edit one that has shipped.

use rusqlite::Connection;

pub(super) const STEPS: &[&str] = &[
    // 1: tokens and upstream usage.
    "CREATE TABLE issued_tokens (
        jti TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        account TEXT NOT NULL,
        role TEXT NOT NULL,
        grant_json TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE revoked_tokens (
        jti TEXT PRIMARY KEY,
        revoked_at INTEGER NOT NULL,
        expires_at INTEGER,
        reason TEXT
    );
    CREATE INDEX revoked_tokens_by_time ON revoked_tokens (revoked_at);
    CREATE TABLE upstream_calls (
        account TEXT NOT NULL,
        month TEXT NOT NULL,
        route TEXT NOT NULL,
        calls INTEGER NOT NULL,
        PRIMARY KEY (account, month, route)
    );",
    // 2: Tampuuri webhook notifications, for de-duplication and the record.
    "CREATE TABLE webhook_notifications (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        bundle_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        action TEXT NOT NULL,
        reference_id TEXT NOT NULL,
        reference_secondary_id TEXT NOT NULL,
        reference_data TEXT NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX webhook_notifications_by_time ON webhook_notifications (received_at);",
    // 3: one-time codes (display enrolment, resident login links); only their hashes.
    "CREATE TABLE one_time_codes (
        code_hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        account TEXT NOT NULL,
        subject TEXT NOT NULL,
        grant_json TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
    );",
    // 4: resident fault reports: the outbox (a report is kept here from the moment Rappu
    // answers until Tampuuri has it, and then as the resident's index of their reports),
    // its photos until delivery, and idempotency keys of filing requests.
    "CREATE TABLE fault_reports (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        party_id INTEGER NOT NULL,
        apartment_id INTEGER NOT NULL,
        report_json TEXT NOT NULL,
        photo_count INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        delivery TEXT NOT NULL CHECK (delivery IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        tampuuri_id INTEGER,
        tampuuri_number TEXT,
        settled_at INTEGER,
        remote_json TEXT
    );
    CREATE INDEX fault_reports_by_owner
        ON fault_reports (account, party_id, apartment_id, created_at DESC, id DESC);
    CREATE INDEX fault_reports_due ON fault_reports (delivery, next_attempt_at);
    CREATE INDEX fault_reports_by_tampuuri_id ON fault_reports (account, tampuuri_id);
    CREATE TABLE fault_report_photos (
        report_id TEXT NOT NULL REFERENCES fault_reports (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        file_name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (report_id, position)
    );
    CREATE TABLE idempotency_keys (
        account TEXT NOT NULL,
        party_id INTEGER NOT NULL,
        idempotency_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response_json TEXT NOT NULL,
        report_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account, party_id, idempotency_key)
    );
    CREATE INDEX idempotency_keys_by_time ON idempotency_keys (created_at);",
    // 5: idempotency keys scoped like the report they made: account, party and apartment (a
    // resident with two apartments may reuse a key in each). Old keys take their report's
    // apartment.
    "CREATE TABLE idempotency_keys_v2 (
        account TEXT NOT NULL,
        party_id INTEGER NOT NULL,
        apartment_id INTEGER NOT NULL,
        idempotency_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response_json TEXT NOT NULL,
        report_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account, party_id, apartment_id, idempotency_key)
    );
    INSERT INTO idempotency_keys_v2
        SELECT k.account, k.party_id, COALESCE(r.apartment_id, 0), k.idempotency_key,
               k.request_hash, k.status, k.response_json, k.report_id, k.created_at
        FROM idempotency_keys k LEFT JOIN fault_reports r ON r.id = k.report_id;
    DROP TABLE idempotency_keys;
    ALTER TABLE idempotency_keys_v2 RENAME TO idempotency_keys;
    CREATE INDEX idempotency_keys_by_time ON idempotency_keys (created_at);",
    // 6: what the go-live check found about each account (rappu verify-upstream).
    "CREATE TABLE upstream_profiles (
        account TEXT PRIMARY KEY,
        external_id_kept INTEGER,
        checked_at INTEGER NOT NULL,
        report_json TEXT NOT NULL
    );",
    // 7: displays paired with a short code (RFC 8628's device flow as model): pending
    // pairings (the screen's secret and the code it shows, only while they work), paired
    // displays (what each shows; its sessions are tokens with subject `display:<id>`),
    // caretakers' pairing links and the sessions of the phones that opened them; and the
    // resident's own copy of each photo, kept after delivery for a bounded time.
    "CREATE TABLE display_pairings (
        device_hash TEXT PRIMARY KEY,
        user_code TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        display_id TEXT
    );
    CREATE INDEX display_pairings_by_expiry ON display_pairings (expires_at);
    CREATE TABLE paired_displays (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        building INTEGER NOT NULL,
        staircase INTEGER,
        label TEXT,
        paired_at INTEGER NOT NULL,
        paired_by TEXT NOT NULL,
        last_seen_at INTEGER
    );
    CREATE INDEX paired_displays_by_account ON paired_displays (account, paired_at);
    CREATE TABLE caretaker_links (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        label TEXT,
        buildings_json TEXT NOT NULL,
        link_hash TEXT NOT NULL UNIQUE,
        link_expires_at INTEGER NOT NULL,
        session_hash TEXT UNIQUE,
        session_days INTEGER NOT NULL,
        expires_at INTEGER,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE resident_photos (
        report_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        data BLOB NOT NULL,
        kept_until INTEGER NOT NULL,
        PRIMARY KEY (report_id, position)
    );
    CREATE INDEX resident_photos_by_expiry ON resident_photos (kept_until);",
    // 8: residents' sign-in mails, for the hourly cap per address (the address only as a
    // SHA-256 of its lower-case form); third-party apps (OAuth 2.0 clients: the secret only
    // as an Argon2id hash) and their calls by month and route.
    "CREATE TABLE signin_mails (
        address_hash TEXT NOT NULL,
        sent_at INTEGER NOT NULL
    );
    CREATE INDEX signin_mails_by_address ON signin_mails (address_hash, sent_at);
    CREATE TABLE apps (
        client_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        name TEXT NOT NULL,
        contact TEXT NOT NULL,
        scopes_json TEXT NOT NULL,
        origins_json TEXT NOT NULL,
        per_minute INTEGER,
        burst INTEGER,
        secret_hash TEXT NOT NULL,
        secret_set_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE INDEX apps_by_account ON apps (account, created_at);
    CREATE TABLE app_calls (
        client_id TEXT NOT NULL,
        month TEXT NOT NULL,
        route TEXT NOT NULL,
        calls INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (client_id, month, route)
    );",
    // 9: upstream calls by day, for the console's chart of the month (the monthly table
    // stays the bill's record).
    "CREATE TABLE upstream_calls_daily (
        account TEXT NOT NULL,
        day TEXT NOT NULL,
        route TEXT NOT NULL,
        calls INTEGER NOT NULL,
        PRIMARY KEY (account, day, route)
    );",
    // 10: the outbox's lease: the replica delivering a report holds it until `lease_until`
    // (ms); one that dies mid-delivery leaves the report to another after that.
    "ALTER TABLE fault_reports ADD COLUMN lease_owner TEXT;
    ALTER TABLE fault_reports ADD COLUMN lease_until INTEGER;",
    // 11: which replica (store instance) recorded a webhook notification, so the others
    // catch up on what they missed while not listening.
    "ALTER TABLE webhook_notifications ADD COLUMN received_by TEXT;",
    // 12: the public halves of the signing keys, shared by every replica
    // (`store::signing_keys`); a retired key verifies and signs nowhere.
    "CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        retired_at INTEGER
    );",
];

/// Applies every step newer than the database's `user_version`, each in its own transaction.
pub fn run(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let current = usize::try_from(current).unwrap_or(0);
    for (i, step) in STEPS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_move_to_the_reports_apartment() {
        let mut conn = Connection::open_in_memory().unwrap();
        let step = STEPS
            .iter()
            .position(|s| s.contains("idempotency_keys_v2"))
            .unwrap();
        for sql in &STEPS[..step] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", step as i64)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO fault_reports (id, account, party_id, apartment_id, report_json,
                photo_count, created_at, delivery, next_attempt_at)
                VALUES ('r1', 'a', 7, 42, '{}', 0, 1, 'pending', 1);
             INSERT INTO idempotency_keys VALUES ('a', 7, 'k', 'h', 201, '{}', 'r1', 1);",
        )
        .unwrap();
        run(&mut conn).unwrap();
        let apartment: i64 = conn
            .query_row(
                "SELECT apartment_id FROM idempotency_keys WHERE idempotency_key = 'k'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(apartment, 42);
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, STEPS.len());
    }
}
