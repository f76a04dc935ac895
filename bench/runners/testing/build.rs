fn main() {
    println!("cargo:rerun-if-changed=../migrate/migrations");
}
