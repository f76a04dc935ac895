static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/unexpected_file");

fn main() {
    let _ = &MIGRATIONS;
}
