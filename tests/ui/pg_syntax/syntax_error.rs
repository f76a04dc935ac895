// Feature pg-syntax: each statement parsed by PostgreSQL's own grammar at
// build time; an error at the token the parser failed at.
static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/pg_syntax");

fn main() {
    let _ = &MIGRATIONS;
}
