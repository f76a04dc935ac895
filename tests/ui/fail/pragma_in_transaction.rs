// SQLite's statements: the folder says so (with feature pg-syntax,
// PostgreSQL's grammar would refuse its PRAGMA otherwise).
static MIGRATIONS: migrate::Migrations =
    migrate::embed_migrations!("tests/ui/fixtures/pragma_in_transaction", engine = "sqlite");

fn main() {
    let _ = &MIGRATIONS;
}
