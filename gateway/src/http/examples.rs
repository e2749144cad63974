//! Realistic examples for the API document: one per schema that has none of its own, and
//! one per parameter name, so "Try it out" never offers `"string"` or `0`. One coherent
//! world (As Oy Koivukuja 3, building 100001, apartment A 12, resident 200345, Huolto-Virtanen
//! Oy as 300010), added by [`super::openapi::complete`] where a type or route has not set its
//! own. `tests/api/openapi.rs` checks every example against its schema.

use serde_json::{Value, json};

const AT: &str = "2026-11-30T08:15:00Z";

fn address() -> Value {
    json!({"street": "Koivukuja 3", "postal_code": "00940", "city": "Helsinki"})
}

fn timeline() -> Value {
    json!([
        {"status": "open", "at": "2026-11-28T17:42:10Z", "note": null},
        {"status": "received", "at": "2026-11-29T07:05:31Z", "note": null},
        {"status": "waiting", "at": "2026-11-29T09:12:00Z", "note": "Odottaa varaosaa (hanan kara), arvioitu toimitus 3.12."}
    ])
}

fn fault_report() -> Value {
    json!({
        "id": "0193f6c8-2b1d-7a44-9e0f-5c8d2a7b3e91",
        "number": "2026-004512",
        "topic": "apartment",
        "title": "Keittiön hana vuotaa",
        "description": "Hana tippuu jatkuvasti, myös yöllä. Vettä kertyy tiskipöydälle.",
        "location": "Keittiö",
        "master_key_allowed": true,
        "pets": "Kissa",
        "contact_phone": "040 123 4567",
        "photo_count": 1,
        "status": "waiting",
        "created_at": "2026-11-28T17:42:10Z",
        "timeline": timeline()
    })
}

fn work_order() -> Value {
    json!({
        "id": 4211873,
        "number": "2026-004512",
        "topic": "apartment",
        "title": "Keittiön hana vuotaa",
        "description": "Hana tippuu jatkuvasti, myös yöllä. Vettä kertyy tiskipöydälle.",
        "location": "Koivukuja 3 A 12, 00940 Helsinki, Keittiö",
        "master_key_allowed": true,
        "pets": "Kissa",
        "contact_phone": "040 123 4567",
        "status": "waiting",
        "created_at": "2026-11-28T17:42:10Z",
        "timeline": timeline()
    })
}

fn contact(name: &str, phone: &str, email: &str) -> Value {
    json!({"name": name, "phone": phone, "email": email})
}

fn feed_staircase() -> Value {
    json!({"id": 100002, "name": "A", "floors": [
        {"floor": 1, "apartments": [
            {"number": "A 1", "names": ["Virtanen"]},
            {"number": "A 2", "names": []},
            {"number": "A 3", "names": ["Korhonen", "Mäkinen"]}]},
        {"floor": 2, "apartments": [
            {"number": "A 4", "names": ["Nieminen"]},
            {"number": "A 5", "names": ["Laine-Heikkinen"]}]}
    ]})
}

fn announcement() -> Value {
    json!({
        "id": 5001,
        "title": "Vesikatko to 4.12. klo 9–12",
        "body": "Putkiremontin vuoksi kylmä ja lämmin vesi ovat poissa A- ja B-portaista torstaina 4.12. klo 9–12.",
        "published_at": "2026-11-28T08:00:00Z",
        "valid_until": "2026-12-04T12:00:00Z"
    })
}

fn app_view() -> Value {
    json!({
        "client_id": "rappu-app-3f6c2a9d41b8e705",
        "account": "demo",
        "name": "Huolto-Virtanen työnohjaus",
        "contact": "it@huolto-virtanen.example.fi",
        "scopes": [
            {"scope": "reports:read", "buildings": [], "properties": [100000]},
            {"scope": "work-orders:write", "buildings": [], "properties": [100000]},
            {"scope": "feeds:read", "buildings": [100001], "properties": []}
        ],
        "origins": ["https://tyot.huolto-virtanen.example.fi"],
        "rate_limit_per_minute": 300,
        "rate_limit_burst": 50,
        "created_at": "2026-11-02T10:20:00Z",
        "secret_set_at": "2026-11-02T10:20:00Z",
        "revoked_at": null,
        "calls_this_month": 1824,
        "last_call_at": AT
    })
}

fn verify_report() -> Value {
    json!({
        "account": "Esimerkki",
        "checked_at": AT,
        "calls": 14,
        "verdict": "ready_with_differences",
        "routes": [{"route": "POST kohteet/selaa", "reachable": true, "outcome": "ok", "paging": "envelope", "rows": 250, "unreadable": 0, "millis": 412}],
        "fields": [{"row": "report", "field": "Tila", "present": 37, "missing": 0, "null": 0, "other_type": 0,
                    "values": ["Avoin", "Vastaanotettu"], "unknown": [], "as_number": 0, "seven_digits": 0,
                    "no_offset": 37, "date_as_timestamp": 0, "as_text": 37}],
        "privacy": {"turvakielto": "present on every party read", "hide_flag": "present on every connection read",
                    "dates": "move-in and move-out dates present", "names_shown": true,
                    "explanation": "Rappu can read turvakielto and the hide-from-display flag: names are shown where allowed."},
        "write": null,
        "differences": [{"code": "paging.flat", "detail": "kohteet/selaa answers a flat list: Rappu pages by counting rows."}]
    })
}

fn token_info() -> Value {
    json!({"jti": "0193f6d2-8a0e-7c55-b1f5-0d7e5f1d2a10", "subject": "Huolto-Virtanen työnohjaus",
        "grant": {"role": "partner", "assignee": 300010},
        "issued_at": "2026-11-02T10:20:00Z", "expires_at": "2027-01-31T10:20:00Z", "revoked": false})
}

fn console_mirror() -> Value {
    json!({"syncs": [
            {"kind": "news", "at": "2026-11-30T08:00:02Z", "calls": 1},
            {"kind": "people", "at": "2026-11-30T02:00:11Z", "calls": 12},
            {"kind": "registry", "at": "2026-11-29T02:00:04Z", "calls": 4},
            {"kind": "reports", "at": "2026-11-30T02:00:13Z", "calls": 2}],
        "failing_since": null, "last_error": null, "pending": 0, "held_back": false})
}

fn usage_month() -> Value {
    json!({"account": "Esimerkki", "month": "2026-11", "days_in_month": 30, "today": 3,
        "days": [{"day": 1, "calls": 604}, {"day": 2, "calls": 618}, {"day": 3, "calls": 212}],
        "routes": [{"route": "POST osapuolet/yhteydet/selaa", "calls": 702},
                   {"route": "POST ilmoitukset/selaa", "calls": 488},
                   {"route": "POST uutiset/selaa", "calls": 244}],
        "calls": 1434, "projected_calls": 17208, "budget_calls": 20000,
        "budget_warn": true, "budget_over": false,
        "projected_bill": {"month": "2026-11", "package": "normal", "calls": 17208, "included_calls": 20000,
            "extra_calls": 0, "fixed_eur": 95.0, "extra_eur": 0.0, "total_eur": 95.0},
        "history": [{"month": "2026-10", "package": "normal", "calls": 16930, "included_calls": 20000,
            "extra_calls": 0, "fixed_eur": 95.0, "extra_eur": 0.0, "total_eur": 95.0}]})
}

fn upstream_health() -> Value {
    json!({"circuits": [{"account": "Esimerkki", "state": "closed", "consecutive_failures": 0, "retry_in_secs": null}],
        "recent_failures": [{"at": "2026-11-30T07:58:40Z", "account": "Esimerkki",
            "route": "POST ilmoitukset/selaa", "status": "503"}],
        "latency": [{"route": "POST osapuolet/yhteydet/selaa", "calls": 31, "p50_ms": 50.0, "p95_ms": 250.0}],
        "stale_feeds": [{"building": 100001, "staircase": null, "data_as_of": "2026-11-30T07:58:12Z"}],
        "mirror": console_mirror()})
}

/// The example for schema `name`, if this table has one.
pub fn schema(name: &str) -> Option<Value> {
    Some(match name {
        "Address" => address(),
        "AccountCircuit" => {
            json!({"account": "Esimerkki", "state": "closed", "consecutive_failures": 0, "retry_in_secs": null})
        }
        "ConsoleDisplay" => {
            json!({"id": "0193f6e1-4c2a-7d10-8b3e-2f6a9c1d5e77", "label": "A-rappu, aula",
            "building": 100001, "staircase": 100002, "last_seen_at": AT, "online": true,
            "feed_version": "3f1c9a0be27d5e41", "feed_stale": false})
        }
        "ConsoleMirror" => console_mirror(),
        "DayCalls" => json!({"day": 29, "calls": 612}),
        "MintedToken" => {
            json!({"token": "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFZERTQSIsImtpZCI6ImsyMDI2MTEzMDA4MDAwMDAwMCJ9.eyJzdWIiOiJIdW9sdG8tVmlydGFuZW4gdHnDtm5vaGphdXMiLCJyb2xlIjoicGFydG5lciJ9.Qm9yZGVyIGV4YW1wbGUgc2lnbmF0dXJlIG9mIDY0IGJ5dGVzIGZvciB0aGUgQVBJIGRvY3VtZW50Lg",
            "info": token_info()})
        }
        "MirrorSync" => json!({"kind": "people", "at": "2026-11-30T02:00:11Z", "calls": 12}),
        "NewToken" => json!({"subject": "Huolto-Virtanen työnohjaus",
            "grant": {"role": "partner", "assignee": 300010}, "ttl_days": 60}),
        "QrText" => {
            json!({"url": "https://rappu.example.fi/display/enroll?code=q3S1lVb7X0QkYc2w9fTnR4uHmLpA6eKdZsGyBvEJx0b"})
        }
        "RouteCalls" => json!({"route": "POST osapuolet/yhteydet/selaa", "calls": 702}),
        "RouteLatency" => {
            json!({"route": "POST osapuolet/yhteydet/selaa", "calls": 31, "p50_ms": 50.0, "p95_ms": 250.0})
        }
        "StaleFeed" => {
            json!({"building": 100001, "staircase": null, "data_as_of": "2026-11-30T07:58:12Z"})
        }
        "TokenInfo" => token_info(),
        "UpstreamFailure" => json!({"at": "2026-11-30T07:58:40Z", "account": "Esimerkki",
            "route": "POST ilmoitukset/selaa", "status": "503"}),
        "UpstreamHealth" => upstream_health(),
        "UsageMonth" => usage_month(),

        "ApartmentOption" => json!({"apartment": 100012, "label": "A 12, As Oy Koivukuja 3"}),
        "AppCredentials" => json!({
            "client_id": "rappu-app-3f6c2a9d41b8e705",
            "client_secret": "rappu-secret-Jx0bq3S1lVb7X0QkYc2w9fTnR4uHmLpA6eKdZsGyBvE",
            "app": app_view()
        }),
        "AppUsageLine" => json!({"client_id": "rappu-app-3f6c2a9d41b8e705", "month": "2026-11",
            "route": "GET /api/v1/buildings/{building_id}/feed", "calls": 1440}),
        "AppView" => app_view(),
        "ApprovePairing" => {
            json!({"code": "XKCD-7R2Q", "building": 100001, "staircase": 100002, "label": "A-rappu, aula"})
        }
        "BudgetState" => {
            json!({"used": 9120, "budget": 20000, "projected": 18240, "warn": true, "over": false})
        }
        "Building" => {
            json!({"id": 100001, "property_id": 100000, "name": "Rakennus 1", "address": address(),
            "staircases": [{"id": 100002, "name": "A"}, {"id": 100003, "name": "B"}]})
        }
        "CaretakerSession" => {
            json!({"label": "Kiinteistöhuolto Laine", "expires_at": "2026-12-07T08:15:00Z",
            "buildings": [{"id": 100001, "property_id": 100000, "name": "Rakennus 1", "address": address(),
                "staircases": [{"id": 100002, "name": "A"}]}]})
        }
        "CircuitView" => {
            json!({"state": "closed", "consecutive_failures": 0, "retry_in_secs": null,
            "times_opened": 2, "last_failure": "Tampuuri did not answer within 10 s"})
        }
        "CompleteWorkOrder" => {
            json!({"summary": "Hanan kara vaihdettu, vuoto korjattu. Tarkistettu myös astianpesukoneen liitäntä."})
        }
        "DemoLogin" => json!({"party": 200345, "apartment": 100012}),
        "DemoResident" => {
            json!({"label": "Aino Virtanen, A 12, As Oy Koivukuja 3", "party": 200345, "apartment": 100012})
        }
        "Difference" => {
            json!({"code": "paging.flat", "detail": "kohteet/selaa answers a flat list: Rappu pages by counting rows."})
        }
        "DisplayAssignment" => {
            json!({"building": 100001, "staircase": 100002, "label": "A-rappu, aula"})
        }
        "DisplayFeed" => json!({
            "building": {"id": 100001, "property_name": "As Oy Koivukuja 3", "name": "Rakennus 1", "address": address()},
            "staircases": [feed_staircase()],
            "announcements": [announcement()],
            "contacts": {
                "maintenance": contact("Huolto-Virtanen Oy", "020 555 8142", "huolto@huolto-virtanen.example.fi"),
                "manager": contact("Onni Tuominen", "010 074 5231", "onni.tuominen@isannointi.example.fi"),
                "board_chair": null
            },
            "ongoing_work": [{"place": "common_areas", "category": "Valaistus", "state": "received", "title": null}],
            "generated_at": "2026-11-30T08:14:02Z",
            "data_as_of": "2026-11-30T08:13:57Z",
            "stale": false
        }),
        "DisplaySession" => {
            json!({"building": 100001, "staircase": 100002, "expires_at": "2027-02-28T08:15:00Z", "renewed": false})
        }
        "FaultReport" => fault_report(),
        "FeedAnnouncement" => announcement(),
        "FeedApartment" => json!({"number": "A 12", "names": ["Virtanen"]}),
        "FeedBuilding" => {
            json!({"id": 100001, "property_name": "As Oy Koivukuja 3", "name": "Rakennus 1", "address": address()})
        }
        "FeedContact" => contact(
            "Huolto-Virtanen Oy",
            "020 555 8142",
            "huolto@huolto-virtanen.example.fi",
        ),
        "FeedContacts" => json!({
            "maintenance": contact("Huolto-Virtanen Oy", "020 555 8142", "huolto@huolto-virtanen.example.fi"),
            "manager": contact("Onni Tuominen", "010 074 5231", "onni.tuominen@isannointi.example.fi"),
            "board_chair": null
        }),
        "FeedEvent" => {
            json!({"event": "feed", "id": "3f1c9a0be27d5e41", "data": "{\"etag\":\"\\\"3f1c9a0be27d5e41\\\"\"}", "retry": 3000})
        }
        "FeedFloor" => {
            json!({"floor": 2, "apartments": [{"number": "A 4", "names": ["Nieminen"]}, {"number": "A 5", "names": []}]})
        }
        "FeedStaircase" => feed_staircase(),
        "FeedWork" => {
            json!({"place": "common_areas", "category": "Valaistus", "state": "received", "title": null})
        }
        "FieldError" => json!({"field": "contact_phone", "message": "must have 5 to 20 digits"}),
        "FieldTally" => {
            json!({"row": "report", "field": "Tila", "present": 37, "missing": 0, "null": 0, "other_type": 0,
            "values": ["Avoin", "Vastaanotettu"], "unknown": [], "as_number": 0, "seven_digits": 0,
            "no_offset": 37, "date_as_timestamp": 0, "as_text": 37})
        }
        "Grant" => json!({"role": "resident", "party": 200345, "apartment": 100012}),
        "Health" => json!({"status": "ok", "version": "0.1.0"}),
        "HoldWorkOrder" => {
            json!({"reason": "Odottaa varaosaa (hanan kara), arvioitu toimitus 3.12."})
        }
        "Jwk" => {
            json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            "kid": "k20261130080000000", "alg": "EdDSA", "use": "sig"})
        }
        "JwkSet" => {
            json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            "kid": "k20261130080000000", "alg": "EdDSA", "use": "sig"}]})
        }
        "Me" => json!({"subject": "resident-200345", "account": "demo",
            "grant": {"role": "resident", "party": 200345, "apartment": 100012}, "expires_at": "2026-12-30T08:15:00Z"}),
        "MirrorHealth" => json!({
            "synced_at": {"registry": "2026-11-29T02:00:04Z", "people": "2026-11-30T02:00:11Z",
                "reports": "2026-11-30T02:00:13Z", "news": "2026-11-30T08:00:02Z"},
            "sync_calls": {"registry": 4, "people": 12, "reports": 2, "news": 1},
            "failing_since": null,
            "last_error": null,
            "pending": 0,
            "held_back": false
        }),
        "MonthlyBill" => {
            json!({"month": "2026-11", "package": "normal", "calls": 18250, "included_calls": 20000,
            "extra_calls": 0, "fixed_eur": 95.0, "extra_eur": 0.0, "total_eur": 95.0})
        }
        "MyContact" => json!({"phone": "040 123 4567"}),
        "NewCaretakerLink" => {
            json!({"buildings": [100001, 100004], "label": "Kiinteistöhuolto Laine", "days": 7})
        }
        "NewEnrolment" => {
            json!({"building": 100001, "staircase": 100002, "label": "A-rappu, aula"})
        }
        "NewFaultReport" => json!({
            "topic": "apartment",
            "title": "Keittiön hana vuotaa",
            "description": "Hana tippuu jatkuvasti, myös yöllä. Vettä kertyy tiskipöydälle.",
            "location": "Keittiö",
            "master_key_allowed": true,
            "pets": "Kissa",
            "contact_phone": "040 123 4567",
            "photos": [{"name": "hana.jpg", "data": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q=="}]
        }),
        "NewLoginLink" => json!({"party": 200345, "apartment": 100012}),
        "OneTimeLink" => {
            json!({"url": "https://rappu.example.fi/portal/login?code=q3S1lVb7X0QkYc2w9fTnR4uHmLpA6eKdZsGyBvEJx0b",
            "expires_at": "2026-12-07T08:15:00Z"})
        }
        "PairedDisplay" => {
            json!({"id": "0193f6e1-4c2a-7d10-8b3e-2f6a9c1d5e77", "label": "A-rappu, aula", "building": 100001,
            "staircase": 100002, "paired_at": "2026-11-20T12:01:44Z", "paired_by": "caretaker: Kiinteistöhuolto Laine",
            "last_seen_at": AT})
        }
        "PairingPoll" => json!({"state": "pending", "expires_at": "2026-11-30T08:30:00Z"}),
        "PairingStarted" => {
            json!({"user_code": "XKCD-7R2Q", "verification_uri": "https://rappu.example.fi/display/pair",
            "verification_uri_complete": "https://rappu.example.fi/display/pair?code=XKCD7R2Q",
            "expires_at": "2026-11-30T08:30:00Z", "interval_secs": 5})
        }
        "PhotoUpload" => {
            json!({"name": "hana.jpg", "data": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q=="})
        }
        "PrivacyCheck" => {
            json!({"turvakielto": "present on every party read", "hide_flag": "present on every connection read",
            "dates": "move-in and move-out dates present", "names_shown": true,
            "explanation": "Rappu can read turvakielto and the hide-from-display flag: names are shown where allowed."})
        }
        "Property" => json!({"id": 100000, "name": "As Oy Koivukuja 3", "address": address()}),
        "Readiness" => json!({"status": "ready", "checks": [
            {"name": "store", "ok": true, "detail": null},
            {"name": "keys", "ok": true, "detail": "signing key k20261130080000000"},
            {"name": "upstream", "ok": true, "detail": "tampuuri"}]}),
        "ReadinessCheck" => json!({"name": "upstream", "ok": true, "detail": "tampuuri"}),
        "Receipt" => json!({"received": 3, "new": 2, "feeds_affected": 1}),
        "RedeemCode" => json!({"code": "q3S1lVb7X0QkYc2w9fTnR4uHmLpA6eKdZsGyBvEJx0b"}),
        "ReportPage_FaultReport" => {
            json!({"items": [fault_report()], "total": 1, "offset": 0, "limit": 20})
        }
        "ReportPage_WorkOrder" => {
            json!({"items": [work_order()], "total": 1, "offset": 0, "limit": 20})
        }
        "RevokeToken" => {
            json!({"jti": "0193f6d2-8a0e-7c55-b1f5-0d7e5f1d2a10", "reason": "Näyttö varastettu A-rapun aulasta"})
        }
        "RouteCheck" => {
            json!({"route": "POST kohteet/selaa", "reachable": true, "outcome": "ok", "paging": "envelope",
            "rows": 250, "unreadable": 0, "millis": 412})
        }
        "RouteShape" => {
            json!({"account": "Esimerkki", "route": "POST kohteet/selaa", "shape": "envelope"})
        }
        "SkippedRows" => {
            json!({"account": "Esimerkki", "route": "POST osapuolet/selaa", "field": "Turvakielto",
            "count": 2, "last_row_id": "200871", "last_at": AT})
        }
        "Staircase" => json!({"id": 100002, "name": "A"}),
        "TimelineEntry" => json!({"status": "waiting", "at": "2026-11-29T09:12:00Z",
            "note": "Odottaa varaosaa (hanan kara), arvioitu toimitus 3.12."}),
        "UndeliveredReport" => {
            json!({"id": "0193f6c8-2b1d-7a44-9e0f-5c8d2a7b3e91", "delivery": "retrying", "attempts": 6,
            "last_error": "Tampuuri is unavailable", "created_at": "2026-11-30T07:02:11Z", "failed_at": null})
        }
        "UpstreamView" => json!({"account": "Esimerkki",
            "skipped_rows": [{"account": "Esimerkki", "route": "POST osapuolet/selaa", "field": "Turvakielto",
                "count": 2, "last_row_id": "200871", "last_at": AT}],
            "paging": [{"account": "Esimerkki", "route": "POST kohteet/selaa", "shape": "envelope"}],
            "last_check": verify_report(),
            "circuit": {"state": "closed", "consecutive_failures": 0, "retry_in_secs": null, "times_opened": 2,
                "last_failure": "Tampuuri did not answer within 10 s"},
            "budget": {"used": 9120, "budget": 20000, "projected": 18240, "warn": true, "over": false}}),
        "UsageLine" => json!({"month": "2026-11", "route": "POST kohteet/selaa", "calls": 6120}),
        "UsageReport" => json!({"account": "demo",
            "lines": [{"month": "2026-11", "route": "POST kohteet/selaa", "calls": 6120},
                      {"month": "2026-11", "route": "POST ilmoitukset/selaa", "calls": 12130}],
            "total_calls": 18250,
            "bills": [{"month": "2026-11", "package": "normal", "calls": 18250, "included_calls": 20000,
                "extra_calls": 0, "fixed_eur": 95.0, "extra_eur": 0.0, "total_eur": 95.0}],
            "apps": [{"client_id": "rappu-app-3f6c2a9d41b8e705", "month": "2026-11",
                "route": "GET /api/v1/buildings/{building_id}/feed", "calls": 1440}]}),
        "VerifyReport" => verify_report(),
        "WorkOrder" => work_order(),
        "WriteCheck" => {
            json!({"object": 100012, "report_id": 4211990, "answer": "{\"Id\":4211990}", "external_id_kept": true,
            "reference_found": true, "closed": true, "scheme": "external-id", "error": null})
        }
        _ => return None,
    })
}

/// The example for a parameter named `name` of type `kind` (`integer` or `string`) on
/// `path`, if this table has one.
pub fn parameter(path: &str, name: &str, kind: Option<&str>) -> Option<Value> {
    Some(match (name, kind) {
        ("building_id", _) => json!(100001),
        ("property", _) => json!(100000),
        ("client_id", _) => json!("rappu-app-3f6c2a9d41b8e705"),
        ("id", Some("integer")) => json!(4211873),
        ("id", _) if path.contains("/displays/") => json!("0193f6e1-4c2a-7d10-8b3e-2f6a9c1d5e77"),
        ("id", _) => json!("0193f6c8-2b1d-7a44-9e0f-5c8d2a7b3e91"),
        ("n", _) => json!(1),
        ("offset", _) => json!(0),
        ("limit", _) => json!(20),
        ("state", _) => json!("open"),
        ("month", _) => json!("2026-11"),
        ("account", _) => json!("Esimerkki"),
        ("code", _) => json!("XKCD7R2Q"),
        ("secret", _) => json!("wh-7d1e3f0a9b2c4d5e"),
        ("Idempotency-Key", _) => json!("7c0e6b1a-3f5d-4e2a-9b8c-1d2e3f4a5b6c"),
        ("If-None-Match", _) => json!("\"3f1c9a0be27d5e41\""),
        ("Last-Event-ID", _) => json!("3f1c9a0be27d5e41"),
        _ => return None,
    })
}

/// An example for a request body with no schema-level example (the webhook bundle).
pub fn body(path: &str) -> Option<Value> {
    path.starts_with("/api/v1/webhooks/").then(|| {
        json!({"Id": "5c2b8f0e9a1d4e7f8a6b3c2d1e0f9a8b", "Attempt": 1, "Notifications": [
            {"Action": "Update", "Id": "8d1f7a2e-4b6c-4e9d-a0b1-c2d3e4f5a6b7", "ReferenceId": "200345", "ReferenceData": "Osapuoli"}
        ]})
    })
}
