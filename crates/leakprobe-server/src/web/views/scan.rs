//! `GET /scans/{id}` (progress, then the result), its report downloads, and
//! `GET /scans/{a}/diff/{b}`.
use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::Response;
use leakprobe_engine::compare::{Diff, Entry};
use leakprobe_engine::report::Report;

use super::{category_bars, grade_badge, report, severity_pill, status_tag, when, ScanRow, TargetRow};
use crate::api::App;
use crate::scans::{DONE, FAILED};
use crate::web::layout::{esc, page, Nav, PageError};

/// The formats a finished scan downloads in, as `report.{ext}`.
const DOWNLOADS: [(&str, &str); 5] = [
    ("report.json", "JSON"),
    ("report.sarif", "SARIF"),
    ("report.html", "HTML"),
    ("report.md", "Markdown"),
    ("report.xml", "JUnit XML"),
];

pub async fn show(State(app): State<App>, Path(id): Path<String>) -> Result<Response, PageError> {
    let scan = ScanRow::load(&app, &id).await?;
    let target = match &scan.target_id {
        Some(target_id) => TargetRow::find(&app, target_id).await?,
        None => None,
    };
    let mut body = format!(
        "<header class=\"heading\"><div><h1>Scan of {}</h1><p class=\"meta\">{}{} · queued {}{}</p></div></header>",
        esc(&scan.url),
        target
            .as_ref()
            .map(|t| format!("target <a href=\"/targets/{}\">{}</a> · ", esc(&t.id), esc(&t.name)))
            .unwrap_or_default(),
        status_tag(&scan.status),
        esc(&when(&scan.created_at)),
        scan.finished_at.as_deref().map(|f| format!(" · finished {}", esc(&when(f)))).unwrap_or_default(),
    );
    match scan.status.as_str() {
        DONE => {
            let report = report(&app, &scan.id).await?;
            done(&mut body, &scan, &report);
        }
        FAILED => {
            let _ = write!(
                body,
                "<section class=\"card\" id=\"failed\"><h2>The scan failed</h2><p class=\"error\">{}</p></section>",
                esc(scan.error.as_deref().unwrap_or("no reason was recorded"))
            );
        }
        _ => progress(&mut body, &scan),
    }
    Ok(page(&format!("Scan of {}", scan.url), Nav::Targets, None, &body))
}

/// Queued or running: what `static/app.js` keeps current from the scan's event stream. Without
/// the script, reloading the page shows the same block, further along.
fn progress(body: &mut String, scan: &ScanRow) {
    let bar = if scan.budget > 0 {
        format!(
            "<progress max=\"{}\" value=\"{}\">{} of {}</progress>",
            scan.budget,
            scan.requests.min(scan.budget),
            scan.requests,
            scan.budget
        )
    } else {
        "<progress></progress>".to_string()
    };
    let _ = write!(
        body,
        "<section class=\"card\" id=\"progress\" data-events=\"/scans/{id}/events\">\
         <p><span data-field=\"status\">{status}</span> · phase <span data-field=\"phase\">{phase}</span></p>\
         {bar}<p><span data-field=\"requests\">{requests}</span> of <span data-field=\"budget\">{budget}</span> requests</p>\
         <p class=\"meta\">This page follows the scan and shows the result when it is done; \
         <a href=\"/scans/{id}\">reload</a> if it does not.</p></section>",
        id = esc(&scan.id),
        status = esc(&scan.status),
        phase = esc(scan.phase.as_deref().unwrap_or("waiting")),
        requests = scan.requests,
        budget = scan.budget,
    );
}

fn done(body: &mut String, scan: &ScanRow, report: &Report) {
    let counted = report.findings().filter(|(_, f)| f.is_active()).count();
    let suppressed = report.findings().count() - counted;
    let _ = write!(
        body,
        "<section class=\"card summary\">{grade}<div><div class=\"score\">{score}<span class=\"meta\">/100</span></div>\
         <p class=\"meta\">{counted} finding(s){suppressed} · {requests} requests · {seconds:.1} s{partial}</p></div></section>",
        grade = grade_badge(&report.grade.to_string(), Some("grade")),
        score = report.score,
        suppressed = if suppressed > 0 { format!(" and {suppressed} suppressed") } else { String::new() },
        requests = report.requests,
        seconds = report.duration_ms as f64 / 1000.0,
        partial = report.coverage.partial_summary().map(|p| format!(" · {}", esc(&p))).unwrap_or_default(),
    );
    let _ = write!(body, "<h2>Categories</h2><section class=\"card\">{}</section>", category_bars(report));

    body.push_str("<h2>Findings</h2>");
    if report.findings().next().is_none() {
        body.push_str("<section class=\"card empty-state\"><p>No findings.</p></section>");
    } else {
        body.push_str("<ul class=\"findings\">");
        for (category, f) in report.findings() {
            let _ = write!(
                body,
                "<li><a class=\"finding\" href=\"/scans/{scan}/findings/{id}\">{sev} {title} \
                 <code>{method} {endpoint}</code> <span class=\"tag\">{category}</span>{suppressed}</a></li>",
                scan = esc(&scan.id),
                id = esc(&f.id),
                sev = severity_pill(f.severity.as_str()),
                title = esc(&leakprobe_render::escape_controls(&f.title)),
                method = esc(&f.method),
                endpoint = esc(&leakprobe_render::escape_controls(&f.endpoint)),
                suppressed = if f.is_active() { "" } else { " <span class=\"tag sup\">suppressed</span>" },
            );
        }
        body.push_str("</ul>");
    }

    body.push_str("<h2>Report</h2><p class=\"downloads\">");
    let links: Vec<String> = DOWNLOADS
        .iter()
        .map(|(file, label)| format!("<a href=\"/scans/{}/{file}\">{label}</a>", esc(&scan.id)))
        .collect();
    body.push_str(&links.join(" · "));
    body.push_str("</p>");
}

/// The stored report in one format, through the API's own handler: the same bytes and headers as
/// `/api/v1/scans/{id}/report.*`, behind the session instead of a token.
async fn download(app: App, id: String, file: &str) -> Result<Response, PageError> {
    Ok(crate::scans::report(State(app), Path((id, file.to_string()))).await?)
}

pub async fn report_json(State(app): State<App>, Path(id): Path<String>) -> Result<Response, PageError> {
    download(app, id, "report.json").await
}

pub async fn report_sarif(State(app): State<App>, Path(id): Path<String>) -> Result<Response, PageError> {
    download(app, id, "report.sarif").await
}

pub async fn report_html(State(app): State<App>, Path(id): Path<String>) -> Result<Response, PageError> {
    download(app, id, "report.html").await
}

pub async fn report_md(State(app): State<App>, Path(id): Path<String>) -> Result<Response, PageError> {
    download(app, id, "report.md").await
}

pub async fn report_xml(State(app): State<App>, Path(id): Path<String>) -> Result<Response, PageError> {
    download(app, id, "report.xml").await
}

/// What changed from scan `a` to scan `b`: the engine's diff (`leakprobe diff`) as a page.
pub async fn diff(State(app): State<App>, Path((a, b)): Path<(String, String)>) -> Result<Response, PageError> {
    let (old_scan, new_scan) = (ScanRow::load(&app, &a).await?, ScanRow::load(&app, &b).await?);
    let (old, new) = (report(&app, &a).await?, report(&app, &b).await?);
    let d = leakprobe_engine::compare::diff(&old, &new);
    let mut body = String::from("<header class=\"heading\"><h1>Compare two scans</h1></header>");
    let _ = write!(
        body,
        "<section id=\"diff\"><section class=\"card summary\"><div>{old_grade} → {new_grade}</div><div>\
         <div class=\"score\">{old_score} → {new_score} <span class=\"change {dir}\">({change:+})</span></div>\
         <p class=\"meta\">from <a href=\"/scans/{a}\">{old_time}</a> to <a href=\"/scans/{b}\">{new_time}</a> · \
         {new_n} new, {fixed_n} fixed, {changed_n} changed</p></div></section>",
        old_grade = grade_badge(&d.old.grade, None),
        new_grade = grade_badge(&d.new.grade, None),
        old_score = d.old.score,
        new_score = d.new.score,
        change = d.score_change,
        dir = if d.score_change < 0 { "worse" } else { "better" },
        a = esc(&old_scan.id),
        b = esc(&new_scan.id),
        old_time = esc(&when(&old_scan.created_at)),
        new_time = esc(&when(&new_scan.created_at)),
        new_n = d.appeared.len(),
        fixed_n = d.disappeared.len(),
        changed_n = d.changed.len(),
    );
    diff_table(&mut body, "new", "New findings", &d.appeared, &new_scan.id);
    diff_table(&mut body, "fixed", "Fixed findings", &d.disappeared, &old_scan.id);
    changed_table(&mut body, &d, &new_scan.id);
    body.push_str("</section>");
    Ok(page("Compare two scans", Nav::Targets, None, &body))
}

fn entry_cells(e: &Entry, scan_id: &str) -> String {
    format!(
        "<td>{}</td><td><a href=\"/scans/{}/findings/{}\">{}</a>{}</td><td><code>{} {}</code></td><td>{}</td>",
        severity_pill(&e.severity),
        esc(scan_id),
        esc(&e.id),
        esc(&leakprobe_render::escape_controls(&e.title)),
        if e.suppressed { " <span class=\"tag sup\">suppressed</span>" } else { "" },
        esc(&e.method),
        esc(&leakprobe_render::escape_controls(&e.endpoint)),
        esc(e.category.id()),
    )
}

/// New findings link to the newer scan, fixed ones to the older: where each can be read.
fn diff_table(body: &mut String, id: &str, heading: &str, entries: &[Entry], scan_id: &str) {
    let _ = write!(body, "<h2>{heading}</h2>");
    if entries.is_empty() {
        let _ = write!(body, "<p class=\"meta\" id=\"{id}\">None.</p>");
        return;
    }
    let _ = write!(
        body,
        "<table id=\"{id}\"><thead><tr><th>Severity</th><th>Finding</th><th>Where</th><th>Category</th></tr></thead><tbody>"
    );
    for e in entries {
        let _ = write!(body, "<tr class=\"diff-{id}\">{}</tr>", entry_cells(e, scan_id));
    }
    body.push_str("</tbody></table>");
}

fn changed_table(body: &mut String, d: &Diff, scan_id: &str) {
    body.push_str("<h2>Changed findings</h2>");
    if d.changed.is_empty() {
        body.push_str("<p class=\"meta\" id=\"changed\">None.</p>");
        return;
    }
    body.push_str(
        "<table id=\"changed\"><thead><tr><th>Severity</th><th>Finding</th><th>Where</th><th>Category</th>\
         <th>What changed</th></tr></thead><tbody>",
    );
    for c in &d.changed {
        let _ = write!(
            body,
            "<tr class=\"diff-changed\">{}<td>{}</td></tr>",
            entry_cells(&c.finding, scan_id),
            esc(&leakprobe_render::escape_controls(&c.changes.join("; ")))
        );
    }
    body.push_str("</tbody></table>");
}
