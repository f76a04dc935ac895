static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/pragma_in_transaction");

fn main() {
    let _ = &MIGRATIONS;
}
