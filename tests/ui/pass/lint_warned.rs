// The lint warns by default: a folder with lock hazards builds, and a
// SQLite folder (`engine = "sqlite"`) is not told about PostgreSQL's locks.
static WARNED: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/lint_denied");
static SQLITE: migrate::Migrations = migrate::embed_migrations!(
    "tests/ui/fixtures/lint_denied",
    engine = "sqlite",
    warn = ["drop-column"],
    allow = ["rename-column"],
);

fn main() {
    assert_eq!(WARNED.len(), 2);
    assert_eq!(SQLITE.digest(), WARNED.digest());
}
