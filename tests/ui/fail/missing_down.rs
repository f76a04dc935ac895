static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/missing_down");

fn main() {
    let _ = &MIGRATIONS;
}
