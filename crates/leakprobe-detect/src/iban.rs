//! IBAN: country-specific length and the ISO 13616 mod-97 check.

/// IBAN length per country (ISO 13616 registry).
const LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

pub fn expected_len(country: &[u8]) -> Option<usize> {
    LENGTHS.iter().find(|(c, _)| c.as_slice() == country).map(|(_, n)| *n)
}

/// `compact` is the IBAN without spaces, upper case.
pub fn validate(compact: &[u8]) -> bool {
    if compact.len() < 15 || !compact.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    if expected_len(&compact[..2]) != Some(compact.len()) || !compact[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    // Move the first four characters to the end, letters become 10..35, then mod 97 == 1.
    let mut rem = 0u32;
    for &c in compact[4..].iter().chain(&compact[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

/// Reads an IBAN starting at `start` (two upper-case letters, two digits), compact or grouped by
/// single spaces; returns its end.
pub fn read(bytes: &[u8], start: usize) -> Option<usize> {
    let want = expected_len(bytes.get(start..start + 2)?)?;
    let mut compact = [0u8; 34];
    let mut n = 0;
    let mut i = start;
    while i < bytes.len() && n < want {
        let c = bytes[i];
        if c.is_ascii_digit() || c.is_ascii_uppercase() {
            compact[n] = c;
            n += 1;
            i += 1;
        } else if c == b' ' && n % 4 == 0 && n > 0 && bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        } else {
            break;
        }
    }
    // More digits after the full length: some longer code that happens to start like an IBAN.
    let more = bytes.get(i) == Some(&b' ') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
    if n != want || more || bytes.get(i).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    validate(&compact[..n]).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mod97() {
        assert!(validate(b"DE89370400440532013000"));
        assert!(validate(b"GB82WEST12345698765432"));
        assert!(!validate(b"DE89370400440532013001"));
        let s = b"IBAN DE89 3704 0044 0532 0130 00.";
        assert_eq!(read(s, 5), Some(s.len() - 1));
    }
}
