//! The dashboard's charts as inline SVG built from numbers: a score sparkline, the score history
//! with its grade bands, and per-category bars. Presentation attributes only (`fill=`, `stroke=`):
//! the pages' CSP forbids `style`. Every chart has a `<title>` for screen readers, and every label
//! goes through [`esc`].
use std::fmt::Write as _;

use leakprobe_engine::report::Grade;

use super::layout::esc;

/// One scan on the history chart.
#[derive(Debug, Clone)]
pub struct Point {
    pub score: u32,
    /// When, as shown in the point's tooltip and under the axis.
    pub label: String,
    /// The scan's page.
    pub href: String,
}

/// One row of the category bars.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub score: u32,
    /// Findings that count in the category.
    pub findings: usize,
}

/// The colour of a grade, the same on badges, bars and points.
pub fn grade_color(grade: Grade) -> &'static str {
    match grade {
        Grade::A => "#2e7d32",
        Grade::B => "#689f38",
        Grade::C => "#c9a400",
        Grade::D => "#ef6c00",
        Grade::F => "#c62828",
    }
}

/// The grade bands, best first: grade, lowest score, highest score, background.
const BANDS: [(Grade, u32, u32, &str); 5] = [
    (Grade::A, 90, 100, "#e8f5e9"),
    (Grade::B, 80, 90, "#f1f8e9"),
    (Grade::C, 65, 80, "#fffde7"),
    (Grade::D, 50, 65, "#fff3e0"),
    (Grade::F, 0, 50, "#ffebee"),
];

/// Where a score sits on a vertical axis from `top` (100) down `height` pixels (0).
fn y(score: u32, top: f64, height: f64) -> f64 {
    top + f64::from(100 - score.min(100)) * height / 100.0
}

/// Where the `i`th of `n` points sits across `width` from `left`; one point sits in the middle.
fn x(i: usize, n: usize, left: f64, width: f64) -> f64 {
    if n <= 1 {
        left + width / 2.0
    } else {
        left + i as f64 * width / (n - 1) as f64
    }
}

fn open_svg(out: &mut String, class: &str, width: u32, height: u32, title: &str) {
    let _ = write!(
        out,
        "<svg class=\"{class}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\"><title>{}</title>",
        esc(title)
    );
}

/// A small line of scores, oldest first, for the targets overview.
pub fn sparkline(scores: &[u32], title: &str) -> String {
    const W: f64 = 120.0;
    const H: f64 = 28.0;
    const PAD: f64 = 3.0;
    let mut out = String::new();
    open_svg(&mut out, "spark", W as u32, H as u32, title);
    match scores {
        [] => {
            let _ = write!(
                out,
                "<line x1=\"{PAD}\" y1=\"{mid}\" x2=\"{end}\" y2=\"{mid}\" stroke=\"#c3cad3\" stroke-dasharray=\"3 3\"/>",
                mid = H / 2.0,
                end = W - PAD
            );
        }
        _ => {
            let n = scores.len();
            let at = |i: usize, s: u32| (x(i, n, PAD, W - 2.0 * PAD), y(s, PAD, H - 2.0 * PAD));
            if n > 1 {
                let points: Vec<String> =
                    scores.iter().enumerate().map(|(i, &s)| at(i, s)).map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
                let _ = write!(
                    out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.5\"/>",
                    points.join(" ")
                );
            }
            let last = scores[n - 1];
            let (cx, cy) = at(n - 1, last);
            let _ = write!(
                out,
                "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"2.5\" fill=\"{}\"/>",
                grade_color(Grade::from_score(last))
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// The score over time, oldest first, over the grade bands; each point links to its scan.
pub fn history(points: &[Point], title: &str) -> String {
    const W: f64 = 720.0;
    const H: f64 = 240.0;
    const LEFT: f64 = 40.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 10.0;
    const BOTTOM: f64 = 30.0;
    let (plot_w, plot_h) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let mut out = String::new();
    open_svg(&mut out, "history", W as u32, H as u32, title);
    for (grade, low, high, fill) in BANDS {
        let (top, bottom) = (y(high, TOP, plot_h), y(low, TOP, plot_h));
        let _ = write!(
            out,
            "<rect x=\"{LEFT}\" y=\"{top:.1}\" width=\"{plot_w:.1}\" height=\"{:.1}\" fill=\"{fill}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"{}\">{grade} {low}</text>",
            bottom - top,
            LEFT - 4.0,
            bottom - 2.0,
            grade_color(grade),
        );
    }
    if points.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#5b6573\">No finished scans yet</text></svg>",
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
        return out;
    }
    let n = points.len();
    let at = |i: usize, s: u32| (x(i, n, LEFT, plot_w), y(s, TOP, plot_h));
    if n > 1 {
        let line: Vec<String> =
            points.iter().enumerate().map(|(i, p)| at(i, p.score)).map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\"/>",
            line.join(" ")
        );
    }
    for (i, p) in points.iter().enumerate() {
        let (cx, cy) = at(i, p.score);
        let grade = Grade::from_score(p.score);
        let _ = write!(
            out,
            "<a href=\"{}\"><circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"5\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1.5\">\
             <title>{}: {} ({grade})</title></circle></a>",
            esc(&p.href),
            grade_color(grade),
            esc(&p.label),
            p.score,
        );
    }
    let axis_y = H - BOTTOM + 16.0;
    let first = &points[0];
    let _ = write!(
        out,
        "<text x=\"{LEFT}\" y=\"{axis_y:.1}\" font-size=\"11\" fill=\"#5b6573\">{}</text>",
        esc(&first.label)
    );
    if n > 1 {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{axis_y:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6573\">{}</text>",
            W - RIGHT,
            esc(&points[n - 1].label)
        );
    }
    out.push_str("</svg>");
    out
}

/// One bar per category as table rows (`class="category"`): name, a bar as long as the score,
/// the score and the findings that count.
pub fn category_bars(bars: &[Bar]) -> String {
    const W: f64 = 240.0;
    const H: f64 = 12.0;
    let mut out = String::from(
        "<table class=\"bars\"><thead><tr><th>Category</th><th>Score</th><th class=\"num\">Score</th>\
         <th class=\"num\">Findings</th></tr></thead><tbody>",
    );
    for bar in bars {
        let score = bar.score.min(100);
        let grade = Grade::from_score(score);
        let _ = write!(
            out,
            "<tr class=\"category\" data-category=\"{label}\"><td>{label}</td><td>\
             <svg class=\"bar\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\">\
             <title>{label}: {score} of 100 ({grade})</title>\
             <rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" rx=\"6\" fill=\"#e3e7ec\"/>\
             <rect x=\"0\" y=\"0\" width=\"{:.1}\" height=\"{H}\" rx=\"6\" fill=\"{}\"/></svg></td>\
             <td class=\"num\">{score}</td><td class=\"num\">{}</td></tr>",
            f64::from(score) * W / 100.0,
            grade_color(grade),
            bar.findings,
            label = esc(&bar.label),
        );
    }
    out.push_str("</tbody></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(score: u32, label: &str) -> Point {
        Point { score, label: label.into(), href: format!("/scans/{score}") }
    }

    /// The `points="…"` of the chart's polyline as (x, y) pairs.
    fn polyline(svg: &str) -> Vec<(f64, f64)> {
        let start = svg.find("<polyline points=\"").expect("a polyline") + "<polyline points=\"".len();
        let end = start + svg[start..].find('"').expect("end of points");
        svg[start..end]
            .split(' ')
            .map(|pair| {
                let (a, b) = pair.split_once(',').expect("x,y");
                (a.parse().expect("x"), b.parse().expect("y"))
            })
            .collect()
    }

    #[test]
    fn scores_scale_onto_the_plot() {
        // 100 at the top of the plot (y = 10), 0 at its bottom (y = 10 + 200), 50 half-way.
        let svg = history(&[point(100, "a"), point(0, "b"), point(50, "c")], "history");
        let line = polyline(&svg);
        assert_eq!(line, vec![(40.0, 10.0), (372.0, 210.0), (704.0, 110.0)]);
        // Evenly spaced across the plot, first at its left edge and last at its right.
        let spark = polyline(&sparkline(&[0, 100], "s"));
        assert_eq!(spark, vec![(3.0, 25.0), (117.0, 3.0)]);
        // A score above 100 (never in a report) stays on the chart.
        assert_eq!(y(250, 10.0, 200.0), 10.0);
    }

    #[test]
    fn every_point_links_to_its_scan_with_a_title() {
        let svg = history(&[point(95, "2026-12-01 10:00"), point(42, "2026-12-02 10:00")], "Score history");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>Score history</title>"));
        assert!(svg.contains("<a href=\"/scans/95\"><circle"), "{svg}");
        assert!(svg.contains("<title>2026-12-01 10:00: 95 (A)</title>"), "{svg}");
        assert!(svg.contains("<title>2026-12-02 10:00: 42 (F)</title>"), "{svg}");
        // Grade bands, labelled on the axis.
        for label in ["A 90", "B 80", "C 65", "D 50", "F 0"] {
            assert!(svg.contains(&format!(">{label}</text>")), "{label}: {svg}");
        }
        assert!(!svg.contains("style"), "presentation attributes only: {svg}");
    }

    #[test]
    fn empty_and_single_point_histories() {
        let empty = history(&[], "h");
        assert!(empty.contains("No finished scans yet"));
        assert!(!empty.contains("<polyline") && !empty.contains("<circle"));
        let one = history(&[point(70, "only")], "h");
        assert!(!one.contains("<polyline"), "one point draws no line");
        // Centred horizontally: 40 + 664 / 2.
        assert!(one.contains("<circle cx=\"372.0\" cy=\"70.0\""), "{one}");
        let spark = sparkline(&[], "none");
        assert!(spark.contains("stroke-dasharray") && !spark.contains("<circle"));
        let spark = sparkline(&[88], "one");
        assert!(!spark.contains("<polyline") && spark.contains("<circle cx=\"60.0\""), "{spark}");
    }

    #[test]
    fn labels_are_escaped() {
        let hostile = "<script>alert(1)</script>\"'&";
        let svg = history(&[Point { score: 50, label: hostile.into(), href: "/scans/\"x".into() }], hostile);
        let bars = category_bars(&[Bar { label: hostile.into(), score: 20, findings: 1 }]);
        let spark = sparkline(&[1], hostile);
        for out in [&svg, &bars, &spark] {
            assert!(!out.contains("<script>"), "{out}");
            assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"), "{out}");
        }
        assert!(svg.contains("href=\"/scans/&quot;x\""));
    }

    #[test]
    fn bars_are_as_long_as_the_score() {
        let bars = category_bars(&[
            Bar { label: "data_exposure".into(), score: 40, findings: 2 },
            Bar { label: "cors".into(), score: 100, findings: 0 },
        ]);
        assert_eq!(bars.matches("<tr class=\"category\"").count(), 2);
        assert!(bars.contains("width=\"96.0\" height=\"12\" rx=\"6\" fill=\"#c62828\""), "{bars}");
        assert!(bars.contains("width=\"240.0\" height=\"12\" rx=\"6\" fill=\"#2e7d32\""), "{bars}");
    }
}
