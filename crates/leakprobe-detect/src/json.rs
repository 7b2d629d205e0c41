//! JSON awareness: a streaming walk over the raw bytes that knows, for every scalar, its key path
//! and what its key says it holds.
//!
//! The walk does not build a `serde_json::Value`: spans stay offsets into the scanned bytes (so
//! evidence can be cut from the original body), nothing is allocated per value, and a truncated
//! or malformed body is walked as far as it goes. Newline-delimited JSON is walked value after
//! value.

use std::ops::Range;

use crate::secrets::{self, Ident};

/// What a key name says about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyClass {
    Neutral,
    /// Identifiers, versions, hashes, quantities: digits under these keys are not PII.
    NotPii,
    Secret(Ident),
    Email,
    Ssn,
    Card,
    Phone,
    Iban,
    NationalId,
    Dob,
    Address,
    Ip,
    Name,
    /// `name`: a person's name only inside a person-like object.
    PlainName,
    /// `user`, `customer`, `patient`, …: objects whose `name` is a person's.
    Person,
}

/// Normalises a key: ASCII lower case, letters and digits only (`firstName`, `first_name` and
/// `First-Name` are one key).
pub(crate) fn normalise(raw: &[u8], buf: &mut [u8; 48]) -> usize {
    let mut n = 0;
    for &c in raw {
        if c.is_ascii_alphanumeric() {
            if n == buf.len() {
                break;
            }
            buf[n] = c.to_ascii_lowercase();
            n += 1;
        }
    }
    n
}

pub(crate) fn classify_key(raw: &[u8]) -> KeyClass {
    let mut buf = [0u8; 48];
    let n = normalise(raw, &mut buf);
    let k = &buf[..n];
    let has = |w: &[u8]| crate::contains(k, w);
    use KeyClass::*;
    // Exact names first: short keys are ambiguous as substrings.
    match k {
        b"ssn" | b"socialsecuritynumber" | b"socialsecurity" | b"ssnumber" => return Ssn,
        b"dob" | b"bday" => return Dob,
        b"pan" | b"card" | b"cc" | b"ccnumber" | b"ccnum" | b"cardno" | b"cardnum" => return Card,
        b"tel" | b"cell" | b"fax" | b"msisdn" => return Phone,
        b"ip" | b"ipaddr" | b"remoteaddr" | b"xforwardedfor" | b"xrealip" => return Ip,
        b"sin" | b"nin" | b"nino" | b"cpf" | b"dni" | b"nif" | b"tin" | b"aadhaar" | b"aadhar" | b"taxid" => {
            return NationalId
        }
        b"name" => return PlainName,
        b"street" | b"line1" | b"line2" | b"address" | b"address1" | b"address2" | b"streetaddress" => return Address,
        b"user" | b"users" | b"customer" | b"customers" | b"employee" | b"employees" | b"patient" | b"patients"
        | b"contact" | b"contacts" | b"member" | b"members" | b"person" | b"people" | b"owner" | b"profile"
        | b"author" | b"recipient" | b"sender" | b"buyer" | b"student" | b"students" | b"applicant" | b"driver"
        | b"guest" | b"guests" | b"passenger" | b"passengers" | b"cardholder" | b"holder" | b"account" | b"me" => {
            return Person
        }
        b"id" | b"uuid" | b"guid" | b"sku" | b"isbn" | b"isbn13" | b"isbn10" | b"version" | b"build" | b"etag"
        | b"sha" | b"sha1" | b"sha256" | b"md5" | b"checksum" | b"hash" | b"digest" | b"price" | b"amount"
        | b"total" | b"count" | b"size" | b"timestamp" | b"ts" | b"createdat" | b"updatedat" | b"port" => {
            return NotPii
        }
        _ => {}
    }
    // Metadata about a value (`passport_expiry`, `dob_verified`), not the value itself.
    const ABOUT: &[&[u8]] = &[
        b"expiry",
        b"expires",
        b"expiration",
        b"date",
        b"issued",
        b"country",
        b"type",
        b"verified",
        b"status",
        b"photo",
        b"count",
        b"format",
    ];
    if ABOUT.iter().any(|w| k.ends_with(w)) && !has(b"birth") {
        return NotPii;
    }
    if secrets::is_one_time_code_key(k) {
        return Secret(Ident::OneTimeCode);
    }
    if let Some(id) = secrets::ident(k) {
        return Secret(id);
    }
    if has(b"mail") {
        return Email;
    }
    if has(b"socialsecurity") || k.starts_with(b"ssn") && !has(b"last4") {
        return Ssn;
    }
    if has(b"cardnumber") || has(b"creditcard") || has(b"ccnumber") || has(b"accountnumber") && has(b"primary") {
        return Card;
    }
    if has(b"phone") || has(b"mobile") || has(b"telephone") || has(b"whatsapp") || k.ends_with(b"fax") {
        return Phone;
    }
    if has(b"iban") {
        return Iban;
    }
    if has(b"passport")
        || has(b"nationalid")
        || has(b"nationalinsurance")
        || has(b"driverslicense")
        || has(b"driverlicense")
        || has(b"licensenumber")
        || has(b"personalnumber")
        || has(b"idnumber")
        || has(b"taxpayer")
    {
        return NationalId;
    }
    if has(b"birth") || k.ends_with(b"dob") {
        return Dob;
    }
    if has(b"ipaddress")
        || k.ends_with(b"ip")
            && (k.starts_with(b"client")
                || k.starts_with(b"remote")
                || k.starts_with(b"last")
                || k.starts_with(b"source")
                || k.starts_with(b"user"))
    {
        return Ip;
    }
    if has(b"firstname")
        || has(b"lastname")
        || has(b"fullname")
        || has(b"givenname")
        || has(b"familyname")
        || has(b"surname")
        || has(b"middlename")
        || has(b"maidenname")
        || has(b"holdername")
        || has(b"legalname")
        || has(b"displayname")
        || k.ends_with(b"name")
            && (k.starts_with(b"customer")
                || k.starts_with(b"patient")
                || k.starts_with(b"contact")
                || k.starts_with(b"employee")
                || k.starts_with(b"billing")
                || k.starts_with(b"shipping")
                || k.starts_with(b"cardholder")
                || k.starts_with(b"recipient"))
    {
        return Name;
    }
    if (has(b"street") || has(b"addressline") || k.ends_with(b"address"))
        && !has(b"mac")
        && !has(b"wallet")
        && !has(b"url")
    {
        return Address;
    }
    if k.ends_with(b"id")
        || has(b"order")
        || has(b"invoice")
        || has(b"tracking")
        || has(b"isbn")
        || has(b"sha")
        || has(b"checksum")
        || has(b"version")
        || has(b"serial")
        || has(b"uuid")
        || has(b"reference")
    {
        return NotPii;
    }
    Neutral
}

/// One step of a key path.
#[derive(Debug, Clone)]
enum Seg {
    Key(Range<usize>, KeyClass),
    Index(usize),
}

/// Where the walk is: the key path from the root to the current value.
pub(crate) struct Path {
    segs: Vec<Seg>,
}

impl Path {
    /// The class of the value's own key (for array items, the array's key).
    pub fn key(&self) -> KeyClass {
        self.segs
            .iter()
            .rev()
            .find_map(|s| match s {
                Seg::Key(_, c) => Some(*c),
                Seg::Index(_) => None,
            })
            .unwrap_or(KeyClass::Neutral)
    }

    /// The nearest class above the value's own key.
    pub fn parent(&self) -> KeyClass {
        self.segs
            .iter()
            .rev()
            .filter_map(|s| match s {
                Seg::Key(_, c) => Some(*c),
                Seg::Index(_) => None,
            })
            .nth(1)
            .unwrap_or(KeyClass::Neutral)
    }

    /// `users[0].ssn`
    pub fn render(&self, bytes: &[u8]) -> String {
        let mut out = String::new();
        for s in &self.segs {
            match s {
                Seg::Key(r, _) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&String::from_utf8_lossy(&bytes[r.clone()]));
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

/// A scalar reached by the walk: its span (string contents without quotes) and whether it was a
/// string.
pub(crate) struct Leaf {
    pub span: Range<usize>,
    pub string: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Want {
    Value,
    ValueOrClose,
    KeyOrClose,
    Colon,
    CommaOrClose,
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    i
}

/// End of a string whose contents start at `i` (index of the closing quote).
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let k = quote_or_backslash(&b[i..])?;
        if b[i + k] == b'"' {
            return Some(i + k);
        }
        i += k + 2;
        if i > b.len() {
            return None;
        }
    }
}

/// The first `"` or `\\`. Keys and most values are short, where a call to `memchr2` costs more
/// than it saves: the first 32 bytes are tested eight at a time (SWAR, exact for the lowest
/// flagged byte), the rest with `memchr2`.
fn quote_or_backslash(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = 0;
    while i + 8 <= b.len() && i < 32 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let w = u64::from_le_bytes(w);
        let m = zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')));
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr2(b'"', b'\\', &b[i..]).map(|k| i + k)
}

/// Whether `bytes` looks like JSON: first non-blank byte opens an object or array.
pub(crate) fn looks_like_json(bytes: &[u8]) -> bool {
    let i = skip_ws(bytes, 0);
    matches!(bytes.get(i), Some(b'{' | b'['))
}

/// How deep containers may nest: serde_json's own recursion limit, so the walk and every parse in
/// the engine agree on which bodies are too deep to read whole.
pub const MAX_DEPTH: usize = 128;

/// Walks JSON values from the start, calling `leaf` for every scalar; stops at the first syntax
/// error or when the bytes end. Containers nest at most [`MAX_DEPTH`] deep; deeper input stops the
/// walk, and then it returns `true` (the rest of the bytes got no key paths).
pub(crate) fn walk(b: &[u8], mut leaf: impl FnMut(&Path, Leaf)) -> bool {
    let mut classes = KeyCache::new();
    // Frame: is_array, plus the number of segments the frame pushed so far.
    let mut frames: Vec<bool> = Vec::with_capacity(16);
    let mut path = Path { segs: Vec::with_capacity(16) };
    let mut want = Want::Value;
    let mut i = 0;
    let n = b.len();
    loop {
        i = skip_ws(b, i);
        if i >= n {
            return false;
        }
        let c = b[i];
        match want {
            Want::Value | Want::ValueOrClose => {
                if want == Want::ValueOrClose && c == b']' {
                    frames.pop();
                    path.segs.pop();
                    i += 1;
                    want = after_close(&mut frames, &mut path);
                    continue;
                }
                match c {
                    b'{' => {
                        if frames.len() >= MAX_DEPTH {
                            return true;
                        }
                        frames.push(false);
                        i += 1;
                        want = Want::KeyOrClose;
                    }
                    b'[' => {
                        if frames.len() >= MAX_DEPTH {
                            return true;
                        }
                        frames.push(true);
                        path.segs.push(Seg::Index(0));
                        i += 1;
                        want = Want::ValueOrClose;
                    }
                    b'"' => {
                        let Some(end) = string_end(b, i + 1) else { return false };
                        leaf(&path, Leaf { span: i + 1..end, string: true });
                        i = end + 1;
                        want = after_value(&frames);
                    }
                    _ => {
                        let start = i;
                        while i < n && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'-' | b'+' | b'.')) {
                            i += 1;
                        }
                        if i == start {
                            return false;
                        }
                        leaf(&path, Leaf { span: start..i, string: false });
                        want = after_value(&frames);
                    }
                }
                if frames.is_empty() && want == Want::Value {
                    // A top-level scalar: nothing more to learn.
                    if !matches!(c, b'{' | b'[') {
                        return false;
                    }
                }
            }
            Want::KeyOrClose => match c {
                b'"' => {
                    let Some(end) = string_end(b, i + 1) else { return false };
                    let raw = &b[i + 1..end];
                    let class = classes.class(raw);
                    path.segs.push(Seg::Key(i + 1..end, class));
                    i = end + 1;
                    want = Want::Colon;
                }
                b'}' => {
                    frames.pop();
                    i += 1;
                    want = after_close(&mut frames, &mut path);
                }
                _ => return false,
            },
            Want::Colon => {
                if c != b':' {
                    return false;
                }
                i += 1;
                want = Want::Value;
            }
            Want::CommaOrClose => {
                let in_array = frames.last().copied().unwrap_or(false);
                match c {
                    b',' => {
                        i += 1;
                        if in_array {
                            if let Some(Seg::Index(k)) = path.segs.last_mut() {
                                *k += 1;
                            }
                            want = Want::Value;
                        } else {
                            path.segs.pop();
                            want = Want::KeyOrClose;
                        }
                    }
                    b']' if in_array => {
                        frames.pop();
                        path.segs.pop();
                        i += 1;
                        want = after_close(&mut frames, &mut path);
                    }
                    b'}' if !in_array => {
                        frames.pop();
                        path.segs.pop();
                        i += 1;
                        want = after_close(&mut frames, &mut path);
                    }
                    _ => return false,
                }
            }
        }
    }
}

/// Key classes seen in one walk: API responses and JSON logs repeat the same few dozen keys, so
/// each distinct key is classified about once. Direct-mapped on the key's first and last eight
/// bytes, which for keys up to 16 bytes are the whole key; a collision only costs a classification.
struct KeyCache<'b> {
    slots: [Option<Cached<'b>>; 64],
}

/// A key, its first and last eight bytes, and its class.
type Cached<'b> = (&'b [u8], u64, u64, KeyClass);

impl<'b> KeyCache<'b> {
    fn new() -> Self {
        Self { slots: [None; 64] }
    }

    fn class(&mut self, raw: &'b [u8]) -> KeyClass {
        let mut first = [0u8; 8];
        let mut last = [0u8; 8];
        let n = raw.len().min(8);
        first[..n].copy_from_slice(&raw[..n]);
        last[8 - n..].copy_from_slice(&raw[raw.len() - n..]);
        let (a, b) = (u64::from_le_bytes(first), u64::from_le_bytes(last));
        let h = (a ^ b.rotate_left(29) ^ raw.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58;
        let slot = &mut self.slots[h as usize];
        if let Some((k, ka, kb, c)) = *slot {
            if ka == a && kb == b && k.len() == raw.len() && (raw.len() <= 16 || k == raw) {
                return c;
            }
        }
        let c = classify_key(raw);
        *slot = Some((raw, a, b, c));
        c
    }
}

fn after_value(frames: &[bool]) -> Want {
    if frames.is_empty() {
        Want::Value
    } else {
        Want::CommaOrClose
    }
}

fn after_close(frames: &mut [bool], _path: &mut Path) -> Want {
    // The object or array just closed was the value of the enclosing key or array slot; that key
    // stays on the path until the enclosing `,` or close pops it.
    after_value(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let doc = br#"{"users":[{"id":1,"ssn":"536-22-8410"},{"address":{"street":"1 Main St"}}],"n":null}"#;
        let mut seen = Vec::new();
        walk(doc, |p, l| seen.push((p.render(doc), String::from_utf8_lossy(&doc[l.span]).into_owned())));
        assert_eq!(
            seen,
            vec![
                ("users[0].id".to_string(), "1".to_string()),
                ("users[0].ssn".to_string(), "536-22-8410".to_string()),
                ("users[1].address.street".to_string(), "1 Main St".to_string()),
                ("n".to_string(), "null".to_string()),
            ]
        );
    }

    #[test]
    fn ndjson_and_truncation() {
        let doc = b"{\"a\":\"x\"}\n{\"b\":[1,2]}\n{\"c\":\"tru";
        let mut seen = Vec::new();
        walk(doc, |p, _| seen.push(p.render(doc)));
        assert_eq!(seen, vec!["a", "b[0]", "b[1]"]);
    }

    #[test]
    fn depth_limit_stops_the_walk() {
        let mut doc = "[".repeat(MAX_DEPTH - 1);
        doc.push_str("{\"ssn\":1}");
        doc.push_str(&"]".repeat(MAX_DEPTH - 1));
        let mut seen = 0;
        assert!(!walk(doc.as_bytes(), |_, _| seen += 1));
        assert_eq!(seen, 1);
        let deep = "[".repeat(1_000_000);
        assert!(walk(deep.as_bytes(), |_, _| {}));
    }

    /// Keys that share their first and last eight bytes, or differ only in length, keep their
    /// own classes.
    #[test]
    fn key_cache_tells_similar_keys_apart() {
        let mut cache = KeyCache::new();
        let keys: [&[u8]; 8] = [
            b"customer_ssn",
            b"customer_id",
            b"ssn",
            b"ssn_",
            b"social_security_number_of_the_customer",
            b"social_security_xxxxx_of_the_customer",
            b"",
            b"order_id",
        ];
        for _ in 0..3 {
            for k in keys {
                assert_eq!(cache.class(k), classify_key(k), "{}", String::from_utf8_lossy(k));
            }
        }
    }

    /// The eight-byte search finds the first quote or backslash wherever it is, past other
    /// bytes that borrow into it and past the SWAR part.
    #[test]
    fn quote_search_matches_a_byte_search() {
        let fills: [&[u8]; 4] = [b"a", b"\x21\x01", b"\xff\"", b"\\\x5b"];
        for fill in fills {
            for len in 0..48 {
                for at in 0..=len {
                    let mut v: Vec<u8> =
                        (0..len).map(|k| if k < at { b'x' ^ (k as u8 & 1) } else { fill[k % fill.len()] }).collect();
                    if at < len && !v[at..].iter().any(|c| matches!(c, b'"' | b'\\')) {
                        v[at] = b'"';
                    }
                    let want = v.iter().position(|c| matches!(c, b'"' | b'\\'));
                    assert_eq!(quote_or_backslash(&v), want, "{v:?}");
                }
            }
        }
    }

    #[test]
    fn keys() {
        assert_eq!(classify_key(b"social_security_number"), KeyClass::Ssn);
        assert_eq!(classify_key(b"firstName"), KeyClass::Name);
        assert_eq!(classify_key(b"order_id"), KeyClass::NotPii);
        assert_eq!(classify_key(b"password"), KeyClass::Secret(Ident::Password));
        assert_eq!(classify_key(b"email_address"), KeyClass::Email);
        assert_eq!(classify_key(b"ip_address"), KeyClass::Ip);
        assert_eq!(classify_key(b"date_of_birth"), KeyClass::Dob);
    }
}
