static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/invalid_depends");

fn main() {
    let _ = &MIGRATIONS;
}
