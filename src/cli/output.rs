//! Where the CLI writes: text (tables, colour on a terminal only) or JSON,
//! with the database password removed from everything written.
//!
//! A write never panics. Standard output closed by its reader
//! (`migrate status | head`) is not an error: the rest of the output is
//! dropped and the command finishes what it does, with its own exit code;
//! any other failure to write standard output (a full disk) turns a
//! successful exit into 1. Failures to write standard error are ignored.

use std::io::{ErrorKind, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use super::args::Format;

/// The output of one command.
#[derive(Clone)]
pub(crate) struct Out {
    pub(crate) format: Format,
    color: bool,
    progress: bool,
    /// Every spelling of the password, longest first.
    secrets: Vec<String>,
    /// The first failure to write standard output, other than a closed pipe.
    write_error: Arc<Mutex<Option<String>>>,
}

/// A colour for text on a terminal.
#[derive(Clone, Copy)]
pub(crate) enum Paint {
    Green,
    Yellow,
    Red,
    Bold,
}

impl Out {
    pub(crate) fn new(format: Format) -> Out {
        let no_color = std::env::var_os("NO_COLOR").is_some();
        Out {
            format,
            color: !no_color && std::io::stdout().is_terminal(),
            progress: format == Format::Text && std::io::stderr().is_terminal(),
            secrets: Vec::new(),
            write_error: Arc::default(),
        }
    }

    /// Keeps `secrets` out of everything written from now on, also as
    /// they appear inside JSON strings.
    pub(crate) fn hide(&mut self, secrets: Vec<String>) {
        for secret in secrets {
            let json = serde_json::to_string(&secret).unwrap_or_default();
            let escaped = json
                .strip_prefix('"')
                .and_then(|j| j.strip_suffix('"'))
                .unwrap_or_default()
                .to_owned();
            for s in [secret, escaped] {
                if !s.is_empty() && !self.secrets.contains(&s) {
                    self.secrets.push(s);
                }
            }
        }
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    pub(crate) fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for s in &self.secrets {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "***");
            }
        }
        text
    }

    /// Why standard output could not be written, if it could not (a
    /// closed pipe excepted).
    pub(crate) fn write_error(&self) -> Option<String> {
        self.write_error.lock().map_or(None, |e| e.clone())
    }

    fn stdout(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let written = writeln!(stdout, "{}", self.redact(text)).and_then(|()| stdout.flush());
        match written {
            Err(e) if e.kind() != ErrorKind::BrokenPipe => {
                if let Ok(mut first) = self.write_error.lock() {
                    first.get_or_insert_with(|| e.to_string());
                }
            }
            _ => {}
        }
    }

    fn stderr(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "{}", self.redact(text)).and_then(|()| stderr.flush());
    }

    pub(crate) fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// `text` in a colour when writing to a terminal.
    pub(crate) fn paint(&self, paint: Paint, text: &str) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match paint {
            Paint::Green => "32",
            Paint::Yellow => "33",
            Paint::Red => "31",
            Paint::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// A line of text output (ignored in JSON mode).
    pub(crate) fn line(&self, text: &str) {
        if !self.json() {
            self.stdout(text);
        }
    }

    /// The JSON document of the command (ignored in text mode).
    pub(crate) fn document(&self, value: &serde_json::Value) {
        if self.json() {
            self.stdout(&serde_json::to_string_pretty(value).unwrap_or_default());
        }
    }

    /// A message to standard error: warnings, confirmations, errors.
    pub(crate) fn note(&self, text: &str) {
        self.stderr(&format!("{text}\n"));
    }

    /// A question on standard error, the answer typed on the same line.
    pub(crate) fn prompt(&self, text: &str) {
        self.stderr(text);
    }

    /// A progress line that rewrites itself, on a terminal only.
    pub(crate) fn progress(&self, text: &str) {
        if self.progress {
            self.stderr(&format!("\r\x1b[2K{text}"));
        }
    }

    pub(crate) fn end_progress(&self) {
        if self.progress {
            self.stderr("\r\x1b[2K");
        }
    }

    /// A table with a header row; columns padded to their widest cell.
    pub(crate) fn table(&self, header: &[&str], rows: &[Vec<(String, Option<Paint>)>]) {
        let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for row in rows {
            for (i, (cell, _)) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let head: Vec<String> = header
            .iter()
            .zip(&widths)
            .map(|(h, w)| format!("{h:<w$}"))
            .collect();
        self.line(&self.paint(Paint::Bold, head.join("  ").trim_end()));
        for row in rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|((cell, paint), w)| {
                    let padded = format!("{cell:<w$}");
                    match paint {
                        Some(p) => self.paint(*p, &padded),
                        None => padded,
                    }
                })
                .collect();
            self.line(cells.join("  ").trim_end());
        }
    }
}
