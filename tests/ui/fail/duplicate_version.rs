static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/duplicate_version");

fn main() {
    let _ = &MIGRATIONS;
}
