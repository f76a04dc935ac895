//! What a scan is told besides the folder: its layout, the engine its
//! migrations run on, each lint rule's severity, and whether the runner
//! gives every migration a lock timeout.

use super::layout::Layout;
use super::problem::Problem;
use super::rule::{Rule, Severity};
use crate::model::Engine;

/// How to scan a folder: what `migrate.toml` and the macro's arguments
/// declare. The default tells the layout from the files, checks the rules
/// of both engines, and reports each rule about what a statement does at
/// its [default severity](Rule::default_severity).
///
/// ```
/// use migrate_runtime::{Engine, Layout, Rule, ScanOptions, Severity};
/// let options = ScanOptions::new()
///     .layout(Layout::Diesel)
///     .engine(Engine::Postgres)
///     .severity(Rule::IndexWithoutConcurrently, Severity::Deny)
///     .severity(Rule::DropColumn, Severity::Allow);
/// assert_eq!(options.severity_of(Rule::IndexWithoutConcurrently), Some(Severity::Deny));
/// assert_eq!(options.severity_of(Rule::RenameColumn), Some(Severity::Warn));
/// assert_eq!(options.declared_engine(), Some(Engine::Postgres));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScanOptions {
    layout: Option<Layout>,
    engine: Option<Engine>,
    severities: Vec<(Rule, Severity)>,
    lock_timeout: bool,
}

impl ScanOptions {
    /// The defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the folder in `layout` instead of telling it from its files.
    #[must_use]
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = Some(layout);
        self
    }

    /// Checks only the rules that concern `engine`: a SQLite folder is
    /// not told about PostgreSQL's locks, nor a PostgreSQL one about
    /// SQLite's pragmas.
    #[must_use]
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = Some(engine);
        self
    }

    /// Reports `rule` at `severity` (the last one set for a rule wins). A
    /// rule of the folder's shape (one with no
    /// [default severity](Rule::default_severity)) is always a problem,
    /// whatever is set for it.
    #[must_use]
    pub fn severity(mut self, rule: Rule, severity: Severity) -> Self {
        self.severities.retain(|(r, _)| *r != rule);
        self.severities.push((rule, severity));
        self
    }

    /// Says that every migration runs with a lock timeout of the runner's
    /// (`Runner::ddl_lock_timeout`, `lock_timeout` in `migrate.toml`), so
    /// that a file without one of its own is no `missing-lock-timeout`.
    #[must_use]
    pub fn runner_lock_timeout(mut self) -> Self {
        self.lock_timeout = true;
        self
    }

    /// The layout declared, if any.
    #[must_use]
    pub fn declared_layout(&self) -> Option<Layout> {
        self.layout
    }

    /// The engine declared, if any.
    #[must_use]
    pub fn declared_engine(&self) -> Option<Engine> {
        self.engine
    }

    /// How `rule` is reported: as set, else its default (`None` for a rule
    /// of the folder's shape, always a problem).
    #[must_use]
    pub fn severity_of(&self, rule: Rule) -> Option<Severity> {
        let default = rule.default_severity()?;
        if rule == Rule::MissingLockTimeout && self.lock_timeout {
            return Some(Severity::Allow);
        }
        Some(
            self.severities
                .iter()
                .find(|(r, _)| *r == rule)
                .map_or(default, |(_, s)| *s),
        )
    }

    /// The scan's findings split into problems and warnings, those of the
    /// rules allowed or of another engine left out.
    pub(crate) fn sort(&self, found: Vec<Problem>) -> (Vec<Problem>, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        for p in found {
            if self.engine.is_some_and(|e| !p.rule.concerns(e)) {
                continue;
            }
            match self.severity_of(p.rule) {
                None | Some(Severity::Deny) => problems.push(p),
                Some(Severity::Warn) => warnings.push(p),
                Some(Severity::Allow) => {}
            }
        }
        (problems, warnings)
    }
}
