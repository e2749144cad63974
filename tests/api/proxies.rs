//! Behind a trusted reverse proxy each client has its own anonymous quota; without one (or
//! from a peer that is not a trusted proxy) a forwarding header changes nothing.

use crate::helpers::{TestApp, spawn_app_with};

/// An anonymous request through the "proxy" (this test's own connection) for `client`.
async fn anonymous(app: &TestApp, header: &str, client: &str) -> u16 {
    app.http
        .get(format!("{}/api/v1/me", app.url))
        .header(header, client)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn limited(s: &mut rappu_gateway::Settings) {
    s.rate_limit.ip_burst = 2;
    s.rate_limit.ip_per_minute = 1;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_quota() {
    let app = spawn_app_with(|s| {
        limited(s);
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    // The first client spends its burst (401: no token), then is refused.
    for _ in 0..2 {
        assert_eq!(anonymous(&app, "x-forwarded-for", "203.0.113.1").await, 401);
    }
    assert_eq!(anonymous(&app, "x-forwarded-for", "203.0.113.1").await, 429);
    // Another client behind the same proxy is untouched.
    assert_eq!(anonymous(&app, "x-forwarded-for", "203.0.113.2").await, 401);
    // A client that writes its own header gets it prepended to by the proxy: the proxy's
    // entry (the rightmost) is the one believed, so the spoof does not buy a new quota.
    assert_eq!(
        anonymous(&app, "x-forwarded-for", "198.51.100.77, 203.0.113.1").await,
        429
    );
    // `Forwarded` is not the configured header, so it is ignored: the proxy itself (no
    // X-Forwarded-For) has a quota of its own, which this spends.
    for _ in 0..2 {
        assert_eq!(anonymous(&app, "forwarded", "for=192.0.2.9").await, 401);
    }
    assert_eq!(anonymous(&app, "forwarded", "for=192.0.2.10").await, 429);
    app.stop().await;
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarding_header_changes_nothing() {
    let app = spawn_app_with(limited).await;
    assert_eq!(anonymous(&app, "x-forwarded-for", "203.0.113.1").await, 401);
    assert_eq!(anonymous(&app, "x-forwarded-for", "203.0.113.2").await, 401);
    // A third "client" is the same peer: refused.
    assert_eq!(anonymous(&app, "x-forwarded-for", "203.0.113.3").await, 429);
    app.stop().await;
}

#[tokio::test]
async fn forwarded_is_read_when_configured() {
    let app = spawn_app_with(|s| {
        limited(s);
        s.server.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        s.server.forwarded_header = rappu_gateway::config::ForwardedHeader::Forwarded;
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            anonymous(&app, "forwarded", "for=\"[2001:db8::1]:4711\"").await,
            401
        );
    }
    assert_eq!(
        anonymous(&app, "forwarded", "for=\"[2001:db8::1]:4711\"").await,
        429
    );
    assert_eq!(anonymous(&app, "forwarded", "for=2001:db8::2").await, 401);
    app.stop().await;
}
