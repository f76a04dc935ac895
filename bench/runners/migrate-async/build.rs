// The library's documented mechanism for noticing added migration files.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
