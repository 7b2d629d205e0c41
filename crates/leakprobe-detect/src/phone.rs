//! Phone numbers, validated against libphonenumber's numbering plans (the `phonenumber` crate).
//!
//! Candidates come from the numeric tokenizer, which already rejected dates, IPs, cards and
//! decimals; here a number is accepted only if a numbering plan says it can exist.

use phonenumber::country::Id;

/// Regions tried for numbers written without `+`. Canada shares the NANP plan with the US;
/// Israel is in the field notes' list.
const REGIONS: &[Id] = &[Id::US, Id::GB, Id::DE, Id::FR, Id::IN, Id::BR, Id::IL];

/// The region whose plan accepts `text` (`"intl"` for `+` numbers).
pub fn validate(text: &str) -> Option<&'static str> {
    if text.starts_with('+') {
        let n = phonenumber::parse(None, text).ok()?;
        return phonenumber::is_valid(&n).then_some("intl");
    }
    for region in REGIONS {
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
