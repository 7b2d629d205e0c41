//! Suppressions: findings a project accepted, with a reason and optionally an expiry date. The CLI
//! reads them from `[[suppression]]` blocks of `leakprobe.toml`, `leakprobe serve` from a target's
//! settings; both apply them here, so a suppressed finding means the same everywhere.
//!
//! A matching finding stays in the report with `suppressed` set (every format lists it as
//! suppressed), and the report is re-scored without it ([`crate::scoring::rescore`]) so it deducts
//! nothing and trips no threshold. An expired suppression stops suppressing; the report lists it in
//! `suppressions` with `state = "expired"`.
use std::fmt;

use crate::report::{Category, Finding, Report, Suppressed, SuppressionNote, SuppressionState};

/// One suppression as its source gives it: at least one selector (all given ones must match) and
/// a reason. `expires` is the last day it holds, `YYYY-MM-DD`, already checked by the caller (each
/// source has its own date syntax).
#[derive(Debug, Clone, Default)]
pub struct Selector {
    /// A finding's stable id, as in the JSON report.
    pub id: Option<String>,
    pub check: Option<String>,
    pub category: Option<Category>,
    /// Glob (`*` any run of characters, `?` one) over the endpoint template (`/api/users/{id}`)
    /// or any concrete path the finding was seen at.
    pub endpoint: Option<String>,
    pub reason: String,
    pub expires: Option<String>,
}

/// Why a [`Selector`] was refused; the caller says which one (`[[suppression]] #2`, `suppressions[1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorError {
    NoReason,
    NoSelector,
    UnknownCheck(String),
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectorError::NoReason => f.write_str("needs a `reason`: say why the finding is accepted"),
            SelectorError::NoSelector => f.write_str("needs at least one of `id`, `check`, `category`, `endpoint`"),
            SelectorError::UnknownCheck(check) => write!(f, "no check `{check}` (`leakprobe checks` lists them)"),
        }
    }
}

impl Selector {
    /// A reason, a selector, a known check id.
    pub fn validate(&self) -> Result<(), SelectorError> {
        if self.reason.trim().is_empty() {
            return Err(SelectorError::NoReason);
        }
        if self.id.is_none() && self.check.is_none() && self.category.is_none() && self.endpoint.is_none() {
            return Err(SelectorError::NoSelector);
        }
        if let Some(check) = &self.check {
            if crate::checks::find(check).is_none() {
                return Err(SelectorError::UnknownCheck(check.clone()));
            }
        }
        Ok(())
    }

    /// The selector as written, for reports: `check = "x", endpoint = "/a/*"`.
    fn text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.id {
            parts.push(format!("id = \"{v}\""));
        }
        if let Some(v) = &self.check {
            parts.push(format!("check = \"{v}\""));
        }
        if let Some(v) = self.category {
            parts.push(format!("category = \"{v}\""));
        }
        if let Some(v) = &self.endpoint {
            parts.push(format!("endpoint = \"{v}\""));
        }
        parts.join(", ")
    }

    fn expired(&self, today: &str) -> bool {
        // Both are zero-padded YYYY-MM-DD, so text order is date order.
        self.expires.as_deref().is_some_and(|last_day| today > last_day)
    }

    fn matches(&self, category: Category, f: &Finding) -> bool {
        self.id.as_deref().is_none_or(|id| id.eq_ignore_ascii_case(&f.id))
            && self.check.as_deref().is_none_or(|c| c == f.check)
            && self.category.is_none_or(|c| c == category)
            && self.endpoint.as_deref().is_none_or(|pattern| {
                glob(pattern, &f.endpoint)
                    || f.instances.iter().any(|path| glob(pattern, path.split('?').next().unwrap_or(path)))
            })
    }
}

#[derive(Debug, Clone)]
struct Rule {
    selector: Selector,
    text: String,
}

/// Checked suppressions, ready to apply.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    rules: Vec<Rule>,
}

impl Suppressions {
    /// Every selector checked; the first bad one is returned with its index.
    pub fn new(selectors: Vec<Selector>) -> Result<Suppressions, (usize, SelectorError)> {
        let rules = selectors
            .into_iter()
            .enumerate()
            .map(|(i, mut selector)| {
                selector.validate().map_err(|e| (i, e))?;
                selector.reason = selector.reason.trim().to_string();
                let text = selector.text();
                Ok(Rule { selector, text })
            })
            .collect::<Result<_, _>>()?;
        Ok(Suppressions { rules })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Marks matching findings as suppressed (the first unexpired rule that matches wins), notes
    /// what every rule did, and re-scores. `today` is `YYYY-MM-DD`; a rule holds through its
    /// `expires` day.
    pub fn apply(&self, report: &mut Report, today: &str) {
        let mut matched = vec![0usize; self.rules.len()];
        for (category, cat) in report.categories.iter_mut() {
            for finding in &mut cat.findings {
                let mut suppressed_by = None;
                for (i, rule) in self.rules.iter().enumerate() {
                    if !rule.selector.matches(*category, finding) {
                        continue;
                    }
                    matched[i] += 1;
                    if suppressed_by.is_none() && !rule.selector.expired(today) {
                        suppressed_by = Some(rule);
                    }
                }
                if let Some(rule) = suppressed_by {
                    finding.suppressed = Some(Suppressed {
                        rule: rule.text.clone(),
                        reason: rule.selector.reason.clone(),
                        expires: rule.selector.expires.clone(),
                    });
                }
            }
        }
        report.suppressions = self
            .rules
            .iter()
            .zip(matched)
            .map(|(rule, matched)| SuppressionNote {
                rule: rule.text.clone(),
                reason: rule.selector.reason.clone(),
                expires: rule.selector.expires.clone(),
                state: if rule.selector.expired(today) { SuppressionState::Expired } else { SuppressionState::Active },
                matched,
            })
            .collect();
        crate::scoring::rescore(report);
    }
}

/// `*` matches any run of characters (slashes too), `?` exactly one; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Iterative matcher with single-star backtracking: linear-ish, no recursion on hostile input.
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Today in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string().chars().take(10).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("/api/*", "/api/users/{id}"));
        assert!(glob("/api/users/{id}", "/api/users/{id}"));
        assert!(glob("*", "*"));
        assert!(glob("/a?c", "/abc"));
        assert!(!glob("/api/*", "/admin"));
        assert!(!glob("/api", "/api/x"));
        assert!(glob("*/orders*", "/api/users/{id}/orders"));
    }

    #[test]
    fn selectors_need_a_reason_and_a_selector() {
        let check = |s: Selector| Suppressions::new(vec![s]).map(|_| ());
        let no_reason = Selector { check: Some("server_version_disclosure".into()), ..Default::default() };
        assert_eq!(check(no_reason), Err((0, SelectorError::NoReason)));
        let blank =
            Selector { check: Some("server_version_disclosure".into()), reason: "  ".into(), ..Default::default() };
        assert_eq!(check(blank), Err((0, SelectorError::NoReason)));
        let no_selector = Selector { reason: "why".into(), ..Default::default() };
        assert_eq!(check(no_selector), Err((0, SelectorError::NoSelector)));
        let unknown = Selector { check: Some("no_such_check".into()), reason: "why".into(), ..Default::default() };
        assert_eq!(check(unknown), Err((0, SelectorError::UnknownCheck("no_such_check".into()))));
    }

    #[test]
    fn expiry_is_inclusive() {
        let selector = Selector {
            endpoint: Some("*".into()),
            reason: "r".into(),
            expires: Some("2026-05-01".into()),
            ..Default::default()
        };
        assert!(!selector.expired("2026-05-01"));
        assert!(selector.expired("2026-05-02"));
    }
}
