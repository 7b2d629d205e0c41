//! Payment card numbers: Luhn plus issuer (IIN) ranges and lengths.
//!
//! Luhn alone passes one random digit string in ten, so every candidate must also sit in a known
//! issuer range with that issuer's length (ZAP's card rule fired on 13-digit ids for want of this).

/// The Luhn checksum over ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// The card brand when the digits fall in an issuer range with a length that issuer uses.
pub fn brand(digits: &[u8]) -> Option<&'static str> {
    let len = digits.len();
    let prefix = |n: usize| -> u32 { digits[..n.min(len)].iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')) };
    let p2 = prefix(2);
    let p3 = prefix(3);
    let p4 = prefix(4);
    match digits.first()? {
        b'4' if matches!(len, 13 | 16 | 19) => Some("visa"),
        b'5' if (51..=55).contains(&p2) && len == 16 => Some("mastercard"),
        b'2' if (2221..=2720).contains(&p4) && len == 16 => Some("mastercard"),
        b'3' if (p2 == 34 || p2 == 37) && len == 15 => Some("amex"),
        b'3' if (3528..=3589).contains(&p4) && (16..=19).contains(&len) => Some("jcb"),
        b'3' if ((300..=305).contains(&p3) || p2 == 36 || p2 == 38) && (14..=19).contains(&len) => Some("diners"),
        b'6' if (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3)) && (16..=19).contains(&len) => Some("discover"),
        b'6' if p2 == 62 && (16..=19).contains(&len) => Some("unionpay"),
        _ => None,
    }
}

/// Numbers published by card networks and payment providers for testing; they show up in docs and
/// fixtures and are not anybody's card.
pub fn is_test_number(digits: &[u8]) -> bool {
    const TEST: &[&[u8]] = &[
        b"4111111111111111",
        b"4242424242424242",
        b"4012888888881881",
        b"4000056655665556",
        b"4222222222222",
        b"5555555555554444",
        b"5105105105105100",
        b"5200828282828210",
        b"2223003122003222",
        b"378282246310005",
        b"371449635398431",
        b"378734493671000",
        b"6011111111111117",
        b"6011000990139424",
        b"3530111333300000",
        b"3566002020360505",
        b"30569309025904",
        b"38520000023237",
        b"6200000000000005",
    ];
    TEST.contains(&digits)
}

/// A valid card: Luhn, a known brand, and not one repeated digit.
pub fn validate(digits: &[u8]) -> Option<&'static str> {
    if !(13..=19).contains(&digits.len()) || digits.iter().all(|d| *d == digits[0]) {
        return None;
    }
    let brand = brand(digits)?;
    luhn(digits).then_some(brand)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_brand() {
        assert_eq!(validate(b"4539578763621486"), Some("visa"));
        assert_eq!(validate(b"4539578763621487"), None);
        assert_eq!(validate(b"371449635398431"), Some("amex"));
        assert_eq!(validate(b"1234567812345670"), None, "no issuer starts with 1");
        assert!(is_test_number(b"4111111111111111"));
    }
}
