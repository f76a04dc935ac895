static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/mixed_layouts");

fn main() {
    let _ = &MIGRATIONS;
}
