// The lint's rules warn by default; `deny` makes one fail the build.
static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!(
    "tests/ui/fixtures/lint_denied",
    engine = "postgres",
    deny = ["index-without-concurrently", "drop-column"],
);

fn main() {
    let _ = &MIGRATIONS;
}
