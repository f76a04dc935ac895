static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/empty_down");

fn main() {
    let _ = &MIGRATIONS;
}
