//! The `migrate` command line tool (see `migrate::cli`).

fn main() -> std::process::ExitCode {
    migrate::cli::main()
}
