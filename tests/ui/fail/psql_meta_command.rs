static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/psql_meta_command");

fn main() {
    let _ = &MIGRATIONS;
}
