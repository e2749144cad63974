//! The client's address: the connection's peer, or, when the peer is a trusted reverse
//! proxy (`server.trusted_proxies`), the address the proxies recorded.
//!
//! Each proxy appends the address it received the request from to the header, so the
//! header's rightmost entry was written by the nearest proxy and everything to its left by
//! whoever came before, which may be the client itself. The address is therefore read from
//! the right: the first hop that is not a trusted proxy is the client. Whatever a client
//! writes into the header itself sits to the left of that and is never believed.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::config::{ForwardedHeader, ServerSettings};

/// Most hops read from a forwarding header: no real chain of proxies is longer.
const MAX_HOPS: usize = 16;

/// The client's address of a request, as the router's handlers and layers read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Who may say where a request came from.
#[derive(Debug, Clone)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// From the server settings.
    pub fn new(server: &ServerSettings) -> Self {
        Self {
            nets: server.trusted_proxies.clone(),
            header: server.forwarded_header,
        }
    }

    /// None: every peer is a client.
    pub fn none() -> Self {
        Self {
            nets: Vec::new(),
            header: ForwardedHeader::XForwardedFor,
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client's address for a request from `peer` with `headers`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if self.nets.is_empty() || !self.trusts(peer) {
            return peer;
        }
        let hops = match self.header {
            ForwardedHeader::XForwardedFor => x_forwarded_for(headers),
            ForwardedHeader::Forwarded => forwarded(headers),
        };
        // The nearest address known so far; a hop that cannot be read ends the walk there
        // (the proxy that wrote it is the last one whose word is known).
        let mut nearest = peer;
        for hop in hops.into_iter().rev().take(MAX_HOPS) {
            let Some(ip) = parse_hop(&hop) else {
                return nearest;
            };
            if !self.trusts(ip) {
                return ip;
            }
            nearest = ip;
        }
        nearest
    }
}

/// Every entry of every `X-Forwarded-For` line, left to right.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| {
            let text = value.to_str().unwrap_or("unknown");
            text.split(',')
                .map(|s| s.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The `for=` of every element of every `Forwarded` line, left to right; an element
/// without one counts as an unknown hop.
fn forwarded(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|value| {
            let text = value.to_str().unwrap_or("for=unknown");
            text.split(',')
                .map(|element| {
                    element
                        .split(';')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                        .map_or_else(
                            || "unknown".to_owned(),
                            |(_, v)| v.trim().trim_matches('"').to_owned(),
                        )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`. `unknown` and obfuscated names (`_hidden`) are not addresses.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    let inner = hop.strip_prefix('[')?.split(']').next()?;
    inner.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn proxies(nets: &[&str], header: ForwardedHeader) -> TrustedProxies {
        TrustedProxies {
            nets: nets.iter().map(|n| n.parse().unwrap()).collect(),
            header,
        }
    }

    fn headers(name: &'static str, lines: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append(name, HeaderValue::from_static(line));
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() {
        let none = TrustedProxies::none();
        let h = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(none.client_ip(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_even_with_a_header() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(p.client_ip(ip("198.51.100.1"), &h), ip("198.51.100.1"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        // The client wrote "1.2.3.4" itself; the edge proxy appended what it saw; an inner
        // proxy appended the edge proxy.
        let h = headers("x-forwarded-for", &["1.2.3.4, 203.0.113.9", "10.1.1.1"]);
        assert_eq!(p.client_ip(ip("10.2.2.2"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn a_chain_of_only_trusted_hops_ends_at_the_leftmost() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers("x-forwarded-for", &["10.9.9.9, 10.1.1.1"]);
        assert_eq!(p.client_ip(ip("10.2.2.2"), &h), ip("10.9.9.9"));
        assert_eq!(
            p.client_ip(ip("10.2.2.2"), &HeaderMap::new()),
            ip("10.2.2.2")
        );
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_nearest_known_address() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers("x-forwarded-for", &["203.0.113.9, garbage, 10.1.1.1"]);
        assert_eq!(p.client_ip(ip("10.2.2.2"), &h), ip("10.1.1.1"));
    }

    #[test]
    fn forwarded_is_read_only_when_configured_and_with_its_syntax() {
        let xff = proxies(&["127.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let fwd = proxies(&["127.0.0.0/8"], ForwardedHeader::Forwarded);
        let h = headers(
            "forwarded",
            &[r#"for=1.2.3.4, for="[2001:db8::7]:4711";proto=https, For=127.0.0.5"#],
        );
        assert_eq!(xff.client_ip(ip("127.0.0.1"), &h), ip("127.0.0.1"));
        assert_eq!(fwd.client_ip(ip("127.0.0.1"), &h), ip("2001:db8::7"));
        let hidden = headers("forwarded", &["for=203.0.113.9, for=_hidden"]);
        assert_eq!(fwd.client_ip(ip("127.0.0.1"), &hidden), ip("127.0.0.1"));
    }

    #[test]
    fn addresses_with_ports_and_mapped_v4_are_read() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers("x-forwarded-for", &["203.0.113.9:5555"]);
        assert_eq!(p.client_ip(ip("::ffff:10.0.0.1"), &h), ip("203.0.113.9"));
        let h = headers("x-forwarded-for", &["[2001:db8::1]:80"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("2001:db8::1"));
    }
}
