static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/foreign_code");

fn main() {
    let _ = &MIGRATIONS;
}
