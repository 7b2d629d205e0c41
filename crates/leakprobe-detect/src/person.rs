//! Names and street addresses in free text. Both are weak signals on their own, so they need a
//! cue: a street suffix after a house number, or `name:` / `Dear` before capitalised words. In
//! JSON the key (`first_name`, `address.street`) is the cue, see `json.rs`.

use crate::secrets::Found;
use crate::{Confidence, PiiType};

/// Literal cues for the detector's automaton, case-sensitive. US-style street addresses start
/// with a house number and are found from the numeric tokenizer instead (`street_after`): a cue
/// starting with a space would make the automaton's prefilter stop at every space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cue {
    /// `straße ` etc.: the number follows the street name.
    GermanStreet,
    /// `name:`, `Dear `: a person's name follows.
    Name,
}

pub(crate) const CUES: &[(&str, Cue)] = &[
    ("straße ", Cue::GermanStreet),
    ("strasse ", Cue::GermanStreet),
    ("str. ", Cue::GermanStreet),
    ("weg ", Cue::GermanStreet),
    ("name:", Cue::Name),
    ("name=", Cue::Name),
    ("Name:", Cue::Name),
    ("Dear ", Cue::Name),
];

fn capitalised_word(bytes: &[u8], i: usize) -> Option<usize> {
    if !bytes.get(i)?.is_ascii_uppercase() {
        return None;
    }
    let mut j = i + 1;
    while j < bytes.len() && (bytes[j].is_ascii_lowercase() || matches!(bytes[j], b'\'' | b'-') || bytes[j] >= 0x80) {
        j += 1;
    }
    (j - i >= 2).then_some(j)
}

pub(crate) fn at_cue(bytes: &[u8], start: usize, end: usize, cue: Cue) -> Option<Found> {
    match cue {
        Cue::GermanStreet => german_street(bytes, start, end),
        Cue::Name => name(bytes, start, end),
    }
}

/// Street-type words that end a US/UK-style street address.
const SUFFIXES: &[&[u8]] = &[
    b"Street",
    b"St",
    b"Avenue",
    b"Ave",
    b"Road",
    b"Rd",
    b"Boulevard",
    b"Blvd",
    b"Lane",
    b"Ln",
    b"Drive",
    b"Dr",
    b"Court",
    b"Ct",
    b"Place",
    b"Pl",
    b"Terrace",
    b"Way",
    b"Parkway",
    b"Pkwy",
    b"Circle",
    b"Highway",
    b"Hwy",
    b"Square",
];

/// `221 Baker Street`, `1600 Pennsylvania Ave`, `12 5th Avenue`: called with the span of a house
/// number that is followed by a space; one to three capitalised (or ordinal) words, then a street
/// suffix.
pub(crate) fn street_after(bytes: &[u8], num_start: usize, num_end: usize) -> Option<Found> {
    let mut i = num_end;
    let mut words = 0;
    loop {
        if bytes.get(i) != Some(&b' ') {
            return None;
        }
        let ws = i + 1;
        let mut we = ws;
        while we < bytes.len() && (bytes[we].is_ascii_alphanumeric() || bytes[we] >= 0x80) {
            we += 1;
        }
        let w = &bytes[ws..we];
        if w.is_empty() {
            return None;
        }
        if words >= 1 && SUFFIXES.contains(&w) {
            let stop = if bytes.get(we) == Some(&b'.') { we + 1 } else { we };
            return Some((num_start..stop, PiiType::Address, Confidence::Medium, None));
        }
        let ordinal = w[0].is_ascii_digit() && [&b"st"[..], b"nd", b"rd", b"th"].iter().any(|o| w.ends_with(o));
        if !(w[0].is_ascii_uppercase() || ordinal) || words == 3 {
            return None;
        }
        words += 1;
        i = we;
    }
}

/// `Hauptstraße 12`, `Lindenweg 3a`.
fn german_street(bytes: &[u8], start: usize, end: usize) -> Option<Found> {
    let mut s = start;
    while s > 0 && (bytes[s - 1].is_ascii_alphabetic() || bytes[s - 1] >= 0x80) {
        s -= 1;
    }
    if !bytes.get(s)?.is_ascii_uppercase() || (s > 0 && bytes[s - 1].is_ascii_alphanumeric()) {
        return None;
    }
    let mut e = end;
    while e < bytes.len() && e - end < 4 && bytes[e].is_ascii_digit() {
        e += 1;
    }
    if e == end {
        return None;
    }
    if e < bytes.len() && bytes[e].is_ascii_lowercase() && !bytes.get(e + 1).is_some_and(u8::is_ascii_alphanumeric) {
        e += 1;
    }
    if bytes.get(e).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    Some((s..e, PiiType::Address, Confidence::Medium, None))
}

/// Capitalised words after `name:` or `Dear `; two or more make a name.
fn name(bytes: &[u8], start: usize, end: usize) -> Option<Found> {
    if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
        // `username:`, `hostname=`: logins and machines, not people. `full_name:` passes.
        if bytes[start - 1] != b'_' {
            return None;
        }
    }
    if start > 0 && bytes[start - 1] == b'_' {
        let mut k = start - 1;
        while k > 0 && bytes[k - 1].is_ascii_alphabetic() {
            k -= 1;
        }
        let prefix = bytes[k..start - 1].to_ascii_lowercase();
        const PEOPLE: &[&[u8]] = &[
            b"full",
            b"first",
            b"last",
            b"customer",
            b"patient",
            b"contact",
            b"given",
            b"family",
            b"holder",
            b"employee",
            b"legal",
        ];
        if !PEOPLE.contains(&prefix.as_slice()) {
            return None;
        }
    }
    let mut i = end;
    while i < bytes.len() && i - end < 3 && matches!(bytes[i], b' ' | b'"' | b'\'') {
        i += 1;
    }
    let s = i;
    let mut e = capitalised_word(bytes, i)?;
    let mut words = 1;
    while words < 4 && bytes.get(e) == Some(&b' ') {
        match capitalised_word(bytes, e + 1) {
            Some(next) => {
                e = next;
                words += 1;
            }
            None => break,
        }
    }
    const NOT_NAMES: &[&[u8]] = &[
        b"Customer",
        b"Sir",
        b"Madam",
        b"User",
        b"Friend",
        b"Team",
        b"Admin",
        b"Null",
        b"None",
        b"John Doe",
        b"Jane Doe",
        b"Test",
    ];
    if NOT_NAMES.iter().any(|n| bytes[s..e].starts_with(n)) {
        return None;
    }
    let conf = if words >= 2 { Confidence::Medium } else { Confidence::Low };
    Some((s..e, PiiType::Name, conf, None))
}
