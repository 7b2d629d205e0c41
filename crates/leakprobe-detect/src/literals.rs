//! Literal search that skips with SIMD all the way.
//!
//! An Aho-Corasick automaton uses its SIMD prefilter only while it sits in its start state; when
//! patterns begin with common letters (`ghp_`, `sk_live_`, `weg `, `pass`) ordinary text keeps it
//! out of that state and it steps byte by byte. The packed (Teddy) searcher jumps to the next
//! literal occurrence every time. It needs SSSE3/AVX2 or NEON; elsewhere the automaton serves,
//! with the same leftmost-longest matches.

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, Match, MatchKind};

pub(crate) struct Literals {
    packed: Option<packed::Searcher>,
    automaton: AhoCorasick,
}

impl Literals {
    /// Leftmost-longest, case-sensitive search for `patterns` (pattern ids are their indices).
    pub fn new<P: AsRef<[u8]>>(patterns: &[P]) -> Self {
        let packed =
            packed::Config::new().match_kind(packed::MatchKind::LeftmostLongest).builder().extend(patterns).build();
        #[allow(clippy::unwrap_used)] // constant patterns
        let automaton = AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(patterns).unwrap();
        Self { packed, automaton }
    }

    /// Non-overlapping matches, leftmost first, the longest at each start.
    pub fn find_iter<'a>(&'a self, hay: &'a [u8]) -> Iter<'a> {
        match &self.packed {
            Some(p) => Iter::Packed(p.find_iter(hay)),
            None => Iter::Automaton(self.automaton.find_iter(hay)),
        }
    }
}

pub(crate) enum Iter<'a> {
    Packed(packed::FindIter<'a, 'a>),
    Automaton(aho_corasick::FindIter<'a, 'a>),
}

impl Iterator for Iter<'_> {
    type Item = Match;

    fn next(&mut self) -> Option<Match> {
        match self {
            Iter::Packed(it) => it.next(),
            Iter::Automaton(it) => it.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Literals;

    /// The packed searcher and the automaton agree, overlaps and nested patterns included.
    #[test]
    fn packed_matches_the_automaton() {
        let pats = ["pass", "passport", "ss", "sport", "$2b$", "$2", "-----BEGIN ", "eyJ", "key"];
        let l = Literals::new(&pats);
        assert!(l.packed.is_some() || !cfg!(target_arch = "x86_64"));
        let hay = b"passport $2b$12$ pass sport -----BEGIN key eyJ passs ssport $2$2b$ keykey".repeat(3);
        let fast: Vec<_> = l.find_iter(&hay).map(|m| (m.pattern(), m.span())).collect();
        let slow: Vec<_> = l.automaton.find_iter(&hay).map(|m| (m.pattern(), m.span())).collect();
        assert_eq!(fast, slow);
        assert_eq!(fast.len(), 13 * 3, "{fast:?}");
    }
}
