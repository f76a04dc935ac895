static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/needs_no_transaction");

fn main() {
    let _ = &MIGRATIONS;
}
