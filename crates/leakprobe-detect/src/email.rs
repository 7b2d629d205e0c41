//! E-mail addresses: RFC-shaped, a real top-level domain, and not a documentation domain.

const TLDS: &str = include_str!("../data/tlds.txt");

pub(crate) struct Tlds(std::collections::HashSet<&'static str>);

impl Tlds {
    pub fn new() -> Self {
        Self(TLDS.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect())
    }

    fn contains(&self, tld: &[u8]) -> bool {
        let mut buf = [0u8; 32];
        if tld.len() > buf.len() {
            return false;
        }
        for (b, c) in buf.iter_mut().zip(tld) {
            *b = c.to_ascii_lowercase();
        }
        std::str::from_utf8(&buf[..tld.len()]).is_ok_and(|s| self.0.contains(s))
    }
}

fn local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn domain_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-')
}

/// What an address at `at` (the `@`) spans, and its detail: `None` for a personal-looking
/// address, `Some("role")` for shared mailboxes (noreply, support, …). Rejects documentation
/// domains (RFC 2606/6761) outright.
pub(crate) fn at(bytes: &[u8], at: usize, tlds: &Tlds) -> Option<(std::ops::Range<usize>, Option<&'static str>)> {
    let mut s = at;
    while s > 0 && at - s < 64 && local_char(bytes[s - 1]) {
        s -= 1;
    }
    while s < at && matches!(bytes[s], b'.' | b'-' | b'+') {
        s += 1;
    }
    if s == at || bytes[at - 1] == b'.' {
        return None;
    }
    // `user:secret@host` in a URL: the part before is credentials, not a mailbox.
    if s >= 1 && bytes[s - 1] == b':' && !(s >= 7 && bytes[s - 7..s - 1].eq_ignore_ascii_case(b"mailto")) {
        return None;
    }
    let mut e = at + 1;
    while e < bytes.len() && e - at < 254 && domain_char(bytes[e]) {
        e += 1;
    }
    while e > at + 1 && matches!(bytes[e - 1], b'.' | b'-') {
        e -= 1;
    }
    let domain = &bytes[at + 1..e];
    let dot = domain.iter().rposition(|c| *c == b'.')?;
    let tld = &domain[dot + 1..];
    if tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) || !tlds.contains(tld) {
        return None;
    }
    if domain.split(|c| *c == b'.').any(|l| l.is_empty() || l[0] == b'-') {
        return None;
    }
    let lower = domain.to_ascii_lowercase();
    let doc = [&b"example.com"[..], b"example.org", b"example.net", b"example.edu"];
    if doc.iter().any(|d| lower == *d || (lower.ends_with(d) && lower[lower.len() - d.len() - 1] == b'.')) {
        return None;
    }
    let local = bytes[s..at].to_ascii_lowercase();
    const ROLES: &[&[u8]] = &[
        b"noreply",
        b"no-reply",
        b"donotreply",
        b"do-not-reply",
        b"support",
        b"info",
        b"admin",
        b"postmaster",
        b"webmaster",
        b"hostmaster",
        b"abuse",
        b"security",
        b"sales",
        b"help",
        b"contact",
        b"hello",
        b"team",
        b"billing",
        b"privacy",
        b"git",
        b"root",
        b"mailer-daemon",
        b"notifications",
        b"user",
        b"username",
        b"your.name",
        b"yourname",
        b"name",
        b"email",
        b"test",
        b"foo",
        b"bar",
    ];
    let detail = ROLES.contains(&local.as_slice()).then_some("role");
    Some((s..e, detail))
}
