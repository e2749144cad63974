//! The page's own address.

/// The value of `name` in the address's query string.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|v| !v.is_empty())
}

/// A fresh random UUID (version 4) for `Idempotency-Key`, from the browser's CSPRNG
/// (`crypto.getRandomValues`, which unlike `crypto.randomUUID` also exists on plain-http
/// origins other than localhost).
pub fn random_uuid() -> String {
    let mut bytes = [0_u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No CSPRNG at all: unique enough for one resident's drafts.
        for (i, b) in bytes.iter_mut().enumerate() {
            let r = js_sys::Math::random() * 256.0;
            // In 0..256 by construction.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let r = r as u8;
            *b = r ^ (i as u8);
        }
    }
    uuid_v4(bytes)
}

/// Formats 16 random bytes as a version 4 UUID.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uuid_v4;

    #[test]
    fn formats_a_version_4_uuid() {
        assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    }
}
