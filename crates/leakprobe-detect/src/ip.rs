//! IPv4 addresses: public ones are personal data (client addresses in logs), private ones in a
//! response reveal the internal network (`detail: "private"`).

/// Parses `a.b.c.d` and says whether it is worth reporting: `Some("public")`, `Some("private")`,
/// or `None` for loopback, unspecified, broadcast, netmasks, multicast and documentation ranges.
pub fn classify(text: &[u8]) -> Option<&'static str> {
    let mut octets = [0u16; 4];
    let mut n = 0;
    for part in text.split(|c| *c == b'.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        if part.len() > 1 && part[0] == b'0' {
            return None; // leading zeros: version strings and zero-padded ids, not addresses
        }
        octets[n] = part.iter().fold(0, |a, d| a * 10 + u16::from(d - b'0'));
        if octets[n] > 255 {
            return None;
        }
        n += 1;
    }
    if n != 4 {
        return None;
    }
    let [a, b, c, _] = octets;
    match (a, b, c) {
        (0, _, _) | (127, _, _) | (224..=255, _, _) => None,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => None, // RFC 5737 documentation ranges
        (10, _, _) | (192, 168, _) | (169, 254, _) => Some("private"),
        (172, 16..=31, _) | (100, 64..=127, _) => Some("private"),
        _ => Some("public"),
    }
}

/// Whether the address-shaped token at `start` is a version: right after a product token
/// (`Chrome/120.0.0.0`) or after a version word (`client build 2.19.12.56`, `version: 10.2.0.1`).
/// The nearest word decides, so `client` further back does not make a build number an address.
pub fn after_version_word(bytes: &[u8], start: usize) -> bool {
    if start >= 2 && bytes[start - 1] == b'/' && bytes[start - 2].is_ascii_alphabetic() {
        return true;
    }
    let before = &bytes[start.saturating_sub(24)..start];
    let trimmed =
        before.iter().rposition(|c| !matches!(c, b' ' | b':' | b'=' | b'\t' | b'"' | b'\'')).map_or(0, |i| i + 1);
    let head = &before[..trimmed];
    let word_start = head.iter().rposition(|c| !c.is_ascii_alphabetic()).map_or(0, |i| i + 1);
    let word = head[word_start..].to_ascii_lowercase();
    const VERSION_WORDS: &[&[u8]] =
        &[b"v", b"ver", b"version", b"build", b"release", b"firmware", b"fw", b"rev", b"revision", b"patch"];
    VERSION_WORDS.contains(&word.as_slice())
}

/// All four octets below ten: as likely a version or a section number as an address.
pub fn is_small(text: &[u8]) -> bool {
    text.split(|c| *c == b'.').all(|p| p.len() == 1)
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn ranges() {
        assert_eq!(classify(b"10.0.3.17"), Some("private"));
        assert_eq!(classify(b"172.20.1.1"), Some("private"));
        assert_eq!(classify(b"81.2.69.160"), Some("public"));
        assert_eq!(classify(b"127.0.0.1"), None);
        assert_eq!(classify(b"255.255.255.0"), None);
        assert_eq!(classify(b"256.1.1.1"), None);
        assert_eq!(classify(b"1.02.3.4"), None);
    }

    #[test]
    fn versions_are_not_addresses() {
        use super::after_version_word;
        let at = |s: &str, tok: &str| after_version_word(s.as_bytes(), s.find(tok).expect("token"));
        assert!(at("client build 2.19.12.56", "2.19"));
        assert!(at("Mozilla/5.0 Chrome/120.0.0.0 Safari", "120."));
        assert!(at("version: 10.2.0.1", "10."));
        assert!(!at("client 81.2.69.160 build", "81."));
        assert!(!at("GET http://81.2.69.160/x", "81."));
        assert!(!at("from 81.2.69.160", "81."));
    }
}
