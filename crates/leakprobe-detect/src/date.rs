//! Calendar dates, for dates of birth. A date alone is never personal data (timestamps are
//! everywhere); it becomes one under a `dob` key or next to words like "born".

/// Parses `YYYY-MM-DD`, `YYYY/MM/DD`, `DD.MM.YYYY`, `MM/DD/YYYY` or `DD/MM/YYYY` (and an ISO
/// timestamp's date part) and checks that it could be somebody's birthday.
pub fn is_birth_date(s: &[u8]) -> bool {
    let s = if s.len() > 10 && (s[10] == b'T' || s[10] == b' ') { &s[..10] } else { s };
    let parts: Vec<&[u8]> = s.split(|c| matches!(c, b'-' | b'/' | b'.')).collect();
    if parts.len() != 3 || !parts.iter().all(|p| !p.is_empty() && p.len() <= 4 && p.iter().all(u8::is_ascii_digit)) {
        return false;
    }
    let n = |p: &[u8]| p.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    let (y, a, b) = if parts[0].len() == 4 {
        (n(parts[0]), n(parts[1]), n(parts[2]))
    } else if parts[2].len() == 4 {
        (n(parts[2]), n(parts[0]), n(parts[1]))
    } else {
        return false;
    };
    let day_month = |m: u32, d: u32| (1..=12).contains(&m) && (1..=31).contains(&d);
    // Either order for the non-ISO forms: 05/14/1987 and 14/05/1987 are both plausible.
    (1900..=2025).contains(&y) && (day_month(a, b) || (parts[0].len() != 4 && day_month(b, a)))
}

#[cfg(test)]
mod tests {
    use super::is_birth_date;

    #[test]
    fn forms() {
        assert!(is_birth_date(b"1987-05-14"));
        assert!(is_birth_date(b"14.05.1987"));
        assert!(is_birth_date(b"05/14/1987"));
        assert!(is_birth_date(b"1987-05-14T00:00:00Z"));
        assert!(!is_birth_date(b"1987-13-14"));
        assert!(!is_birth_date(b"1.2.3"));
    }
}
