//! Masking that keeps a value's shape, so a report shows *what* leaked without leaking it again.

use crate::PiiType;

/// Masks `value` as found for `kind`, keeping separators and a few characters that identify the
/// shape: `j***@e***.com`, `***-**-6789`, `4111 **** **** 1111`, `AKIA************MPLE`.
pub fn redact(kind: PiiType, value: &str) -> String {
    match kind {
        PiiType::Email => email(value),
        PiiType::Ssn => keep_alnum(value, 0, 4),
        PiiType::CreditCard => keep_alnum(value, 4, 4),
        PiiType::Phone => keep_alnum(value, 0, 2),
        PiiType::Iban => keep_alnum(value, 4, 4),
        PiiType::NationalId => keep_alnum(value, 0, 3),
        PiiType::IpAddress => ip(value),
        PiiType::DateOfBirth => date(value),
        PiiType::Name | PiiType::Address => words(value),
        PiiType::Password => "********".to_string(),
        PiiType::PasswordHash => hash(value),
        PiiType::PrivateKey => private_key(value),
        PiiType::ApiKey | PiiType::Token | PiiType::Secret => key(value),
    }
}

/// Keeps the first `head` and last `tail` alphanumerics, masks the others, keeps everything else.
fn keep_alnum(value: &str, head: usize, tail: usize) -> String {
    let total = value.chars().filter(|c| c.is_alphanumeric()).count();
    if total <= head + tail {
        return value.chars().map(|c| if c.is_alphanumeric() { '*' } else { c }).collect();
    }
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen <= head || seen > total - tail {
                c
            } else {
                '*'
            }
        })
        .collect()
}

fn email(value: &str) -> String {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return key(value);
    };
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
    format!("{}***@{}***.{}", first(local), first(host), tld)
}

fn ip(value: &str) -> String {
    let mut parts = value.split('.');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.map(|_| "***").collect();
    format!("{first}.{}", rest.join("."))
}

/// Keeps the year, masks day and month.
fn date(value: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 4 {
            out.push_str(run);
        } else {
            out.extend(run.chars().map(|_| '*'));
        }
        run.clear();
    };
    for c in value.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// `Maria Lopez` → `M*** L***`; digits (house numbers) are masked entirely.
fn words(value: &str) -> String {
    value
        .split(' ')
        .map(|w| match w.chars().next() {
            Some(c) if c.is_alphabetic() => format!("{c}***"),
            Some(_) => "***".to_string(),
            None => String::new(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `$2b$12$…` keeps the scheme and cost; a bare digest keeps four characters.
fn hash(value: &str) -> String {
    if value.starts_with('$') {
        // Without a third `$`, the first 8 bytes, backed off to a character boundary (a value can
        // hold U+FFFD from a lossy decode; found by fuzz/detect).
        let short = (0..=value.len().min(8)).rev().find(|&i| value.is_char_boundary(i)).unwrap_or(0);
        let cut = value.match_indices('$').nth(2).map_or(short, |(i, _)| i + 1);
        return format!("{}{}", &value[..cut], "*".repeat(8));
    }
    let head: String = value.chars().take(4).collect();
    format!("{head}{}", "*".repeat(8))
}

fn private_key(value: &str) -> String {
    let begin = value.split(['\n', '\\']).next().unwrap_or("-----BEGIN PRIVATE KEY-----");
    format!("{begin}****")
}

/// Keeps a known prefix (or four characters) and the last four, masks the middle with as many
/// stars as characters, up to 24.
fn key(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    if n < 12 {
        let head: String = chars.iter().take(2.min(n / 3)).collect();
        return format!("{head}{}", "*".repeat(n - head.chars().count()));
    }
    // Prefixes like `sk_live_`, `ghp_`, `xoxb-` say which service the key belongs to.
    let prefix_end = chars.iter().take(12).rposition(|c| *c == '_' || *c == '-').map_or(4, |i| (i + 1).max(4));
    let head: String = chars[..prefix_end.min(n - 4)].iter().collect();
    let tail: String = chars[n - 4..].iter().collect();
    let stars = (n - head.chars().count() - 4).min(24);
    format!("{head}{}{tail}", "*".repeat(stars))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// fuzz/detect: a `$`-led hash cut inside a multi-byte character panicked.
    #[test]
    fn a_hash_cut_inside_a_character_does_not_panic() {
        let value = "$2b\u{fffd}\u{fffd}efghij";
        assert_eq!(redact(PiiType::PasswordHash, value), "$2b\u{fffd}********");
    }

    #[test]
    fn shapes() {
        assert_eq!(redact(PiiType::Email, "jane.doe@example-mail.com"), "j***@e***.com");
        assert_eq!(redact(PiiType::Ssn, "536-22-6789"), "***-**-6789");
        assert_eq!(redact(PiiType::CreditCard, "4111 1111 1111 1111"), "4111 **** **** 1111");
        assert_eq!(redact(PiiType::ApiKey, "AKIAIOSFODNN7EXAMPLE"), "AKIA************MPLE");
        assert_eq!(redact(PiiType::ApiKey, "sk_live_4eC39HqLyjWDarjtT1zdp7dc"), "sk_live_********************p7dc");
        assert_eq!(redact(PiiType::DateOfBirth, "1987-05-14"), "1987-**-**");
        assert_eq!(redact(PiiType::IpAddress, "10.1.2.3"), "10.***.***.***");
        assert_eq!(redact(PiiType::PasswordHash, "$2b$12$abcdefghijklmnopqrstuv"), "$2b$12$********");
        assert_eq!(redact(PiiType::Name, "Maria Lopez"), "M*** L***");
    }
}
