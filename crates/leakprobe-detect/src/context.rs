//! Words near a match: "ssn" before nine digits raises confidence, "order" or "isbn" lowers it.
//!
//! Presidio counts a context word among the five tokens before a match; we look at the 40 bytes
//! before it, which is about the same and needs no tokenizer. In JSON the key name falls inside
//! that window too, but the key path (see `json.rs`) is the stronger signal.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::PiiType::{self, *};

pub(crate) const WINDOW: usize = 40;

/// Types whose candidates are bare digit strings and so inherit the numeric negatives.
const NUMERIC: &[PiiType] = &[CreditCard, Phone, Ssn, IpAddress, NationalId, Iban];

/// `(word, raises, lowers)`. Words of four letters or fewer must stand alone (`tel` is not in
/// `hotel`, `pan` is not in `company`).
const WORDS: &[(&str, &[PiiType], &[PiiType])] = &[
    ("email", &[Email], &[]),
    ("e-mail", &[Email], &[]),
    ("mail", &[Email], &[]),
    ("contact", &[Email, Phone], &[]),
    ("ssn", &[Ssn], &[]),
    ("social security", &[Ssn], &[]),
    ("social_security", &[Ssn], &[]),
    ("socialsecurity", &[Ssn], &[]),
    ("card", &[CreditCard], &[]),
    ("credit", &[CreditCard], &[]),
    ("visa", &[CreditCard], &[]),
    ("mastercard", &[CreditCard], &[]),
    ("amex", &[CreditCard], &[]),
    ("pan", &[CreditCard], &[]),
    ("cc", &[CreditCard], &[]),
    ("ccnum", &[CreditCard], &[]),
    ("payment", &[CreditCard], &[]),
    ("phone", &[Phone], &[]),
    ("tel", &[Phone], &[]),
    ("telefon", &[Phone], &[]),
    ("mobile", &[Phone], &[]),
    ("cell", &[Phone], &[]),
    ("fax", &[Phone], &[]),
    ("call", &[Phone], &[]),
    ("whatsapp", &[Phone], &[]),
    ("sms", &[Phone], &[]),
    ("ip", &[IpAddress], &[]),
    ("client", &[IpAddress], &[]),
    ("remote", &[IpAddress], &[]),
    ("addr", &[IpAddress, Address], &[]),
    ("forwarded", &[IpAddress], &[]),
    ("host", &[IpAddress], &[]),
    ("from", &[IpAddress], &[]),
    ("src", &[IpAddress], &[]),
    ("peer", &[IpAddress], &[]),
    ("iban", &[Iban], &[]),
    ("bank", &[Iban], &[]),
    ("account", &[Iban], &[]),
    ("sepa", &[Iban], &[]),
    ("passport", &[NationalId], &[]),
    ("national", &[NationalId], &[]),
    ("nino", &[NationalId], &[]),
    ("insurance", &[NationalId], &[]),
    ("aadhaar", &[NationalId], &[]),
    ("aadhar", &[NationalId], &[]),
    ("cpf", &[NationalId], &[]),
    ("sin", &[NationalId], &[]),
    ("taxpayer", &[NationalId], &[]),
    // A US taxpayer identification number is most often the person's SSN.
    ("tin", &[Ssn, NationalId], &[]),
    ("dob", &[DateOfBirth], &[]),
    ("birth", &[DateOfBirth], &[]),
    ("born", &[DateOfBirth], &[]),
    ("d.o.b", &[DateOfBirth], &[]),
    ("geburtsdatum", &[DateOfBirth], &[]),
    ("naissance", &[DateOfBirth], &[]),
    ("address", &[Address], &[]),
    ("street", &[Address], &[]),
    ("ship to", &[Address], &[]),
    ("lives at", &[Address], &[]),
    // Negatives: identifiers, versions and quantities that happen to look like PII.
    ("order", &[], NUMERIC),
    ("invoice", &[], NUMERIC),
    ("tracking", &[], NUMERIC),
    ("isbn", &[], NUMERIC),
    ("sku", &[], NUMERIC),
    ("serial", &[], NUMERIC),
    ("uuid", &[], NUMERIC),
    ("sha", &[], NUMERIC),
    ("hash", &[], NUMERIC),
    ("checksum", &[], NUMERIC),
    ("txn", &[], NUMERIC),
    ("transaction", &[], NUMERIC),
    ("ref", &[], NUMERIC),
    ("id", &[], NUMERIC),
    ("timestamp", &[], NUMERIC),
    ("epoch", &[], NUMERIC),
    ("version", &[], NUMERIC),
    ("ver", &[], NUMERIC),
    ("build", &[], NUMERIC),
    ("release", &[], NUMERIC),
    ("oid", &[], NUMERIC),
    ("chrome", &[], NUMERIC),
    ("firefox", &[], NUMERIC),
    ("section", &[], NUMERIC),
    ("price", &[], NUMERIC),
    ("amount", &[], NUMERIC),
    ("total", &[], NUMERIC),
    ("bytes", &[], NUMERIC),
];

pub(crate) struct Context {
    ac: AhoCorasick,
}

fn bit(kind: PiiType) -> u32 {
    1 << kind as u32
}

impl Context {
    pub fn new() -> Self {
        #[allow(clippy::unwrap_used)] // constant patterns
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(WORDS.iter().map(|w| w.0))
            .unwrap();
        Self { ac }
    }

    /// +1 when a word for `kind` precedes `start`, -1 when only a word against it does.
    pub fn adjust(&self, bytes: &[u8], start: usize, kind: PiiType) -> i8 {
        self.words(bytes, start).adjust(kind)
    }

    /// The words in the window before `start`, for every kind at once: a digit token is weighed
    /// as several kinds in turn, and the window is read once.
    pub fn words(&self, bytes: &[u8], start: usize) -> Words {
        let from = start.saturating_sub(WINDOW);
        let window = &bytes[from..start];
        let (mut pos, mut neg) = (0u32, 0u32);
        for m in self.ac.find_iter(window) {
            let (word, raises, lowers) = WORDS[m.pattern().as_usize()];
            if word.len() <= 4 {
                let alpha = |i: Option<&u8>| i.is_some_and(u8::is_ascii_alphabetic);
                if alpha(window.get(m.end())) || (m.start() > 0 && alpha(window.get(m.start() - 1))) {
                    continue;
                }
            }
            pos |= raises.iter().fold(0, |a, k| a | bit(*k));
            neg |= lowers.iter().fold(0, |a, k| a | bit(*k));
        }
        Words { pos, neg }
    }
}

/// Which kinds the words before a position raise and lower.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Words {
    pos: u32,
    neg: u32,
}

impl Words {
    /// +1 when a word for `kind` was there, -1 when only a word against it was.
    pub fn adjust(self, kind: PiiType) -> i8 {
        if self.pos & bit(kind) != 0 {
            1
        } else if self.neg & bit(kind) != 0 {
            -1
        } else {
            0
        }
    }
}
