static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!(
    "tests/ui/fixtures/lint_denied",
    allow = ["missing-down", "drop-colum"],
);

fn main() {
    let _ = &MIGRATIONS;
}
