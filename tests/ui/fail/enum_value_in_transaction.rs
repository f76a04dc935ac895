static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("tests/ui/fixtures/enum_value_in_transaction");

fn main() {
    let _ = &MIGRATIONS;
}
