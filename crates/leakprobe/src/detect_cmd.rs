//! `leakprobe detect`: find personal data and secrets in files, directories and stdin.
//!
//! Logs first of all: they are where PII leaks quietly (CWE-532). Directories are walked like
//! ripgrep walks them (the `ignore` crate: `.gitignore` inside git repositories, `.ignore`,
//! hidden files skipped), binary files (a NUL byte in the first 8 KiB) are skipped, and files are
//! read in chunks that end at a line break, so memory stays flat however large a log grows.
//! Findings are redacted unless `--show-evidence`.
//!
//! Exit codes, like grep: 0 nothing found, 1 something found, 2 bad input (a path that cannot be
//! read; the other paths are still scanned).
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use leakprobe_detect::{Confidence, Detector, Match};
use leakprobe_render::{escape_controls, escape_json_controls};

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Files or directories to scan; `-` or nothing reads standard input.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Terminal)]
    pub format: DetectFormat,
    /// Report findings at this confidence or above.
    #[arg(long, value_enum, default_value_t = MinConfidence::Medium)]
    pub min_confidence: MinConfidence,
    /// Print matched values unredacted. Off by default so the output is not a leak itself.
    #[arg(long)]
    pub show_evidence: bool,
    /// Also scan hidden and ignored files (.gitignore, .ignore).
    #[arg(long)]
    pub no_ignore: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DetectFormat {
    /// `path:line:column: type (confidence) value [key.path]`
    Terminal,
    /// One JSON array of `{file, line, column, type, confidence, value, key_path, detail}`.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinConfidence {
    Low,
    Medium,
    High,
}

impl From<MinConfidence> for Confidence {
    fn from(m: MinConfidence) -> Self {
        match m {
            MinConfidence::Low => Confidence::Low,
            MinConfidence::Medium => Confidence::Medium,
            MinConfidence::High => Confidence::High,
        }
    }
}

/// Chunks end at the last line break within this many bytes (a longer line is cut here).
const CHUNK: usize = 1 << 20;
/// JSON documents up to this size are scanned whole, so key paths survive; larger files stream.
const WHOLE_JSON_MAX: u64 = 32 << 20;

/// Returns the process exit code: 0 nothing found, 1 something found, 2 bad input.
pub fn run(args: &DetectArgs) -> anyhow::Result<u8> {
    let detector = Detector::new();
    let stdout = io::stdout();
    let mut out = Output { w: io::BufWriter::new(stdout.lock()), args, found: 0, first_json: true };
    let mut errors = 0usize;
    out.begin()?;
    let stdin_only = args.paths.is_empty() || (args.paths.len() == 1 && args.paths[0] == Path::new("-"));
    let result = if stdin_only {
        scan_reader(&detector, io::stdin().lock(), "<stdin>", &mut out, false)
    } else {
        scan_paths(&detector, args, &mut out, &mut errors)
    };
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(if out.found > 0 { 1 } else { 0 }),
        Err(e) => {
            eprintln!("leakprobe: {e}");
            errors += 1;
        }
        Ok(()) => {}
    }
    match out.end() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        r => r?,
    }
    Ok(if errors > 0 {
        crate::EXIT_USAGE
    } else if out.found > 0 {
        1
    } else {
        0
    })
}

fn scan_paths(detector: &Detector, args: &DetectArgs, out: &mut Output<'_>, errors: &mut usize) -> io::Result<()> {
    for path in &args.paths {
        if path == Path::new("-") {
            scan_reader(detector, io::stdin().lock(), "<stdin>", out, false)?;
            continue;
        }
        if !path.exists() {
            eprintln!("leakprobe: {}: no such file or directory", path.display());
            *errors += 1;
            continue;
        }
        let walker = ignore::WalkBuilder::new(path).standard_filters(!args.no_ignore).build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("leakprobe: {e}");
                    *errors += 1;
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            if let Err(e) = scan_file(detector, entry.path(), out) {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    return Err(e);
                }
                eprintln!("leakprobe: {}: {e}", entry.path().display());
                *errors += 1;
            }
        }
    }
    Ok(())
}

fn scan_file(detector: &Detector, path: &Path, out: &mut Output<'_>) -> io::Result<()> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let head = reader.fill_buf()?;
    if memchr_nul(&head[..head.len().min(8192)]) {
        return Ok(()); // binary
    }
    let first = head.iter().find(|c| !c.is_ascii_whitespace()).copied();
    let whole_json = matches!(first, Some(b'{' | b'[')) && len <= WHOLE_JSON_MAX;
    let name = path.display().to_string();
    scan_reader(detector, reader, &name, out, whole_json)
}

fn memchr_nul(b: &[u8]) -> bool {
    b.contains(&0)
}

/// Streams `reader` through the detector in line-aligned chunks (or whole, for JSON documents).
fn scan_reader(
    detector: &Detector,
    mut reader: impl Read,
    name: &str,
    out: &mut Output<'_>,
    whole: bool,
) -> io::Result<()> {
    if whole {
        let mut buf = Vec::new();
        // Bounded: `whole` is only asked for a JSON file whose size is at most WHOLE_JSON_MAX, and the
        // `take` holds that even if the file grows while it is read.
        #[allow(clippy::disallowed_methods)]
        reader.take(WHOLE_JSON_MAX).read_to_end(&mut buf)?;
        return out.report(detector, name, &buf, 1);
    }
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 64 * 1024);
    let mut line = 1usize;
    let mut eof = false;
    while !eof {
        // Fill up to CHUNK bytes.
        while buf.len() < CHUNK {
            let old = buf.len();
            buf.resize(CHUNK, 0);
            let n = match reader.read(&mut buf[old..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
                Err(e) => return Err(e),
            };
            buf.truncate(old + n);
            if n == 0 {
                eof = true;
                break;
            }
        }
        let cut = if eof { buf.len() } else { buf.iter().rposition(|c| *c == b'\n').map_or(buf.len(), |i| i + 1) };
        out.report(detector, name, &buf[..cut], line)?;
        line += buf[..cut].iter().filter(|c| **c == b'\n').count();
        buf.drain(..cut);
    }
    Ok(())
}

struct Output<'a> {
    w: io::BufWriter<io::StdoutLock<'a>>,
    args: &'a DetectArgs,
    found: usize,
    first_json: bool,
}

impl Output<'_> {
    fn begin(&mut self) -> io::Result<()> {
        if self.args.format == DetectFormat::Json {
            self.w.write_all(b"[")?;
        }
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        if self.args.format == DetectFormat::Json {
            self.w.write_all(if self.first_json { b"]\n" } else { b"\n]\n" })?;
        }
        self.w.flush()
    }

    /// Scans one chunk whose first byte is on line `first_line` and prints its findings.
    fn report(&mut self, detector: &Detector, name: &str, chunk: &[u8], first_line: usize) -> io::Result<()> {
        let min = Confidence::from(self.args.min_confidence);
        let mut line = first_line;
        let mut line_start = 0usize;
        let mut pos = 0usize;
        for m in detector.scan_bytes(chunk).into_iter().filter(|m| m.confidence >= min) {
            // Matches come sorted by start: count line breaks incrementally.
            for (i, c) in chunk[pos..m.span.start].iter().enumerate() {
                if *c == b'\n' {
                    line += 1;
                    line_start = pos + i + 1;
                }
            }
            pos = m.span.start;
            let column = m.span.start - line_start + 1;
            self.print(name, line, column, &m)?;
        }
        Ok(())
    }

    fn print(&mut self, file: &str, line: usize, column: usize, m: &Match) -> io::Result<()> {
        self.found += 1;
        let value = if self.args.show_evidence { m.value.clone() } else { m.redacted() };
        match self.args.format {
            DetectFormat::Terminal => {
                // File names, values and JSON keys are whatever the input holds: escaped, so an ESC
                // sequence in a log cannot drive the terminal that reads this output.
                let value = escape_controls(&value).replace('\n', "\\n");
                let file = escape_controls(file);
                write!(self.w, "{file}:{line}:{column}: {} ({}) {value}", m.kind.as_str(), m.confidence.as_str())?;
                if let Some(p) = &m.key_path {
                    write!(self.w, " [{}]", escape_controls(p))?;
                }
                if let Some(d) = m.detail {
                    write!(self.w, " {{{d}}}")?;
                }
                writeln!(self.w)
            }
            DetectFormat::Json => {
                let item = serde_json::json!({
                    "file": file,
                    "line": line,
                    "column": column,
                    "type": m.kind,
                    "confidence": m.confidence,
                    "value": value,
                    "redacted": !self.args.show_evidence,
                    "key_path": m.key_path,
                    "detail": m.detail,
                });
                let sep: &[u8] = if self.first_json { b"\n  " } else { b",\n  " };
                self.first_json = false;
                self.w.write_all(sep)?;
                self.w.write_all(escape_json_controls(item.to_string()).as_bytes())
            }
        }
    }
}
