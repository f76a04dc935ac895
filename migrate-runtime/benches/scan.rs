//! Scanner and checksum benchmark: a folder of 10,000 files (5,000
//! migrations), scanned as `embed_migrations!` does at build time.
//!
//! ```text
//! cargo bench -p migrate-runtime --bench scan
//! ```
//!
//! Prints min and median of 15 runs for the whole scan (list, read, lex,
//! validate, checksum) and for checksumming alone, so regressions show;
//! then the project's example set, 1,000 native migrations and 1,000 in
//! each of other tools' layouts. With `--features pg-syntax` every scan
//! also parses each statement with PostgreSQL's grammar.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

const MIGRATIONS: usize = 5_000;
const RUNS: usize = 15;

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut bytes = 0;
    for i in 1..=MIGRATIONS {
        let up = up_sql(i);
        bytes += up.len();
        std::fs::write(dir.path().join(format!("{i:05}_create_t_{i}.up.sql")), up).unwrap();
        std::fs::write(
            dir.path().join(format!("{i:05}_create_t_{i}.down.sql")),
            format!("DROP TABLE t_{i};\n"),
        )
        .unwrap();
    }

    let scan = measure(|| {
        let set = migrate_runtime::scan(dir.path()).expect("valid folder");
        assert_eq!(set.migrations().len(), MIGRATIONS);
        black_box(set);
    });
    report("scan 10,000 files", &scan, Some(2 * MIGRATIONS));

    let set = migrate_runtime::Migrations::from_dir(dir.path()).unwrap();
    let texts: Vec<String> = set.iter().map(|m| m.up_sql().to_owned()).collect();
    let checksum = measure(|| {
        for t in &texts {
            black_box(migrate_runtime::checksum(black_box(t)));
        }
    });
    report("checksum 5,000 up files", &checksum, Some(MIGRATIONS));
    let mib = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "  {mib:.1} MiB of SQL: {:.0} MiB/s",
        mib / checksum[RUNS / 2].as_secs_f64()
    );
    example_and_thousand();
    layouts();
}

/// The project's example set (`migrations/`, PostgreSQL's SQL) and 1,000
/// native migrations: what feature `pg-syntax` adds to a build's scan
/// shows here (run the bench with and without it).
fn example_and_thousand() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let n = migrate_runtime::scan(&example)
        .expect("the example set")
        .migrations()
        .len();
    let times = measure(|| {
        black_box(migrate_runtime::scan(&example).expect("the example set"));
    });
    report(
        &format!("the example set ({n} migrations)"),
        &times,
        Some(n),
    );
    let dir = tempfile::tempdir().expect("temporary folder");
    for i in 1..=1_000 {
        let up = dir.path().join(format!("{i:04}_create_t_{i}.up.sql"));
        std::fs::write(up, up_sql(i)).unwrap();
        let down = dir.path().join(format!("{i:04}_create_t_{i}.down.sql"));
        std::fs::write(down, format!("DROP TABLE t_{i};\n")).unwrap();
    }
    let times = measure(|| {
        black_box(migrate_runtime::scan(dir.path()).expect("valid folder"));
    });
    report("1,000 native migrations", &times, Some(1_000));
}

/// 1,000 migrations in each of other tools' layouts, scanned.
fn layouts() {
    use migrate_runtime::Layout;
    const N: usize = 1_000;
    type Write = fn(&std::path::Path, usize, &str);
    let layouts: [(Layout, Write); 7] = [
        (Layout::Sections, |d, i, up| {
            let text = format!("-- migrate:up\n{up}\n-- migrate:down\nDROP TABLE t_{i};\n");
            std::fs::write(
                d.join(format!("{}_create_t_{i}.sql", 20_240_000_000_000 + i)),
                text,
            )
            .unwrap();
        }),
        (Layout::Diesel, |d, i, up| {
            let folder = d.join(format!("2024-01-01-{i:06}_create_t_{i}"));
            std::fs::create_dir(&folder).unwrap();
            std::fs::write(folder.join("up.sql"), up).unwrap();
            std::fs::write(folder.join("down.sql"), format!("DROP TABLE t_{i};\n")).unwrap();
        }),
        (Layout::Sqlx, |d, i, up| {
            std::fs::write(d.join(format!("{i}_create_t_{i}.sql")), up).unwrap();
        }),
        (Layout::GolangMigrate, |d, i, up| {
            std::fs::write(d.join(format!("{}_create_t_{i}.up.sql", 2 * i)), up).unwrap();
            std::fs::write(
                d.join(format!("{}_create_t_{i}.down.sql", 2 * i)),
                "SELECT 1;\n",
            )
            .unwrap();
        }),
        (Layout::Refinery, |d, i, up| {
            std::fs::write(d.join(format!("V{i}__create_t_{i}.sql")), up).unwrap();
        }),
        (Layout::Yoyo, |d, i, up| {
            let depends = if i > 1 {
                format!("-- depends: {:05}.t{}\n", i - 1, i - 1)
            } else {
                String::new()
            };
            std::fs::write(d.join(format!("{i:05}.t{i}.sql")), format!("{depends}{up}")).unwrap();
            std::fs::write(d.join(format!("{i:05}.t{i}.rollback.sql")), "SELECT 1;\n").unwrap();
        }),
        (Layout::VersionsRollbacks, |d, i, up| {
            std::fs::create_dir_all(d.join("versions")).unwrap();
            std::fs::create_dir_all(d.join("rollbacks")).unwrap();
            std::fs::write(d.join(format!("versions/{i:04}_t{i}.sql")), up).unwrap();
            std::fs::write(
                d.join(format!("rollbacks/{i:04}_t{i}_rollback.sql")),
                "SELECT 1;\n",
            )
            .unwrap();
        }),
    ];
    for (layout, write) in layouts {
        let dir = tempfile::tempdir().expect("temporary folder");
        for i in 1..=N {
            write(dir.path(), i, &up_sql(i));
        }
        let times = measure(|| {
            let set = migrate_runtime::scan_with(
                dir.path(),
                &migrate_runtime::ScanOptions::new().layout(layout),
            )
            .expect("valid folder");
            assert_eq!(set.migrations().len(), N);
            black_box(set);
        });
        report(&format!("1,000 in layout {layout}"), &times, Some(N));
    }
}

fn up_sql(i: usize) -> String {
    let mut s = format!("-- Migration {i}: a table and an index.\nCREATE TABLE t_{i} (\n");
    for c in 0..6 {
        let _ = writeln!(s, "    c{c} text NOT NULL DEFAULT 'value ''{c}''',");
    }
    s.push_str("    id bigint PRIMARY KEY\n);\n");
    let _ = writeln!(s, "CREATE INDEX t_{i}_c0 ON t_{i} (c0);");
    s
}

fn measure(mut f: impl FnMut()) -> Vec<Duration> {
    f(); // warm the page cache
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn report(what: &str, times: &[Duration], items: Option<usize>) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    print!(
        "{what:<28} min {:>8.2} ms   median {:>8.2} ms",
        ms(times[0]),
        ms(times[RUNS / 2])
    );
    if let Some(n) = items {
        print!(
            "   ({:.2} µs per item)",
            ms(times[RUNS / 2]) * 1000.0 / n as f64
        );
    }
    println!();
}
