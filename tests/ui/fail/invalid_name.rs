static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/invalid_name");

fn main() {
    let _ = &MIGRATIONS;
}
