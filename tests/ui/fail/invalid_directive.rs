static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/invalid_directive");

fn main() {
    let _ = &MIGRATIONS;
}
