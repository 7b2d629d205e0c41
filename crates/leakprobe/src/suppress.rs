//! Suppressions: findings a project accepted, with a reason and optionally an expiry date.
//!
//! A matching finding stays in the report with `suppressed` set (every format lists it as
//! suppressed), and the engine re-scores without it ([`leakprobe_engine::scoring::rescore`]) so it
//! deducts nothing and trips no threshold. An expired suppression stops suppressing; the report
//! lists it in `suppressions` with `state = "expired"` and the CLI warns on stderr.
use leakprobe_engine::report::{Category, Finding, Report, Suppressed, SuppressionNote, SuppressionState};

use crate::config_file::SuppressionOptions;
use crate::UsageError;

#[derive(Debug, Clone)]
pub struct Rule {
    id: Option<String>,
    check: Option<String>,
    category: Option<Category>,
    endpoint: Option<String>,
    reason: String,
    /// Last day it holds, `YYYY-MM-DD`.
    expires: Option<String>,
    /// The selector as the user wrote it, for reports: `check = "x", endpoint = "/a/*"`.
    text: String,
}

/// The checked suppressions of a config file.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    rules: Vec<Rule>,
}

impl Suppressions {
    /// Checks every `[[suppression]]`: a selector, a known check id, a non-empty reason, a real date.
    pub fn from_options(options: &[SuppressionOptions]) -> Result<Suppressions, UsageError> {
        let rules = options
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let which = format!("[[suppression]] #{}", i + 1);
                let reason = o.reason.as_deref().map(str::trim).unwrap_or_default();
                if reason.is_empty() {
                    return Err(UsageError(format!("{which} needs a `reason`: say why the finding is accepted")));
                }
                if o.id.is_none() && o.check.is_none() && o.category.is_none() && o.endpoint.is_none() {
                    return Err(UsageError(format!(
                        "{which} needs at least one of `id`, `check`, `category`, `endpoint`"
                    )));
                }
                if let Some(check) = &o.check {
                    if leakprobe_engine::checks::find(check).is_none() {
                        return Err(UsageError(format!("{which}: no check `{check}` (`leakprobe checks` lists them)")));
                    }
                }
                let expires = o
                    .expires
                    .as_ref()
                    .map(|e| e.to_day())
                    .transpose()
                    .map_err(|e| UsageError(format!("{which}: {e}")))?;
                let mut parts = Vec::new();
                if let Some(v) = &o.id {
                    parts.push(format!("id = \"{v}\""));
                }
                if let Some(v) = &o.check {
                    parts.push(format!("check = \"{v}\""));
                }
                if let Some(v) = o.category {
                    parts.push(format!("category = \"{v}\""));
                }
                if let Some(v) = &o.endpoint {
                    parts.push(format!("endpoint = \"{v}\""));
                }
                Ok(Rule {
                    id: o.id.clone(),
                    check: o.check.clone(),
                    category: o.category,
                    endpoint: o.endpoint.clone(),
                    reason: reason.to_string(),
                    expires,
                    text: parts.join(", "),
                })
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
                    if !rule.matches(*category, finding) {
                        continue;
                    }
                    matched[i] += 1;
                    if suppressed_by.is_none() && !rule.expired(today) {
                        suppressed_by = Some(rule);
                    }
                }
                if let Some(rule) = suppressed_by {
                    finding.suppressed = Some(Suppressed {
                        rule: rule.text.clone(),
                        reason: rule.reason.clone(),
                        expires: rule.expires.clone(),
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
                reason: rule.reason.clone(),
                expires: rule.expires.clone(),
                state: if rule.expired(today) { SuppressionState::Expired } else { SuppressionState::Active },
                matched,
            })
            .collect();
        leakprobe_engine::scoring::rescore(report);
    }
}

impl Rule {
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
    fn rules_need_a_reason_and_a_selector() {
        let no_reason = SuppressionOptions { check: Some("server_version_disclosure".into()), ..Default::default() };
        assert!(Suppressions::from_options(&[no_reason]).is_err());
        let no_selector = SuppressionOptions { reason: Some("why".into()), ..Default::default() };
        assert!(Suppressions::from_options(&[no_selector]).is_err());
        let unknown = SuppressionOptions {
            check: Some("no_such_check".into()),
            reason: Some("why".into()),
            ..Default::default()
        };
        assert!(Suppressions::from_options(&[unknown]).is_err());
    }

    #[test]
    fn expiry_is_inclusive() {
        let rule = Rule {
            id: None,
            check: None,
            category: None,
            endpoint: Some("*".into()),
            reason: "r".into(),
            expires: Some("2026-05-01".into()),
            text: String::new(),
        };
        assert!(!rule.expired("2026-05-01"));
        assert!(rule.expired("2026-05-02"));
    }
}
