static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/invalid_timestamp");

fn main() {
    let _ = &MIGRATIONS;
}
