static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/invalid_section");

fn main() {
    let _ = &MIGRATIONS;
}
