//! Compile-fail tests of `embed_migrations!`: one case per validation rule
//! (and one breaking several at once), plus a valid folder that must build
//! and run. Fixtures live in `tests/ui/fixtures/<case>/`.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test ui`
//! and review every changed `.stderr` file.

#[test]
fn ui() {
    // trybuild compiles each case in a generated crate under `target/`, so
    // the macro would resolve fixture paths against that crate; point it back
    // at this crate. (Edition 2021: `set_var` is safe; the test is alone in
    // this binary, so no other thread reads the environment meanwhile.)
    std::env::set_var("MIGRATE_MANIFEST_DIR_OVERRIDE", env!("CARGO_MANIFEST_DIR"));

    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
    // PostgreSQL's grammar at build time (feature pg-syntax).
    #[cfg(feature = "pg-syntax")]
    t.compile_fail("tests/ui/pg_syntax/*.rs");
}
