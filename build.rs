fn main() {
    // Rebuild when a migration is added, removed or edited (see the README).
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=examples/quickstart/migrations");
    println!("cargo:rerun-if-changed=examples/backfill/migrations");
}
