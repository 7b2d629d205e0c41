//! National identifiers with a checkable structure: Brazil's CPF, the UK National Insurance
//! number, India's Aadhaar (Verhoeff), Canada's SIN (Luhn).

/// CPF `ddd.ddd.ddd-dd`: two mod-11 check digits. `d` holds the 11 digits.
pub fn cpf(d: &[u8]) -> bool {
    if d.len() != 11 || d.iter().all(|c| *c == d[0]) {
        return false;
    }
    let check = |n: usize| {
        let sum: u32 = (0..n).map(|i| u32::from(d[i] - b'0') * (n as u32 + 1 - i as u32)).sum();
        let r = (sum * 10) % 11;
        (if r == 10 { 0 } else { r }) == u32::from(d[n] - b'0')
    };
    check(9) && check(10)
}

/// UK NINO: two prefix letters (not D, F, I, Q, U, V; second not O; not BG, GB, KN, NK, NT, TN,
/// ZZ), six digits, suffix A–D. `s` is compact upper case.
pub fn nino(s: &[u8]) -> bool {
    if s.len() != 9 {
        return false;
    }
    let (a, b) = (s[0], s[1]);
    let bad = |c: u8| matches!(c, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V');
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() || bad(a) || bad(b) || b == b'O' {
        return false;
    }
    if matches!(&s[..2], b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ") {
        return false;
    }
    s[2..8].iter().all(u8::is_ascii_digit) && matches!(s[8], b'A'..=b'D')
}

/// Aadhaar: 12 digits, first not 0 or 1, Verhoeff check digit.
pub fn aadhaar(d: &[u8]) -> bool {
    const MUL: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const PERM: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    if d.len() != 12 || d[0] < b'2' {
        return false;
    }
    let mut c = 0u8;
    for (i, x) in d.iter().rev().enumerate() {
        c = MUL[c as usize][PERM[i % 8][(x - b'0') as usize] as usize];
    }
    c == 0
}

/// Canadian SIN: nine digits, Luhn, first digit not 0 or 8.
pub fn sin(d: &[u8]) -> bool {
    d.len() == 9 && d[0] != b'0' && d[0] != b'8' && crate::card::luhn(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        assert!(cpf(b"52998224725"));
        assert!(!cpf(b"52998224726"));
        assert!(nino(b"AB123456C"));
        assert!(!nino(b"QQ123456C"));
        assert!(aadhaar(b"234123412346"));
        assert!(sin(b"130692544"));
        assert!(!sin(b"046454286"));
    }
}
