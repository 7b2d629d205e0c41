//! `explain_finding`: a check's docs (the same text `leakprobe explain` prints) cut into the parts
//! an assistant acts on, with the Flask fix's code blocks pulled out.
use leakprobe_engine::checks::CheckInfo;
use serde::Serialize;

use crate::views::FindingView;

#[derive(Debug, Serialize)]
pub struct Explanation {
    pub check: &'static str,
    pub category: String,
    pub summary: &'static str,
    pub what_it_finds: String,
    pub why_it_matters: String,
    /// The `## Remediation (Flask)` section, Markdown.
    pub remediation_flask: String,
    /// The code of the remediation, ready to adapt: its fenced blocks, or where it has none, the
    /// inline code it names (`to_public_dict()`, `app.run(debug=False)`).
    pub fix_code: Vec<String>,
    pub cwe: Vec<String>,
    pub owasp: &'static str,
    pub references: String,
    /// The finding this explanation is for, when asked by `scan_id` + `finding_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<FindingView>,
}

pub fn explain(check: &'static CheckInfo, finding: Option<FindingView>) -> Explanation {
    let remediation = section(check.docs, "## Remediation");
    Explanation {
        check: check.id,
        category: check.category.to_string(),
        summary: check.summary,
        what_it_finds: section(check.docs, "## What it finds"),
        why_it_matters: section(check.docs, "## Why it matters"),
        fix_code: fix_code(&remediation),
        remediation_flask: remediation,
        cwe: check.cwe.iter().map(|c| format!("CWE-{c}")).collect(),
        owasp: check.category.owasp(),
        references: section(check.docs, "## References"),
        finding,
    }
}

/// The text under the `## Heading…` line, up to the next `## ` heading.
fn section(docs: &str, heading: &str) -> String {
    let Some(start) = docs.find(heading) else { return String::new() };
    let body = &docs[start..];
    let body = body.find('\n').map_or("", |i| &body[i + 1..]);
    let end = body.find("\n## ").unwrap_or(body.len());
    body[..end].trim().to_string()
}

fn fix_code(remediation: &str) -> Vec<String> {
    let blocks = code_blocks(remediation);
    if !blocks.is_empty() {
        return blocks;
    }
    let mut spans = Vec::new();
    for (i, span) in remediation.split('`').enumerate() {
        // Odd pieces are inside backticks; only those that read as code, not as a bare word.
        if i % 2 == 1 && span.contains(['(', '=', '.', '@']) && !spans.iter().any(|s: &String| s == span) {
            spans.push(span.to_string());
        }
    }
    spans
}

/// The contents of every fenced block, without the fences.
fn code_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            match current.take() {
                Some(lines) => blocks.push(lines.join("\n")),
                None => current = Some(Vec::new()),
            }
        } else if let Some(lines) = current.as_mut() {
            lines.push(line);
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_explains_what_why_and_how_to_fix() {
        for check in leakprobe_engine::checks::CHECKS {
            let e = explain(check, None);
            assert!(!e.what_it_finds.is_empty(), "{}: what it finds", check.id);
            assert!(!e.why_it_matters.is_empty(), "{}: why it matters", check.id);
            assert!(!e.remediation_flask.is_empty(), "{}: remediation", check.id);
            assert!(!e.cwe.is_empty() && e.owasp.starts_with("API"), "{}", check.id);
        }
    }

    #[test]
    fn inline_code_stands_in_when_the_remediation_has_no_block() {
        let md = "Turn `debug` off: remove `debug=True` from `app.run()`.";
        assert_eq!(fix_code(md), vec!["debug=True".to_string(), "app.run()".to_string()]);
    }

    #[test]
    fn code_blocks_lose_their_fences() {
        let md = "Use this:\n```python\napp.run(debug=False)\n```\nand\n```\nx\ny\n```";
        assert_eq!(code_blocks(md), vec!["app.run(debug=False)".to_string(), "x\ny".to_string()]);
    }
}
