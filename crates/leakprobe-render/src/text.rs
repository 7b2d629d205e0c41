//! Small text helpers the renderers share: cutting excerpts, escaping, counting.
use leakprobe_engine::report::{BaselineState, Category, Finding, Report};

/// The text on one line, cut at `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    cut(&flat, max)
}

/// The text cut at `max` characters (on a character boundary), with `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for XML content and attributes, dropping characters XML 1.0 cannot carry at all
/// (control characters from hostile responses would make the whole file unparseable).
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The text under a `## Heading…` line of a check's docs, up to the next `## `.
pub fn doc_section(docs: &str, heading: &str) -> Option<String> {
    let start = docs.find(heading)?;
    let body = &docs[start..];
    let body = &body[body.find('\n')? + 1..];
    let end = body.find("\n## ").unwrap_or(body.len());
    Some(body[..end].trim().to_string())
}

/// `GET /api/users/{id}`, `GET, HEAD, OPTIONS /console` when one finding was seen with several
/// methods, `/health` for a header seen on one path, or `every response` for origin-wide findings.
pub fn where_(finding: &Finding) -> String {
    if finding.endpoint == "*" {
        return "every response".to_string();
    }
    let methods: Vec<&str> = if finding.methods.is_empty() {
        vec![finding.method.as_str()]
    } else {
        finding.methods.iter().map(String::as_str).collect()
    };
    if methods == ["*"] {
        finding.endpoint.clone()
    } else {
        format!("{} {}", methods.join(", "), finding.endpoint)
    }
}

pub fn baseline_label(state: Option<BaselineState>) -> Option<&'static str> {
    state.map(|s| match s {
        BaselineState::New => "new",
        BaselineState::Unchanged => "unchanged",
    })
}

/// Every finding, most severe first (suppressed last within a severity), with its category.
pub fn all_findings(report: &Report) -> Vec<(Category, &Finding)> {
    let mut all: Vec<_> = report.findings().collect();
    all.sort_by(|a, b| {
        b.1.is_active()
            .cmp(&a.1.is_active())
            .then(b.1.severity.cmp(&a.1.severity))
            .then_with(|| a.1.check.cmp(&b.1.check))
            .then_with(|| a.1.endpoint.cmp(&b.1.endpoint))
    });
    all
}

pub struct Counts {
    pub active: usize,
    pub suppressed: usize,
    pub new: usize,
}

pub fn counts(report: &Report) -> Counts {
    let mut c = Counts { active: 0, suppressed: 0, new: 0 };
    for (_, f) in report.findings() {
        if f.is_active() {
            c.active += 1;
            if f.baseline == Some(BaselineState::New) {
                c.new += 1;
            }
        } else {
            c.suppressed += 1;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_drops_control_characters() {
        assert_eq!(escape_xml("a<b>&\"'\u{1}\u{7}c\n"), "a&lt;b&gt;&amp;&quot;&apos;\u{FFFD}\u{FFFD}c\n");
    }

    #[test]
    fn cut_respects_character_boundaries() {
        assert_eq!(cut("ééééé", 3), "ééé…");
        assert_eq!(cut("abc", 3), "abc");
    }
}
