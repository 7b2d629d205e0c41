use leakprobe_engine::report::Report;

pub fn render(report: &Report) -> String {
    // Serialising plain data structs with string keys cannot fail.
    let mut out = serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}
