static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/version_order");

fn main() {
    let _ = &MIGRATIONS;
}
