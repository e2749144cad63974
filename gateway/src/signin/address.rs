//! A resident's email address as the sign-in form sends it: checked with exactly the rule
//! the OpenAPI document states, compared without regard to case, stored only as a hash.

use sha2::Digest;

/// The document's pattern: printable ASCII but `@` and space, one `@`, a dot inside the
/// domain. With `maxLength` [`MAX_LEN`]. [`EmailAddress::parse`] applies the same rule.
pub const PATTERN: &str = r"^[!-?A-~]{1,64}@[!-?A-~]+\.[!-?A-~]+$";
/// Longest address (RFC 5321's path limit less the angle brackets).
pub const MAX_LEN: usize = 254;

/// A normalised (trimmed, lower-case) address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

/// Never print an address in full (personal data): `a***@example.fi`.
impl std::fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

fn allowed(b: u8) -> bool {
    matches!(b, b'!'..=b'?' | b'A'..=b'~')
}

impl EmailAddress {
    /// The address in `raw` if it follows [`PATTERN`] and [`MAX_LEN`] (no trimming: the
    /// document's rule is exact).
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.len() > MAX_LEN || !raw.is_ascii() {
            return None;
        }
        let (local, domain) = raw.split_once('@')?;
        let dot = domain
            .bytes()
            .enumerate()
            .skip(1)
            .any(|(i, b)| b == b'.' && i + 1 < domain.len());
        let ok = (1..=64).contains(&local.len())
            && local.bytes().all(allowed)
            && domain.bytes().all(allowed)
            && dot;
        ok.then(|| Self(raw.to_ascii_lowercase()))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether Tampuuri's `Sahkoposti` value is this address (spaces around it and case
    /// ignored).
    pub fn matches(&self, stored: &str) -> bool {
        stored.trim().eq_ignore_ascii_case(&self.0)
    }

    /// SHA-256 of the normalised address, hex: what the mail log keeps.
    pub fn hash(&self) -> String {
        sha2::Sha256::digest(self.0.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `a***@example.fi`, for logs.
    pub fn masked(&self) -> String {
        match self.0.split_once('@') {
            Some((local, domain)) => {
                let first = local.chars().next().unwrap_or('?');
                format!("{first}***@{domain}")
            }
            None => "***".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_documented_pattern_exactly() {
        for ok in [
            "aino.virtanen@example.fi",
            "Aino.Virtanen+koti@Example.FI",
            "a@b.c",
            "x!#$%&'*+/=?^_`{|}~-@d.e",
            "a@b..c",
        ] {
            assert!(EmailAddress::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "aino",
            "@example.fi",
            "aino@",
            "aino@example",
            "aino@.fi",
            "aino@fi.",
            "aino@@example.fi",
            "ai no@example.fi",
            " aino@example.fi",
            "äiti@example.fi",
            &format!("{}@example.fi", "a".repeat(65)),
            &format!("a@{}.fi", "b".repeat(250)),
        ] {
            assert!(EmailAddress::parse(bad).is_none(), "{bad}");
        }
        let a = EmailAddress::parse("Aino.Virtanen@Example.fi").unwrap();
        assert_eq!(a.as_str(), "aino.virtanen@example.fi");
        assert!(a.matches(" AINO.virtanen@example.FI "));
        assert!(!a.matches("aino.virtanen@example.com"));
        assert_eq!(format!("{a:?}"), "a***@example.fi");
        assert_eq!(a.hash().len(), 64);
    }
}
