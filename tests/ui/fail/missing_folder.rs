// The folder does not exist (on purpose, there is no fixture for this case).
static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/missing_folder");

fn main() {
    let _ = &MIGRATIONS;
}
