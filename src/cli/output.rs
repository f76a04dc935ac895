//! Where the CLI writes: text (tables, colour on a terminal only) or JSON,
//! with the database password removed from everything written.

use std::io::{IsTerminal, Write};

use super::args::Format;

/// The output of one command.
#[derive(Clone)]
pub(crate) struct Out {
    pub(crate) format: Format,
    color: bool,
    progress: bool,
    secret: Option<String>,
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
            secret: None,
        }
    }

    /// Keeps `secret` out of everything written from now on.
    pub(crate) fn hide(&mut self, secret: Option<String>) {
        self.secret = secret;
    }

    pub(crate) fn redact(&self, text: &str) -> String {
        match &self.secret {
            Some(s) => text.replace(s.as_str(), "***"),
            None => text.to_owned(),
        }
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
            println!("{}", self.redact(text));
        }
    }

    /// The JSON document of the command (ignored in text mode).
    pub(crate) fn document(&self, value: &serde_json::Value) {
        if self.json() {
            let text = serde_json::to_string_pretty(value).unwrap_or_default();
            println!("{}", self.redact(&text));
        }
    }

    /// A message to standard error: warnings, confirmations, errors.
    pub(crate) fn note(&self, text: &str) {
        eprintln!("{}", self.redact(text));
    }

    /// A progress line that rewrites itself, on a terminal only.
    pub(crate) fn progress(&self, text: &str) {
        if self.progress {
            eprint!("\r\x1b[2K{}", self.redact(text));
            let _ = std::io::stderr().flush();
        }
    }

    pub(crate) fn end_progress(&self) {
        if self.progress {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
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
