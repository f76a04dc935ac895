//! Where the CLI writes: text (tables, colour) or JSON, with the database
//! password removed from everything written.
//!
//! Colour is anstream's decision, the one clap's help and errors make too:
//! `--color always|never`, else none when `NO_COLOR` is set, colour when
//! `CLICOLOR_FORCE` is, else colour on a terminal (not with `TERM=dumb` or
//! `CLICOLOR=0`). Standard output goes through anstream's stream, which
//! removes the styles when the decision is no colour.
//!
//! A write never panics. Standard output closed by its reader
//! (`migrate status | head`) is not an error: the rest of the output is
//! dropped and the command finishes what it does, with its own exit code;
//! any other failure to write standard output (a full disk) turns a
//! successful exit into 1. Failures to write standard error are ignored.

use std::io::{ErrorKind, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use anstyle::{AnsiColor, Style};

use super::args::{ColorWhen, Format};

/// Applies `--color` to everything written from now on, clap's output
/// included; `auto` leaves the decision to the environment (and, inside a
/// service binary, to the service's own choice).
pub(crate) fn set_color(when: ColorWhen) {
    match when {
        ColorWhen::Always => anstream::ColorChoice::Always.write_global(),
        ColorWhen::Never => anstream::ColorChoice::Never.write_global(),
        ColorWhen::Auto => {}
    }
}

/// The output of one command.
#[derive(Clone)]
pub(crate) struct Out {
    pub(crate) format: Format,
    progress: bool,
    /// Every spelling of the password, longest first.
    secrets: Vec<String>,
    /// The first failure to write standard output, other than a closed pipe.
    write_error: Arc<Mutex<Option<String>>>,
}

/// A style for text, written when the output has colour.
#[derive(Clone, Copy)]
pub(crate) enum Paint {
    Green,
    Yellow,
    Red,
    Bold,
}

impl Out {
    pub(crate) fn new(format: Format) -> Out {
        Out {
            format,
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
        let mut stdout = anstream::stdout().lock();
        let written = write!(stdout, "{}", self.redact(text)).and_then(|()| stdout.flush());
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

    /// `text` in a style (which standard output drops without colour).
    pub(crate) fn paint(&self, paint: Paint, text: &str) -> String {
        let style = match paint {
            Paint::Green => AnsiColor::Green.on_default(),
            Paint::Yellow => AnsiColor::Yellow.on_default(),
            Paint::Red => AnsiColor::Red.on_default(),
            Paint::Bold => Style::new().bold(),
        };
        format!("{style}{text}{style:#}")
    }

    /// A line of text output (ignored in JSON mode).
    pub(crate) fn line(&self, text: &str) {
        if !self.json() {
            self.stdout(&format!("{text}\n"));
        }
    }

    /// The JSON document of the command (ignored in text mode).
    pub(crate) fn document(&self, value: &serde_json::Value) {
        if self.json() {
            let json = serde_json::to_string_pretty(value).unwrap_or_default();
            self.stdout(&format!("{json}\n"));
        }
    }

    /// Text written as it is, in either format (a completion script).
    pub(crate) fn verbatim(&self, text: &str) {
        self.stdout(text);
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
