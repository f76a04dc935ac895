//! A service binary that carries its migrations and exposes the `migrate`
//! subcommands over them, with no files on disk:
//!
//! ```text
//! cargo run --features cli --example embedded_cli -- migrate status --database-url sqlite:svc.db
//! cargo run --features cli --example embedded_cli -- migrate up --database-url sqlite:svc.db
//! cargo run --features cli --example embedded_cli -- serve
//! ```

use std::process::ExitCode;

use clap::{Parser, Subcommand};

static MIGRATIONS: migrate::Migrations =
    migrate::embed_migrations!("examples/quickstart/migrations");

#[derive(Parser)]
#[command(name = "myservice")]
struct Service {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (here: print a line and exit)
    Serve,
    /// Manage the database schema with the migrations this binary embeds
    Migrate(migrate::cli::MigrateArgs),
}

fn main() -> ExitCode {
    match Service::parse().command {
        Command::Serve => {
            println!(
                "serving with schema version {:?}",
                MIGRATIONS.iter().last().map(|m| m.version())
            );
            ExitCode::SUCCESS
        }
        Command::Migrate(args) => migrate::cli::run_embedded(&MIGRATIONS, args),
    }
}
