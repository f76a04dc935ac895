static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/code_with_down");

fn main() {
    let _ = &MIGRATIONS;
}
