//! A Tampuuri webhook bundle, read as the webhook route reads a body once the secret has
//! matched (`http::json::parse`), then turned into the records the store de-duplicates.
//! Refused bodies must become a problem document; read ones must keep every notification,
//! with a de-duplication id scoped to the account.

#![no_main]

use axum::response::IntoResponse;
use libfuzzer_sys::fuzz_target;
use rappu_gateway::http::json;
use rappu_gateway::webhooks::Bundle;

const ACCOUNT: &str = "demo";

fuzz_target!(|data: &[u8]| {
    let bundle = match json::parse::<Bundle>(data) {
        Ok(bundle) => bundle,
        Err(refused) => {
            let response = refused.into_response();
            assert!(
                matches!(response.status().as_u16(), 400 | 422),
                "a bad bundle answered {}",
                response.status()
            );
            return;
        }
    };
    let records = bundle.records(ACCOUNT);
    assert_eq!(records.len(), bundle.notifications.len());
    for (record, notification) in records.iter().zip(&bundle.notifications) {
        let id = notification.id.trim();
        if id.is_empty() {
            assert!(record.id.starts_with("generated-"), "{}", record.id);
        } else {
            assert_eq!(record.id, format!("{ACCOUNT}/{id}"));
        }
        assert_eq!(record.account, ACCOUNT);
        assert_eq!(record.bundle_id, bundle.id);
        assert_eq!(record.attempt, bundle.attempt);
        assert_eq!(record.action, notification.action.trim());
        assert_eq!(record.reference_id, notification.reference_id.trim());
    }
});
