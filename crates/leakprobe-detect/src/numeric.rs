//! Everything written with digits: cards, SSNs, phones, IPs, dates of birth, IBANs and national
//! ids, found by one tokenizer.
//!
//! A token is a run of digit groups joined by single separators (`4111 1111 1111 1111`,
//! `536-22-8410`, `(415) 867-5309`, `10.0.3.17`). Tokens glued to letters on either side are
//! parts of identifiers (UUIDs, hex digests, `ORD-2024-…`, `2024-05-01T…`) and never PII; that
//! single rule removes most of the false positives the field reports for Luhn-only detectors.

use crate::context::Context;
use crate::secrets::Found;
use crate::{card, date, iban, ip, national, phone, ssn, Confidence, PiiType};

const MAX_DIGITS: usize = 32;
const MAX_GROUPS: usize = 12;

fn word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_sep(c: u8) -> bool {
    matches!(c, b' ' | b'-' | b'.' | b'/' | b'(' | b')')
}

struct Tok {
    start: usize,
    end: usize,
    digits: [u8; MAX_DIGITS],
    nd: usize,
    groups: [u8; MAX_GROUPS],
    ng: usize,
    /// Separator after group k (its first non-parenthesis character, or `)`).
    seps: [u8; MAX_GROUPS],
    plus: bool,
    paren: bool,
    overflow: bool,
}

impl Tok {
    fn digits(&self) -> &[u8] {
        &self.digits[..self.nd]
    }
    fn groups(&self) -> &[u8] {
        &self.groups[..self.ng]
    }
    fn seps(&self) -> &[u8] {
        &self.seps[..self.ng.saturating_sub(1)]
    }
    /// All separators are `c` (and there is at least one).
    fn uniform(&self, c: u8) -> bool {
        self.ng > 1 && self.seps().iter().all(|s| *s == c)
    }
}

fn read(bytes: &[u8], start: usize) -> Tok {
    let mut t = Tok {
        start,
        end: start,
        digits: [0; MAX_DIGITS],
        nd: 0,
        groups: [0; MAX_GROUPS],
        ng: 0,
        seps: [0; MAX_GROUPS],
        plus: bytes[start] == b'+',
        paren: bytes[start] == b'(',
        overflow: false,
    };
    let n = bytes.len();
    let mut j = start + usize::from(t.plus || t.paren);
    loop {
        let gs = j;
        while j < n && bytes[j].is_ascii_digit() {
            if t.nd < MAX_DIGITS {
                t.digits[t.nd] = bytes[j];
                t.nd += 1;
            } else {
                t.overflow = true;
            }
            j += 1;
        }
        if t.ng < MAX_GROUPS {
            t.groups[t.ng] = (j - gs).min(255) as u8;
            t.ng += 1;
        } else {
            t.overflow = true;
        }
        t.end = j;
        // One separator, or two when one of them is a parenthesis: `) `, ` (`.
        let mut k = j;
        while k < n && k - j < 2 && is_sep(bytes[k]) {
            k += 1;
        }
        let sep = &bytes[j..k];
        let ok = match sep.len() {
            1 => true,
            2 => sep.contains(&b'(') || sep.contains(&b')'),
            _ => false,
        };
        if !ok || k >= n || !bytes[k].is_ascii_digit() {
            // A closing parenthesis right after the digits belongs to `(555)`-style area codes.
            break;
        }
        if sep.contains(&b'(') || sep.contains(&b')') {
            t.paren = true;
        }
        if t.ng - 1 < MAX_GROUPS {
            t.seps[t.ng - 1] = sep.iter().copied().find(|c| *c != b'(' && *c != b')').unwrap_or(b')');
        }
        j = k;
    }
    t
}

/// Adds confidence steps to a base level; `None` means drop.
fn level(base: i8, adj: i8) -> Option<Confidence> {
    match base + adj {
        i8::MIN..=-1 => None,
        0 => Some(Confidence::Low),
        1 => Some(Confidence::Medium),
        _ => Some(Confidence::High),
    }
}

/// Bytes that can start a token: digits, `+`, `(`.
const STARTS: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = b'0';
    while c <= b'9' {
        t[c as usize] = true;
        c += 1;
    }
    t[b'+' as usize] = true;
    t[b'(' as usize] = true;
    t
};

fn word8(bytes: &[u8], i: usize) -> [u8; 8] {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[i..i + 8]);
    w
}

/// Which of eight bytes may be a digit, `+` or `(` (SWAR: a byte is below `n` after the
/// subtraction borrows into its top bit). Borrows can flag bytes above a flagged one, never
/// below: non-zero exactly when one of the bytes is, and the lowest flag is exact.
fn may_start(w: u64) -> u64 {
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    below(w ^ (ONES * u64::from(b'0')), 10)
        | below(w ^ (ONES * u64::from(b'+')), 1)
        | below(w ^ (ONES * u64::from(b'(')), 1)
}

pub(crate) fn scan(bytes: &[u8], ctx: &Context, out: &mut Vec<Found>) {
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        // The hot loop: most bytes are letters and punctuation; skip them eight at a time, then
        // straight to the first byte that may start a token.
        while i + 8 <= n {
            let m = may_start(u64::from_le_bytes(word8(bytes, i)));
            if m != 0 {
                i += (m.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        while i < n && !STARTS[bytes[i] as usize] {
            i += 1;
        }
        if i >= n {
            break;
        }
        let c = bytes[i];
        let starts =
            c.is_ascii_digit() || ((c == b'+' || c == b'(') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts {
            i += 1;
            continue;
        }
        if i > 0 && word(bytes[i - 1]) {
            if c.is_ascii_digit() {
                if let Some(end) = letters_then_digits(bytes, i, ctx, out) {
                    i = end;
                    continue;
                }
            }
            i = skip_word(bytes, i).max(i + 1);
            continue;
        }
        // `ORD-2024-…`, `abc.123`: a continuation of an identifier.
        if i >= 2 && matches!(bytes[i - 1], b'-' | b'.') && word(bytes[i - 2]) {
            i = skip_word(bytes, i).max(i + 1);
            continue;
        }
        // Hex digests and UUIDs: digits glued to a letter are an identifier, whatever follows.
        if c.is_ascii_digit() {
            let run = i + bytes[i..].iter().position(|b| !b.is_ascii_digit()).unwrap_or(n - i);
            if run < n && word(bytes[run]) {
                i = skip_word(bytes, run).max(i + 1);
                continue;
            }
        }
        let t = read(bytes, i);
        let after = bytes.get(t.end).copied();
        let glued = match after {
            Some(a) if word(a) => true,
            // `12345678-abcd`, `10.0.0.1.nip.io`, `10:22:33`
            Some(b'-' | b'.') => bytes.get(t.end + 1).is_some_and(|c| word(*c)),
            // `10:22:33` is a time, but `10.0.3.17:5432` is an address and its port.
            Some(b':') => !t.uniform(b'.') && bytes.get(t.end + 1).is_some_and(|c| word(*c)),
            _ => false,
        };
        if glued {
            i = skip_word(bytes, t.end).max(i + 1);
            continue;
        }
        // A house number followed by a capitalised word may start a street address.
        if t.ng == 1
            && t.nd <= 5
            && !t.plus
            && !t.paren
            && bytes.get(t.end) == Some(&b' ')
            && bytes.get(t.end + 1).is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            if let Some(mut f) = crate::person::street_after(bytes, t.start, t.end) {
                if ctx.adjust(bytes, t.start, PiiType::Address) > 0 {
                    f.2 = Confidence::High;
                }
                i = f.0.end;
                out.push(f);
                continue;
            }
        }
        if !classify(bytes, &t, ctx, out) && t.seps().contains(&b' ') {
            // `536-22-8410 4111…` in a space-separated line: try each piece alone.
            let mut s = t.start;
            while s < t.end {
                let e = memchr::memchr(b' ', &bytes[s..t.end]).map_or(t.end, |k| s + k);
                if e > s && matches!(bytes[s], b'0'..=b'9' | b'+' | b'(') {
                    classify(bytes, &read(&bytes[..e], s), ctx, out);
                }
                s = e + 1;
            }
        }
        i = t.end.max(i + 1);
    }
}

/// The end of the identifier (word characters and `-`) at `i`. Hex digests, UUIDs and trace ids
/// are long, so eight bytes are classified at a time.
fn skip_word(bytes: &[u8], mut i: usize) -> usize {
    while i + 8 <= bytes.len() {
        let other = !word_or_dash8(u64::from_le_bytes(word8(bytes, i))) & HIGH;
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && (word(bytes[i]) || bytes[i] == b'-') {
        i += 1;
    }
    i
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The top bit of each byte of `w` that is `[0-9A-Za-z_-]` (SWAR: per-byte comparisons on the
/// low seven bits cannot borrow across bytes; bytes with the top bit set are never word bytes).
fn word_or_dash8(w: u64) -> u64 {
    const LOW: u64 = !HIGH;
    let x = w & LOW;
    let at_least = |lo: u8| (x | HIGH).wrapping_sub(ONES * u64::from(lo)) & HIGH;
    let at_most = |hi: u8| ((ONES * u64::from(hi)) | HIGH).wrapping_sub(x) & HIGH;
    let folded = x | (ONES * 0x20);
    let alpha = ((folded | HIGH).wrapping_sub(ONES * u64::from(b'a')) & HIGH)
        & (((ONES * u64::from(b'z')) | HIGH).wrapping_sub(folded) & HIGH);
    let digit = at_least(b'0') & at_most(b'9');
    let is = |c: u8| {
        let y = x ^ (ONES * u64::from(c));
        !((y & LOW).wrapping_add(LOW) | y) & HIGH
    };
    (alpha | digit | is(b'_') | is(b'-')) & !w & HIGH
}

/// IBANs (`DE89…`) and UK NINOs (`AB123456C`): two capitals glued to digits at `i`.
fn letters_then_digits(bytes: &[u8], i: usize, ctx: &Context, out: &mut Vec<Found>) -> Option<usize> {
    if i < 2 || !bytes[i - 2].is_ascii_uppercase() || !bytes[i - 1].is_ascii_uppercase() {
        return None;
    }
    let s = i - 2;
    if s > 0 && word(bytes[s - 1]) {
        return None;
    }
    if let Some(end) = iban::read(bytes, s) {
        let conf = level(1, ctx.adjust(bytes, s, PiiType::Iban))?;
        out.push((s..end, PiiType::Iban, conf, None));
        return Some(end);
    }
    let e = s + 9;
    if e <= bytes.len() && national::nino(&bytes[s..e]) && !bytes.get(e).is_some_and(|c| word(*c)) {
        let conf = level(0, ctx.adjust(bytes, s, PiiType::NationalId))?;
        out.push((s..e, PiiType::NationalId, conf, Some("uk_nino")));
        return Some(e);
    }
    None
}

/// Classifies one token; `false` when it is none of ours.
fn classify(bytes: &[u8], t: &Tok, ctx: &Context, out: &mut Vec<Found>) -> bool {
    if t.overflow || t.nd == 0 {
        return t.overflow;
    }
    let digits = t.digits();
    let groups = t.groups();
    let nd = t.nd;
    let text = &bytes[t.start..t.end];
    let span = t.start..t.end;
    // Read once, on the first kind that asks: most tokens are settled by shape alone.
    let words = std::cell::OnceCell::new();
    let adj = |kind| words.get_or_init(|| ctx.words(bytes, t.start)).adjust(kind);
    let plain = !t.plus && !t.paren;

    // Dates: a date of birth only with a word like "born" or "dob" before it.
    if plain && t.ng == 3 && (t.uniform(b'-') || t.uniform(b'/') || t.uniform(b'.')) {
        let g = (groups[0], groups[1], groups[2]);
        if matches!(g, (4, 1..=2, 1..=2) | (1..=2, 1..=2, 4)) {
            if date::is_birth_date(text) && adj(PiiType::DateOfBirth) > 0 {
                out.push((span, PiiType::DateOfBirth, Confidence::Medium, None));
            }
            return true;
        }
    }
    // IPv4, versions and decimals.
    if plain && t.uniform(b'.') && !(t.ng == 3 && groups == [3, 3, 4]) {
        if t.ng == 4 && groups.iter().all(|g| *g <= 3) {
            if let Some(detail) = ip::classify(text).filter(|_| !ip::after_version_word(bytes, t.start)) {
                let base = if ip::is_small(text) { 0 } else { 1 };
                let a = adj(PiiType::IpAddress);
                if let Some(conf) = level(base, a).filter(|_| a >= 0) {
                    out.push((span, PiiType::IpAddress, conf, Some(detail)));
                }
            }
        }
        return true;
    }
    if t.seps().contains(&b'/') {
        return true;
    }
    // SSN 3-2-4.
    if plain && groups == [3, 2, 4] && (t.uniform(b'-') || t.uniform(b' ')) {
        if ssn::validate(digits) {
            let base = if t.uniform(b'-') { 1 } else { 0 };
            if let Some(conf) = level(base, adj(PiiType::Ssn)) {
                out.push((span, PiiType::Ssn, conf, None));
            }
        }
        return true;
    }
    // Bare nine digits: SSN or SIN only when the words around say so.
    if plain && t.ng == 1 && nd == 9 {
        if ssn::validate(digits) && adj(PiiType::Ssn) > 0 {
            out.push((span, PiiType::Ssn, Confidence::Medium, None));
            return true;
        }
        if national::sin(digits) && adj(PiiType::NationalId) > 0 {
            out.push((span, PiiType::NationalId, Confidence::Medium, Some("ca_sin")));
            return true;
        }
    }
    // Brazil CPF ddd.ddd.ddd-dd.
    if plain && groups == [3, 3, 3, 2] && t.seps() == b"..-" {
        if national::cpf(digits) {
            if let Some(conf) = level(1, adj(PiiType::NationalId)) {
                out.push((span, PiiType::NationalId, conf, Some("br_cpf")));
            }
        }
        return true;
    }
    // Cards: 13–19 digits, bare or in the groupings printed on cards.
    let card_shape = t.ng == 1
        || ((t.uniform(b' ') || t.uniform(b'-'))
            && (groups[..t.ng - 1].iter().all(|g| *g == 4) && groups[t.ng - 1] <= 4
                || groups == [4, 6, 5]
                || groups == [4, 6, 4]));
    if plain && (13..=19).contains(&nd) && card_shape {
        if let Some(brand) = card::validate(digits) {
            let a = adj(PiiType::CreditCard);
            let (base, detail) = if card::is_test_number(digits) { (0, "test") } else { (1, brand) };
            // A bare digit run next to "order" or "invoice" is that order's number.
            // Test numbers stay low whatever the words around them say.
            let conf = level(base, a).map(|c| if base == 0 { c.min(Confidence::Low) } else { c });
            if let Some(conf) = conf.filter(|_| !(t.ng == 1 && a < 0)) {
                out.push((span, PiiType::CreditCard, conf, Some(detail)));
            }
            return true;
        }
        if t.ng > 1 {
            return true;
        }
    }
    if nd > 15 {
        return true;
    }
    // Aadhaar 4-4-4 and Canadian SIN 3-3-3, with words around them.
    if plain
        && groups == [4, 4, 4]
        && (t.uniform(b' ') || t.uniform(b'-'))
        && national::aadhaar(digits)
        && adj(PiiType::NationalId) > 0
    {
        out.push((span, PiiType::NationalId, Confidence::Medium, Some("in_aadhaar")));
        return true;
    }
    if plain
        && groups == [3, 3, 3]
        && (t.uniform(b' ') || t.uniform(b'-'))
        && national::sin(digits)
        && adj(PiiType::NationalId) > 0
    {
        out.push((span, PiiType::NationalId, Confidence::Medium, Some("ca_sin")));
        return true;
    }
    phone_candidate(bytes, t, adj, out)
}

fn phone_candidate(bytes: &[u8], t: &Tok, adj: impl Fn(PiiType) -> i8, out: &mut Vec<Found>) -> bool {
    if !(7..=15).contains(&t.nd) {
        return false;
    }
    let groups = t.groups();
    let a = adj(PiiType::Phone);
    let formatted = t.plus || t.paren || (t.ng >= 2 && groups[1..].iter().all(|g| *g >= 2));
    // Unformatted digit runs are ids and timestamps far more often than phones; the exception is
    // a national number with its trunk 0 (`07911123456`, `015112345678`), which ids, epoch
    // timestamps and order numbers do not start with, unless a word nearby names an id.
    let national =
        !formatted && a == 0 && t.ng == 1 && (10..=12).contains(&t.nd) && phone::is_trunk_national(t.digits());
    if !formatted && a <= 0 && !national {
        return false;
    }
    if !t.plus && t.ng >= 2 {
        // National groupings: 3+ digits after the first group (`415 867 5309`, `030 1234567`),
        // or pairs throughout (`06 12 34 56 78`). `536-22-84100` and ISBNs are neither.
        let pairs = groups.iter().all(|g| *g == 2);
        if !pairs && groups[1..].iter().any(|g| *g < 3) {
            return false;
        }
        // Two groups without a trunk 0 or parentheses: zip+4, ranges, id pairs.
        if t.ng == 2 && !t.paren && bytes.get(t.start) != Some(&b'0') && a <= 0 {
            return false;
        }
    }
    let text = String::from_utf8_lossy(&bytes[t.start..t.end]);
    let Some(region) = phone::validate(&text) else {
        return false;
    };
    let Some(conf) = level(1, a) else {
        return false;
    };
    out.push((t.start..t.end, PiiType::Phone, conf, Some(region)));
    true
}

#[cfg(test)]
mod tests {
    use super::{may_start, word, word_or_dash8, HIGH, STARTS};

    /// The eight-byte identifier test agrees with the byte test for every byte value in every
    /// lane, whatever the other lanes hold.
    #[test]
    fn swar_word_matches_the_byte_test() {
        for fill in [b'a', b'-', b' ', 0xff, b'0', b'Z'] {
            for lane in 0..8 {
                for b in 0..=255u8 {
                    let mut w = [fill; 8];
                    w[lane] = b;
                    let got = word_or_dash8(u64::from_le_bytes(w)) & (HIGH & (0xff << (lane * 8))) != 0;
                    assert_eq!(got, word(b) || b == b'-', "byte {b:#x} in lane {lane} among {fill:#x}");
                }
            }
        }
    }

    /// The eight-byte skip agrees with the table for every byte value in every lane.
    #[test]
    fn swar_skip_matches_the_table() {
        for lane in 0..8 {
            for b in 0..=255u8 {
                let mut w = [b'a'; 8];
                w[lane] = b;
                assert_eq!(may_start(u64::from_le_bytes(w)) != 0, STARTS[b as usize], "byte {b:#x} in lane {lane}");
                // Whatever the bytes above it, the lowest flag is the first start byte.
                let mut w = [b'7'; 8];
                w[..lane].fill(b'a');
                w[lane] = b;
                let first = if STARTS[b as usize] { lane } else { lane + 1 };
                let m = may_start(u64::from_le_bytes(w));
                assert_eq!((m.trailing_zeros() / 8) as usize, first.min(8), "byte {b:#x} in lane {lane}");
            }
        }
    }
}
