//! US Social Security numbers: area/group/serial rules and the famous sample numbers.

/// `digits` are the nine digits without separators.
pub fn validate(digits: &[u8]) -> bool {
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| digits[r].iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    let (area, group, serial) = (num(0..3), num(3..5), num(5..9));
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return false;
    }
    if digits.iter().all(|d| *d == digits[0]) {
        return false;
    }
    // Woolworth's wallet card, the 1940s SSA pamphlet, the textbook 123-45-6789 and the range the
    // SSA reserves for advertisements (987-65-4320..4329).
    const SAMPLES: &[&[u8]] = &[b"078051120", b"219099999", b"123456789", b"457555462"];
    if SAMPLES.contains(&digits) || (digits.starts_with(b"98765432")) {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn rules() {
        assert!(validate(b"536228410"));
        assert!(!validate(b"000228410"));
        assert!(!validate(b"666228410"));
        assert!(!validate(b"936228410"));
        assert!(!validate(b"536008410"));
        assert!(!validate(b"536220000"));
        assert!(!validate(b"078051120"));
        assert!(!validate(b"123456789"));
    }
}
