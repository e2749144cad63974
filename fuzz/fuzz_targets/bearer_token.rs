//! The bearer path: a request's `Authorization` or `Cookie` header read by the gateway's
//! extractor (`auth::extract::bearer`), then the token verified by `auth::Tokens` (pinned
//! EdDSA, known `kid`, `typ`, issuer, audience, times, account, `jti`). Arbitrary header
//! bytes, and arbitrary JOSE headers and claims signed with the trusted key or not at all
//! or otherwise, must be refused or accepted without panicking, and nothing the trusted key
//! did not sign may ever be accepted. See `rappu_fuzz::tokens` for the input layout.

#![no_main]

use http::Request;
use http::header::{AUTHORIZATION, COOKIE, HeaderValue};
use libfuzzer_sys::fuzz_target;
use rappu_fuzz::tokens::{self, ACCOUNTS, Mode};
use rappu_gateway::auth::extract::bearer;

fuzz_target!(|data: &[u8]| {
    let Some((first, payload)) = data.split_first() else {
        return;
    };
    let kit = tokens::kit();
    let mode = Mode::from_byte(*first);
    match mode {
        Mode::Header | Mode::Cookie => {
            // Bytes no HTTP parser would pass on never reach the extractor.
            let Ok(value) = HeaderValue::from_bytes(payload) else {
                return;
            };
            let name = if mode == Mode::Header {
                AUTHORIZATION
            } else {
                COOKIE
            };
            let Ok(request) = Request::builder().header(name, value).body(()) else {
                return;
            };
            let (parts, ()) = request.into_parts();
            if let Ok(Some(token)) = bearer(&parts, rappu_gateway::sessions::COOKIE) {
                assert!(!token.is_empty());
                if let Some(principal) = kit.verify(token) {
                    assert!(ACCOUNTS.contains(&principal.account.as_str()));
                    assert!(!principal.token_id.is_empty());
                }
            }
        }
        _ => {
            let (header, claims) = tokens::split_json(payload);
            let Some(token) = kit.token(mode, header, claims) else {
                return;
            };
            let accepted = kit.verify(&token);
            if mode != Mode::Signed {
                assert!(
                    accepted.is_none(),
                    "accepted a token signed {mode:?}: {token}"
                );
            }
            if let Some(principal) = accepted {
                assert!(ACCOUNTS.contains(&principal.account.as_str()));
                assert!(!principal.token_id.is_empty());
                let header: serde_json::Value = serde_json::from_slice(header)
                    .unwrap_or_else(|e| panic!("accepted a header that is not JSON: {e}"));
                assert_eq!(header["alg"], "EdDSA");
                assert_eq!(header["typ"], "at+jwt");
                assert_eq!(header["kid"], tokens::KID);
            }
        }
    }
});
