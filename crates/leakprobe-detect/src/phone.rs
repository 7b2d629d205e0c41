//! Phone numbers, validated against libphonenumber's numbering plans (the `phonenumber` crate).
//!
//! Candidates come from the numeric tokenizer, which already rejected dates, IPs, cards and
//! decimals; here a number is accepted only if a numbering plan says it can exist.

use phonenumber::country::Id;

// Regions tried for numbers written without `+`: US (whose NANP plan covers Canada), GB, DE, FR,
// IN, BR and IL (the field notes' list).

/// The region whose plan accepts `text` (`"intl"` for `+` numbers).
///
/// Without a `+`, the written form narrows the plans to try: European, Indian, Brazilian and
/// Israeli national formats start with the trunk prefix 0; NANP numbers never do; `(11) 9…` is
/// Brazil's area-code style; ten digits from 6–9 are Indian mobiles. Trying every plan on every
/// digit string would let some plan accept years and ids.
pub fn validate(text: &str) -> Option<&'static str> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
    // `(555) 555-5555`, `000-000-0000`: filler.
    let most = (b'0'..=b'9').map(|d| digits.iter().filter(|c| **c == d).count()).max().unwrap_or(0);
    if most * 10 >= digits.len() * 8 {
        return None;
    }
    if text.starts_with('+') {
        let n = phonenumber::parse(None, text).ok()?;
        return phonenumber::is_valid(&n).then_some("intl");
    }
    let body = text.trim_start_matches('(');
    let regions: &[Id] = if body.starts_with('0') {
        &[Id::GB, Id::DE, Id::FR, Id::IN, Id::BR, Id::IL]
    } else if text.starts_with('(') && body.find(')') == Some(2) {
        &[Id::BR]
    } else if digits.len() == 10 && matches!(digits[0], b'6'..=b'9') {
        &[Id::US, Id::IN]
    } else {
        &[Id::US]
    };
    for region in regions {
        if let Ok(n) = phonenumber::parse(Some(*region), text) {
            // Without the region check a German national number could validate as, say, an
            // Austrian one through a leading 00.
            if phonenumber::is_valid(&n) && u64::from(n.code().value()) == country_code(*region) {
                return Some(region.as_ref_static());
            }
        }
    }
    None
}

/// A national number written without separators as its owner would dial it: trunk 0, then a
/// non-zero digit (`00` is the international prefix), no counting run (`0123456789`), and a
/// plan of a trunk-0 region that accepts it.
pub fn is_trunk_national(digits: &[u8]) -> bool {
    if digits.len() < 3 || digits[0] != b'0' || digits[1] == b'0' {
        return false;
    }
    let counting = digits.windows(2).all(|w| w[1] == w[0] + 1) || digits.windows(2).all(|w| w[0] == w[1] + 1);
    !counting && std::str::from_utf8(digits).ok().and_then(validate).is_some()
}

fn country_code(id: Id) -> u64 {
    match id {
        Id::US | Id::CA => 1,
        Id::GB => 44,
        Id::DE => 49,
        Id::FR => 33,
        Id::IN => 91,
        Id::BR => 55,
        Id::IL => 972,
        _ => 0,
    }
}

trait Static {
    fn as_ref_static(&self) -> &'static str;
}

impl Static for Id {
    fn as_ref_static(&self) -> &'static str {
        match self {
            Id::US => "us",
            Id::GB => "gb",
            Id::DE => "de",
            Id::FR => "fr",
            Id::IN => "in",
            Id::BR => "br",
            Id::IL => "il",
            _ => "other",
        }
    }
}

/// Loads the numbering-plan database now rather than on the first scanned phone number.
pub fn warm_up() {
    let _ = validate("+14155552671");
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn plans() {
        assert!(validate("+1 415-555-2671").is_some() || validate("+1 415 867 5309").is_some());
        assert!(validate("+44 20 7946 0958").is_some());
        assert!(validate("(415) 867-5309").is_some());
        assert!(validate("030 12345678").is_some());
        assert!(validate("+49 30 901820").is_some());
        assert!(validate("98765 43210").is_some());
        assert!(validate("1234567").is_none());
    }
}
