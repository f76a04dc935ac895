static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/sequence_gap");

fn main() {
    let _ = &MIGRATIONS;
}
