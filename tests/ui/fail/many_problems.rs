static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/many_problems");

fn main() {
    let _ = &MIGRATIONS;
}
