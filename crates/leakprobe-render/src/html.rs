//! One self-contained HTML page: inline CSS and JS, no fonts, images or scripts from anywhere, and a
//! Content-Security-Policy of `default-src 'none'` so the browser refuses any load even if a future
//! edit slips one in. Grade, score ledger, per-category bars, findings with filters (severity,
//! category, baseline state, suppressed, text; also settable from the URL fragment, e.g.
//! `report.html#severity=critical,high&q=ssn`), remediation, fixed findings and the inventory.
//!
//! Everything from the report is escaped; remediation Markdown goes through a tiny converter that
//! escapes first and only then adds tags, and never emits links (URLs stay text).
use std::fmt::Write;

use leakprobe_engine::report::{BaselineState, CategorySeverity, Grade, Report, Severity, SuppressionState};

use crate::text::{all_findings, counts, escape_html as esc, where_};

const CSS: &str = r#"
:root{--bg:#f6f7f9;--fg:#1d2330;--muted:#5f6b7a;--card:#fff;--line:#dde2e8;--crit:#7b1fa2;--high:#c62828;--med:#ef6c00;--low:#1565c0;--info:#78909c;--ok:#2e7d32}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--fg:#e6e9ee;--muted:#9aa5b4;--card:#1d2128;--line:#303642}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0}h2{font-size:18px;margin:32px 0 12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px}
header.card{display:flex;gap:24px;align-items:center;flex-wrap:wrap}
.grade{width:96px;height:96px;border-radius:50%;display:flex;align-items:center;justify-content:center;font-size:52px;font-weight:700;color:#fff;flex:none}
.g-A,.g-B{background:var(--ok)}.g-C{background:#c9a400}.g-D{background:var(--med)}.g-F{background:var(--high)}
.meta{color:var(--muted);font-size:13px}.score{font-size:30px;font-weight:700}
.notes div{margin:8px 0;padding:8px 12px;border-left:4px solid var(--med);background:var(--card);border-radius:4px}
.bars{display:grid;grid-template-columns:220px 1fr 60px 40px 80px;gap:6px 12px;align-items:center}
.bar{height:12px;background:var(--line);border-radius:6px;overflow:hidden}.bar span{display:block;height:100%}
.num{text-align:right;font-variant-numeric:tabular-nums}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin-bottom:12px}
.filters label{font-size:13px;display:flex;gap:4px;align-items:center}
.filters input[type=search]{padding:6px 8px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);min-width:220px}
select{padding:5px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg)}
details.finding{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--sev);border-radius:8px;margin:8px 0;padding:10px 14px}
details.finding[data-suppressed="1"]{opacity:.65}
summary{cursor:pointer;list-style:none}summary::-webkit-details-marker{display:none}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;background:var(--sev);margin-right:6px;text-transform:uppercase}
.tag{display:inline-block;padding:0 6px;border:1px solid var(--line);border-radius:8px;font-size:12px;color:var(--muted);margin-left:6px}
.tag.new{border-color:var(--high);color:var(--high)}.tag.sup{border-color:var(--info)}
.where{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;color:var(--muted);margin-left:6px}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto;white-space:pre-wrap;word-break:break-word;font-size:13px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
.sev-critical{--sev:var(--crit)}.sev-high{--sev:var(--high)}.sev-medium{--sev:var(--med)}.sev-low{--sev:var(--low)}.sev-info,.sev-none{--sev:var(--info)}
.empty{color:var(--muted)}[hidden]{display:none!important}
@media print{.filters{display:none}details.finding{break-inside:avoid}}
"#;

const JS: &str = r#"
(function(){
  var items=[].slice.call(document.querySelectorAll('details.finding'));
  var sev=[].slice.call(document.querySelectorAll('input[name=sev]'));
  var cat=document.getElementById('f-cat'),state=document.getElementById('f-state');
  var sup=document.getElementById('f-sup'),q=document.getElementById('f-q'),shown=document.getElementById('shown');
  function apply(){
    var on={};sev.forEach(function(b){on[b.value]=b.checked;});
    var needle=q.value.trim().toLowerCase(),n=0;
    items.forEach(function(d){
      var ok=on[d.dataset.severity]&&(!cat.value||d.dataset.category===cat.value)
        &&(!state.value||d.dataset.state===state.value)&&(sup.checked||d.dataset.suppressed!=="1")
        &&(!needle||d.textContent.toLowerCase().indexOf(needle)>=0);
      d.hidden=!ok;if(ok){n++;}
    });
    shown.textContent=n+' of '+items.length;
  }
  function fromHash(){
    var h=decodeURIComponent(location.hash.replace(/^#/,''));if(!h){return;}
    h.split('&').forEach(function(kv){
      var i=kv.indexOf('='),k=i<0?kv:kv.slice(0,i),v=i<0?'':kv.slice(i+1);
      if(k==='severity'){var want=v.split(',');sev.forEach(function(b){b.checked=want.indexOf(b.value)>=0;});}
      else if(k==='category'){cat.value=v;}else if(k==='state'){state.value=v;}
      else if(k==='suppressed'){sup.checked=v!=='0';}else if(k==='q'){q.value=v;}
    });
  }
  [cat,state,sup,q].concat(sev).forEach(function(el){el.addEventListener('input',apply);el.addEventListener('change',apply);});
  window.addEventListener('hashchange',function(){fromHash();apply();});
  fromHash();apply();
  document.documentElement.setAttribute('data-ready','1');
})();
"#;

fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "sev-critical",
        Severity::High => "sev-high",
        Severity::Medium => "sev-medium",
        Severity::Low => "sev-low",
        Severity::Info => "sev-info",
    }
}

fn bar_color(grade: Grade) -> &'static str {
    match grade {
        Grade::A | Grade::B => "var(--ok)",
        Grade::C => "#c9a400",
        Grade::D => "var(--med)",
        Grade::F => "var(--high)",
    }
}

/// `code`, **bold**, and `[text](url)` as "text (url)" — over already-escaped text.
fn inline(escaped: &str) -> String {
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            let mut bold = String::new();
            for (j, b) in part.split("**").enumerate() {
                if j % 2 == 1 {
                    let _ = write!(bold, "<strong>{b}</strong>");
                } else {
                    bold.push_str(b);
                }
            }
            out.push_str(&links_as_text(&bold));
        }
    }
    out
}

fn links_as_text(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](") else { break };
        let Some(close) = rest[open + mid..].find(')') else { break };
        out.push_str(&rest[..open]);
        let label = &rest[open + 1..open + mid];
        let url = &rest[open + mid + 2..open + mid + close];
        let _ = write!(out, "{label} ({url})");
        rest = &rest[open + mid + close + 1..];
    }
    out.push_str(rest);
    out
}

/// The Markdown the check docs use (paragraphs, `-` lists, fenced code, inline code, bold) as HTML.
pub(crate) fn markdown(md: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    let mut paragraph: Vec<String> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let flush = |out: &mut String, paragraph: &mut Vec<String>, list: &mut Vec<String>| {
        if !paragraph.is_empty() {
            let _ = write!(out, "<p>{}</p>", inline(&esc(&paragraph.join(" "))));
            paragraph.clear();
        }
        if !list.is_empty() {
            out.push_str("<ul>");
            for item in list.iter() {
                let _ = write!(out, "<li>{}</li>", inline(&esc(item)));
            }
            out.push_str("</ul>");
            list.clear();
        }
    };
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            if in_code {
                out.push_str("</pre>");
            } else {
                flush(&mut out, &mut paragraph, &mut list);
                out.push_str("<pre>");
            }
            in_code = !in_code;
            continue;
        }
        if in_code {
            let _ = writeln!(out, "{}", esc(line));
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush(&mut out, &mut paragraph, &mut list);
        } else if let Some(item) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
            if !paragraph.is_empty() {
                flush(&mut out, &mut paragraph, &mut Vec::new());
            }
            list.push(item.to_string());
        } else if !list.is_empty() && line.starts_with(' ') {
            if let Some(last) = list.last_mut() {
                last.push(' ');
                last.push_str(trimmed);
            }
        } else {
            paragraph.push(trimmed.trim_start_matches('#').trim().to_string());
        }
    }
    if in_code {
        out.push_str("</pre>");
    }
    flush(&mut out, &mut paragraph, &mut list);
    out
}

pub fn render(report: &Report) -> String {
    let c = counts(report);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>leakprobe {grade} ({score}) · {target}</title><style>{CSS}</style></head><body><main>\n",
        grade = report.grade,
        score = report.score,
        target = esc(&report.target),
    );

    // Headline.
    let _ = write!(
        h,
        "<header class=\"card\"><div class=\"grade g-{grade}\" id=\"grade\" title=\"grade\">{grade}</div><div>\
         <h1>leakprobe report</h1><div class=\"score\"><span id=\"score\">{score}</span>/100</div>\
         <div><code>{target}</code></div>\
         <div class=\"meta\">{active} finding(s){sup} · {requests} requests in {secs:.1} s · {endpoints} endpoint(s) ({from_spec} from a spec) · {checks} checks · started {started}</div>",
        grade = report.grade,
        score = report.score,
        target = esc(&report.target),
        active = c.active,
        sup = if c.suppressed > 0 { format!(", {} suppressed", c.suppressed) } else { String::new() },
        requests = report.requests,
        secs = report.duration_ms as f64 / 1000.0,
        endpoints = report.coverage.endpoints,
        from_spec = report.coverage.from_spec,
        checks = report.coverage.checks_run,
        started = esc(&report.started_at),
    );
    if let Some(b) = &report.baseline {
        let _ = write!(
            h,
            "<div class=\"meta\" id=\"baseline\">vs baseline of {}: {} new, {} unchanged, {} fixed · score {} ({}) → {} ({})</div>",
            esc(&b.started_at),
            c.new,
            b.unchanged,
            b.fixed.len(),
            b.score,
            b.grade,
            report.score,
            report.grade
        );
    }
    h.push_str(
        "<div class=\"meta\">Evidence is redacted unless the scan ran with --show-evidence.</div></div></header>\n",
    );

    // Notes: expired suppressions, incomplete coverage, throttling.
    let mut notes = String::new();
    for note in report.suppressions.iter().filter(|n| n.state == SuppressionState::Expired) {
        let _ = write!(
            notes,
            "<div class=\"expired\">Suppression <code>{}</code> expired on {}: its {} finding(s) count again. Reason given: {}</div>",
            esc(&note.rule),
            esc(note.expires.as_deref().unwrap_or("?")),
            note.matched,
            esc(&note.reason)
        );
    }
    if let Some(summary) = report.coverage.partial_summary() {
        let _ = write!(notes, "<div id=\"partial\">Partial scan: {}</div>", esc(&summary));
    }
    for reason in &report.coverage.incomplete {
        let _ = write!(notes, "<div>Incomplete: {}</div>", esc(reason));
    }
    if report.coverage.throttled {
        notes.push_str("<div>The target asked us to slow down (429/503); the scan backed off.</div>");
    }
    if !notes.is_empty() {
        let _ = writeln!(h, "<section class=\"notes\">{notes}</section>");
    }

    // Categories.
    h.push_str("<h2>Categories</h2><section class=\"card bars\" id=\"categories\">\n");
    for (category, cat) in &report.categories {
        let active = cat.findings.iter().filter(|f| f.is_active()).count();
        let worst = match cat.severity {
            CategorySeverity::None => "none".to_string(),
            CategorySeverity::Some(s) => s.to_string(),
        };
        let _ = writeln!(
            h,
            "<div class=\"cat-name\" data-category=\"{id}\">{id}</div><div class=\"bar\" title=\"score {score}\"><span style=\"width:{score}%;background:{color}\"></span></div>\
             <div class=\"num\">{score}</div><div><b>{grade}</b></div><div class=\"meta sev-{worst}\">{active} · {worst}</div>",
            id = category.id(),
            score = cat.score,
            color = bar_color(cat.grade),
            grade = cat.grade,
        );
    }
    h.push_str("</section>\n");

    // Findings with filters.
    let findings = all_findings(report);
    h.push_str("<h2>Findings</h2><div class=\"filters card\">");
    for s in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info] {
        let _ = write!(h, "<label class=\"{}\"><input type=\"checkbox\" name=\"sev\" value=\"{s}\" checked><span class=\"pill\">{s}</span></label>", severity_class(s));
    }
    h.push_str("<select id=\"f-cat\" aria-label=\"category\"><option value=\"\">all categories</option>");
    for category in report.categories.keys() {
        let _ = write!(h, "<option value=\"{0}\">{0}</option>", category.id());
    }
    h.push_str("</select><select id=\"f-state\" aria-label=\"baseline state\"><option value=\"\">new and unchanged</option><option value=\"new\">new only</option><option value=\"unchanged\">unchanged only</option></select>");
    h.push_str("<label><input type=\"checkbox\" id=\"f-sup\" checked> show suppressed</label>");
    h.push_str(
        "<input type=\"search\" id=\"f-q\" placeholder=\"filter: text, endpoint, check…\" aria-label=\"search\">",
    );
    h.push_str("<span class=\"meta\">showing <span id=\"shown\"></span></span></div>\n<section id=\"findings\">\n");
    if findings.is_empty() {
        h.push_str("<p class=\"empty\">No findings.</p>");
    }
    for (category, f) in &findings {
        let state = match f.baseline {
            Some(BaselineState::New) => "new",
            Some(BaselineState::Unchanged) => "unchanged",
            None => "",
        };
        let _ = write!(
            h,
            "<details class=\"finding {cls}\" id=\"f-{id}\" data-severity=\"{sev}\" data-category=\"{cat}\" data-state=\"{state}\" data-suppressed=\"{sup}\">\
             <summary><span class=\"pill\">{sev}</span><b>{title}</b><span class=\"where\">{where_}</span><span class=\"tag\">{cat}</span><span class=\"tag\">{check}</span>",
            cls = severity_class(f.severity),
            id = esc(&f.id),
            sev = f.severity,
            cat = category.id(),
            sup = u8::from(!f.is_active()),
            title = inline(&esc(&f.title)),
            where_ = esc(&where_(f)),
            check = esc(&f.check),
        );
        if f.baseline == Some(BaselineState::New) {
            h.push_str("<span class=\"tag new\">new</span>");
        }
        if f.suppressed.is_some() {
            h.push_str("<span class=\"tag sup\">suppressed</span>");
        }
        h.push_str("</summary>");
        if let Some(s) = &f.suppressed {
            let until = s.expires.as_deref().map(|e| format!(" until {}", esc(e))).unwrap_or_default();
            let _ = write!(
                h,
                "<p class=\"meta\">Suppressed by <code>{}</code>{until}: {}</p>",
                esc(&s.rule),
                esc(&s.reason)
            );
        }
        let cwe: Vec<String> = f.cwe.iter().map(|c| format!("CWE-{c}")).collect();
        let _ = write!(
            h,
            "<p class=\"meta\">confidence {} · {} · {} · id <code>{}</code></p>",
            format!("{:?}", f.confidence).to_lowercase(),
            cwe.join(", "),
            esc(&f.owasp),
            esc(&f.id)
        );
        if !f.pii_types.is_empty() {
            let types: Vec<_> = f.pii_types.iter().map(|t| t.as_str()).collect();
            let _ = write!(h, "<p>Data: {}</p>", esc(&types.join(", ")));
        }
        if !f.evidence.is_empty() {
            let _ = write!(h, "<p><b>Evidence</b></p><pre>{}</pre>", esc(&crate::text::cut(&f.evidence, 2000)));
        }
        if !f.instances.is_empty() {
            let _ = write!(
                h,
                "<p>Seen at: {}</p>",
                f.instances.iter().map(|i| format!("<code>{}</code>", esc(i))).collect::<Vec<_>>().join(", ")
            );
        }
        let _ = writeln!(h, "<p><b>Remediation</b></p><div class=\"fix\">{}</div></details>", markdown(&f.remediation));
    }
    h.push_str("</section>\n");

    if let Some(b) = &report.baseline {
        if !b.fixed.is_empty() {
            h.push_str("<h2>Fixed since the baseline</h2><section class=\"card\"><table id=\"fixed\"><tr><th>severity</th><th>finding</th><th>where</th><th>check</th></tr>");
            for f in &b.fixed {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td><code>{} {}</code></td><td>{}</td></tr>",
                    f.severity,
                    esc(&f.title),
                    esc(&f.method),
                    esc(&f.endpoint),
                    esc(&f.check)
                );
            }
            h.push_str("</table></section>\n");
        }
    }

    // Ledger.
    h.push_str("<h2>Score ledger</h2><section class=\"card\"><table id=\"ledger\"><tr><th class=\"num\">deduction</th><th>reason</th></tr>");
    for line in &report.ledger {
        let _ = write!(h, "<tr><td class=\"num\">−{}</td><td>{}</td></tr>", line.deduction, esc(&line.reason));
    }
    let _ = writeln!(h, "<tr><td class=\"num\"><b>= {}</b></td><td>start at 100; suppressed findings deduct nothing</td></tr></table></section>", report.score);

    // Inventory.
    if !report.inventory.is_empty() {
        let _ = write!(
            h,
            "<h2>Inventory</h2><details class=\"card\"><summary>{} endpoint(s)</summary><table>",
            report.inventory.len()
        );
        for e in &report.inventory {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"meta\">{}</td></tr>",
                esc(&e.endpoint),
                esc(&e.methods.join(", ")),
                esc(&e.sources.join(", "))
            );
        }
        h.push_str("</table></details>\n");
    }

    let _ = writeln!(
        h,
        "<p class=\"meta\">leakprobe {}</p></main><script>{JS}</script></body></html>",
        esc(&report.tool.version)
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_before_adding_tags_and_never_links() {
        let html = markdown(
            "Use `<b>` **now**, see [docs](https://example.org/x).\n\n```python\nprint('<x>')\n```\n- one\n- two",
        );
        assert_eq!(
            html,
            "<p>Use <code>&lt;b&gt;</code> <strong>now</strong>, see docs (https://example.org/x).</p><pre>print(&#39;&lt;x&gt;&#39;)\n</pre><ul><li>one</li><li>two</li></ul>"
        );
    }
}
