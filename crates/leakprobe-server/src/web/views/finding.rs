//! `GET /scans/{id}/findings/{finding_id}`: one finding as the report has it, and its history
//! across the scans of the same target (finding ids are stable from scan to scan).
use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::Response;
use leakprobe_render::escape_controls;
use sqlx::Row as _;

use super::{report, severity_pill, when, ScanRow, TargetRow};
use crate::api::App;
use crate::db::db_error;
use crate::web::layout::{esc, page, Nav, PageError};

/// Longest evidence shown; the downloads carry all of it.
const EVIDENCE_CHARS: usize = 4000;

/// One scan the finding was in.
struct Sighting {
    scan_id: String,
    at: String,
    suppressed: bool,
}

pub async fn show(
    State(app): State<App>,
    Path((scan_id, finding_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let scan = ScanRow::load(&app, &scan_id).await?;
    let report = report(&app, &scan_id).await?;
    let (category, f) = report
        .findings()
        .find(|(_, f)| f.id == finding_id)
        .ok_or_else(|| PageError::not_found(format!("scan `{scan_id}` has no finding `{finding_id}`")))?;
    let target = match &scan.target_id {
        Some(id) => TargetRow::find(&app, id).await?,
        None => None,
    };
    let text = |s: &str| esc(&escape_controls(s));

    let mut body = format!(
        "<header class=\"heading\"><div><h1>{title}</h1><p class=\"meta\">{sev} · confidence {confidence} · \
         {category} · in the <a href=\"/scans/{scan}\">scan of {when}</a>{target}</p></div></header>",
        title = text(&f.title),
        sev = severity_pill(f.severity.as_str()),
        confidence = format!("{:?}", f.confidence).to_lowercase(),
        category = esc(category.id()),
        scan = esc(&scan.id),
        when = esc(&when(&scan.created_at)),
        target = target
            .as_ref()
            .map(|t| format!(" of <a href=\"/targets/{}\">{}</a>", esc(&t.id), esc(&t.name)))
            .unwrap_or_default(),
    );
    if let Some(s) = &f.suppressed {
        let _ = write!(
            body,
            "<section class=\"card suppressed\" id=\"suppressed\"><p><b>Suppressed</b> by <code>{}</code>{}: {}. \
             It is listed but counts in no score.</p></section>",
            text(&s.rule),
            s.expires.as_deref().map(|e| format!(" until {}", esc(e))).unwrap_or_default(),
            text(&s.reason),
        );
    }

    let cwe: Vec<String> = f.cwe.iter().map(|c| format!("CWE-{c}")).collect();
    let methods =
        if f.methods.len() > 1 { format!(" (also {})", esc(&f.methods[1..].join(", "))) } else { String::new() };
    let _ = write!(
        body,
        "<section class=\"card\"><dl class=\"facts\">\
         <dt>Where</dt><dd><code>{method} {endpoint}</code>{methods}</dd>\
         <dt>Severity</dt><dd>{severity}</dd>\
         <dt>CWE</dt><dd id=\"cwe\">{cwe}</dd><dt>OWASP</dt><dd id=\"owasp\">{owasp}</dd>\
         <dt>Check</dt><dd><code>{check}</code></dd><dt>Finding id</dt><dd><code>{id}</code></dd>",
        method = esc(&f.method),
        endpoint = text(&f.endpoint),
        severity = esc(f.severity.as_str()),
        cwe = if cwe.is_empty() { "none".into() } else { esc(&cwe.join(", ")) },
        owasp = esc(&f.owasp),
        check = esc(&f.check),
        id = esc(&f.id),
    );
    if !f.pii_types.is_empty() {
        let types: Vec<&str> = f.pii_types.iter().map(|t| t.as_str()).collect();
        let _ = write!(body, "<dt>Data</dt><dd>{}</dd>", esc(&types.join(", ")));
    }
    if !f.instances.is_empty() {
        let seen: Vec<String> = f.instances.iter().map(|i| format!("<code>{}</code>", text(i))).collect();
        let _ = write!(body, "<dt>Seen at</dt><dd>{}</dd>", seen.join(", "));
    }
    if let Some(related) = &f.related {
        let _ = write!(
            body,
            "<dt>Follows from</dt><dd><a href=\"/scans/{}/findings/{}\">{}</a></dd>",
            esc(&scan.id),
            esc(related),
            esc(related)
        );
    }
    body.push_str("</dl></section>");

    // Stored evidence is the report's: redacted by the engine and masked by the renderer.
    let evidence: String = f.evidence.chars().take(EVIDENCE_CHARS).collect();
    let cut = if f.evidence.chars().count() > EVIDENCE_CHARS {
        "<p class=\"meta\">(cut; the report has all of it)</p>"
    } else {
        ""
    };
    let _ = write!(
        body,
        "<h2>Evidence</h2><pre id=\"evidence\">{}</pre>{cut}<h2>Remediation</h2><section class=\"card fix\" id=\"remediation\">{}</section>",
        if evidence.is_empty() { "(none recorded)".into() } else { text(&evidence) },
        leakprobe_render::remediation_html(&f.remediation),
    );

    history(&app, &mut body, &scan, &finding_id).await?;
    Ok(page(&f.title, Nav::Targets, None, &body))
}

/// First and last seen, and every scan in between that had the finding, among the scans of the
/// same target (or, for a scan of a bare URL, the other bare scans of that URL).
async fn history(app: &App, body: &mut String, scan: &ScanRow, finding_id: &str) -> Result<(), PageError> {
    let rows = sqlx::query(
        "SELECT s.id AS id, s.created_at AS created_at, f.suppressed AS suppressed \
         FROM lp_findings f JOIN lp_scans s ON s.id = f.scan_id \
         WHERE f.finding_id = $1 AND (s.target_id = $2 OR ($2 = '' AND s.target_id IS NULL AND s.url = $3)) \
         ORDER BY s.created_at, s.id",
    )
    .bind(finding_id)
    .bind(scan.target_id.as_deref().unwrap_or_default())
    .bind(&scan.url)
    .fetch_all(&app.db.pool)
    .await
    .map_err(db_error)?;
    let sightings = rows
        .iter()
        .map(|r| {
            Ok(Sighting {
                scan_id: r.try_get("id").map_err(db_error)?,
                at: r.try_get("created_at").map_err(db_error)?,
                suppressed: r.try_get::<i64, _>("suppressed").map_err(db_error)? != 0,
            })
        })
        .collect::<Result<Vec<_>, PageError>>()?;
    let (Some(first), Some(last)) = (sightings.first(), sightings.last()) else {
        return Ok(());
    };
    let link = |s: &Sighting| format!("<a href=\"/scans/{}\">{}</a>", esc(&s.scan_id), esc(&when(&s.at)));
    let _ = write!(
        body,
        "<h2>History</h2><section class=\"card\" id=\"history\"><p>First seen <span id=\"first-seen\">{}</span>, \
         last seen <span id=\"last-seen\">{}</span>, in {} scan(s).</p><ul class=\"sightings\">",
        link(first),
        link(last),
        sightings.len()
    );
    for s in &sightings {
        let _ = write!(
            body,
            "<li>{}{}</li>",
            link(s),
            if s.suppressed { " <span class=\"tag sup\">suppressed</span>" } else { "" }
        );
    }
    body.push_str("</ul></section>");
    Ok(())
}
