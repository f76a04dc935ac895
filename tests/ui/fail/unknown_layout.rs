static MIGRATIONS: migrate::Migrations =
    migrate::embed_migrations!("tests/ui/fixtures/valid", layout = "liquibase");

fn main() {
    let _ = &MIGRATIONS;
}
