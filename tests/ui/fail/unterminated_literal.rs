static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/unterminated_literal");

fn main() {
    let _ = &MIGRATIONS;
}
