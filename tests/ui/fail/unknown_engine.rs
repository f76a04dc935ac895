static MIGRATIONS: migrate::Migrations =
    migrate::embed_migrations!("tests/ui/fixtures/lint_denied", engine = "mysql");

fn main() {
    let _ = &MIGRATIONS;
}
