//! `tracing` spans (feature `tracing`): one `migrate` span per operation
//! with its outcome, and inside it one `migrate.migration` span per
//! migration with its version, name, direction, duration and outcome.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use migrate::Rollback;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

use crate::fixtures::*;
use crate::support::*;

contract! {
    each_operation_and_migration_has_a_span_with_its_outcome,
}

/// A span as the layer saw it: its name, its parent's index in the list,
/// its fields as text, and whether it closed.
#[derive(Debug, Clone)]
struct Seen {
    id: u64,
    name: &'static str,
    parent: Option<usize>,
    fields: BTreeMap<String, String>,
    closed: bool,
}

/// Every span made while it is the subscriber, in the order they opened.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<Seen>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Spans {
    /// The open span of `id` (ids are reused once a span closes).
    fn with(&self, id: &Id, f: impl FnOnce(&mut Seen)) {
        let mut seen = self.0.lock().unwrap();
        if let Some(span) = seen
            .iter_mut()
            .rev()
            .find(|s| s.id == id.into_u64() && !s.closed)
        {
            f(span);
        }
    }

    fn index_of(&self, id: &Id) -> Option<usize> {
        let seen = self.0.lock().unwrap();
        seen.iter()
            .rposition(|s| s.id == id.into_u64() && !s.closed)
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent = ctx
            .span(id)
            .and_then(|s| s.parent())
            .and_then(|p| self.index_of(&p.id()));
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Seen {
            id: id.into_u64(),
            name: attrs.metadata().name(),
            parent,
            fields,
            closed: false,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        self.with(id, |span| values.record(&mut Fields(&mut span.fields)));
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        self.with(&id, |span| span.closed = true);
    }
}

/// The spans `f` makes, on this thread.
fn spans_of(f: impl FnOnce()) -> Vec<Seen> {
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    tracing::subscriber::with_default(subscriber, f);
    let seen = spans.0.lock().unwrap().clone();
    seen
}

/// `field` of each `migrate.migration` span: `version=outcome`.
fn migrations(spans: &[Seen]) -> Vec<String> {
    spans
        .iter()
        .filter(|s| s.name == "migrate.migration")
        .map(|s| format!("{}={}", s.fields["version"], s.fields["outcome"]))
        .collect()
}

fn each_operation_and_migration_has_a_span_with_its_outcome(db: &Db) {
    let mut conn = db.open();
    let spans = spans_of(|| {
        FAILING.run(&mut conn).unwrap_err();
    });
    let runs: Vec<&Seen> = spans.iter().filter(|s| s.name == "migrate").collect();
    assert_eq!(runs.len(), 1, "{spans:#?}");
    assert_eq!(runs[0].fields["operation"], "run");
    assert_eq!(runs[0].fields["table"], "migrate_history");
    assert_eq!(runs[0].fields["outcome"], "migration_failed");
    assert_eq!(migrations(&spans), ["1=ok", "2=ok", "3=migration_failed"]);
    let run = spans.iter().position(|s| s.name == "migrate");
    for m in spans.iter().filter(|s| s.name == "migrate.migration") {
        assert_eq!(m.parent, run, "inside the run's span: {m:?}");
        assert_eq!(m.fields["direction"], "up");
        assert!(m.closed, "{m:?}");
    }
    let first = &spans
        .iter()
        .find(|s| s.name == "migrate.migration")
        .unwrap();
    assert_eq!(first.fields["name"], "create_a");
    let ms: f64 = first.fields["duration_ms"].parse().unwrap();
    assert!(ms >= 0.0, "{first:?}");
    // A rollback: each down migration, newest first.
    let spans = spans_of(|| {
        FAILING.runner().rollback(&mut conn, Rollback::All).unwrap();
    });
    assert_eq!(migrations(&spans), ["2=ok", "1=ok"]);
    assert!(spans
        .iter()
        .filter(|s| s.name == "migrate.migration")
        .all(|s| s.fields["direction"] == "down"));
    let op = spans.iter().find(|s| s.name == "migrate").unwrap();
    assert_eq!(
        (
            op.fields["operation"].as_str(),
            op.fields["outcome"].as_str()
        ),
        ("rollback", "ok")
    );
}
