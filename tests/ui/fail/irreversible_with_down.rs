static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/irreversible_with_down");

fn main() {
    let _ = &MIGRATIONS;
}
