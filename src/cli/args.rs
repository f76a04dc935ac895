//! The command line: global flags, the subcommands shared by the standalone
//! tool and service binaries, and the standalone-only `new` and `check`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgGroup, Args, CommandFactory, Parser, Subcommand, ValueEnum};

use super::generate::TemplateArgs;

/// The standalone `migrate` tool, working on a migrations folder.
#[derive(Debug, Parser)]
#[command(
    name = "migrate",
    version,
    about = "SQL migrations for PostgreSQL and SQLite"
)]
pub(crate) struct Standalone {
    #[command(flatten)]
    pub(crate) global: Global,
    /// The migrations folder [default: `migrations`, or the config's]
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    /// The folder's layout: native, sections (dbmate, goose), diesel, sqlx,
    /// golang-migrate, refinery (flyway), yoyo, versions-rollbacks
    /// [default: the config's, else told from the files]
    #[arg(long, global = true, value_name = "LAYOUT")]
    pub(crate) layout: Option<migrate_runtime::Layout>,
    #[command(subcommand)]
    pub(crate) command: StandaloneCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StandaloneCommand {
    /// Write the next migration's up and down files
    New(Box<NewArgs>),
    /// Validate the folder offline with the build's scanner (and its lint)
    Check {
        /// Also prove every down: on a scratch database made on the server of
        /// --database-url (an empty SQLite file for a sqlite: URL; the
        /// database itself is never touched), apply each migration, roll it
        /// back, compare the schema with the one before, apply it again
        #[arg(long)]
        reversible: bool,
    },
    /// Rewrite another tool's folder (IN, else --dir; read in --layout or
    /// as its files show) as migrate's pairs in OUT, versions kept, printing
    /// every change: `migrate convert --to native IN OUT`
    Convert {
        /// The layout to write: native
        #[arg(long, value_name = "LAYOUT", default_value = "native")]
        to: migrate_runtime::Layout,
        /// IN OUT, or OUT alone (IN is then --dir): the folder to read, and
        /// the folder to write, which must not exist or be empty
        #[arg(value_name = "IN OUT", num_args = 1..=2, required = true)]
        folders: Vec<PathBuf>,
    },
    /// Print the shell completion script, e.g. `migrate completions bash >
    /// ~/.local/share/bash-completion/completions/migrate`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    #[command(flatten)]
    Db(DbCommand),
}

/// `migrate new`.
#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// What the migration does, e.g. "add user preferences"
    pub(crate) description: String,
    #[command(flatten)]
    pub(crate) template: TemplateArgs,
}

/// The `migrate` subcommands, for a service binary to mount: they work on
/// the migrations the binary embeds.
///
/// ```no_run
/// use clap::{Parser, Subcommand};
///
/// static MIGRATIONS: migrate::Migrations = migrate::embed_migrations!("migrations");
///
/// #[derive(Parser)]
/// struct Service {
///     #[command(subcommand)]
///     command: Command,
/// }
///
/// #[derive(Subcommand)]
/// enum Command {
///     /// Run the service
///     Serve,
///     /// Manage the database schema
///     Migrate(migrate::cli::MigrateArgs),
/// }
///
/// fn main() -> std::process::ExitCode {
///     match Service::parse().command {
///         Command::Serve => std::process::ExitCode::SUCCESS,
///         Command::Migrate(args) => migrate::cli::run_embedded(&MIGRATIONS, args),
///     }
/// }
/// ```
#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: DbCommand,
}

/// Flags accepted before or after any subcommand.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// postgres://… URL, key=value settings (host=… user=… dbname=…) or sqlite:PATH [env: DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// The environment of migrate.toml to use
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) env: Option<String>,
    /// The config file [default: ./migrate.toml if present]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Print what would run, with the SQL, and change nothing
    #[arg(long, global = true)]
    pub(crate) dry_run: bool,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Confirm a destructive command in a protected environment
    #[arg(long, global = true)]
    pub(crate) yes: bool,
    /// When to colour the output (auto: on a terminal; off with NO_COLOR, on
    /// with CLICOLOR_FORCE)
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub(crate) color: ColorWhen,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// The `--color` of a command line before clap parses it: clap writes help
/// and usage errors while parsing, and they follow `--color` too. Read by
/// hand because a parse that fails (the case to colour) yields no values;
/// a malformed value is left to clap's parse to report.
pub(crate) fn color_in(args: &[OsString]) -> Option<ColorWhen> {
    let mut found = None;
    let mut words = args.iter().skip(1).map(|a| a.to_str());
    while let Some(word) = words.next() {
        let value = match word {
            Some("--") => break,
            Some("--color") => words.next().flatten(),
            Some(w) => w.strip_prefix("--color="),
            None => None,
        };
        if let Some(when) = value.and_then(|v| ColorWhen::from_str(v, false).ok()) {
            found = Some(when);
        }
    }
    found
}

/// The completion script of the standalone tool for `shell`.
pub(crate) fn completions(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Standalone::command(), "migrate", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

/// Text for people, JSON for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

/// The subcommands that work on a database.
#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Show the current version, pending and applied migrations, problems
    Status {
        /// Exit 1 when a migration is pending or a problem is found (a CI gate;
        /// dbmate's `--exit-code` is accepted too)
        #[arg(long, visible_alias = "exit-code")]
        check: bool,
    },
    /// Apply pending migrations
    Up {
        /// Apply up to and including this version
        #[arg(long, value_name = "VERSION")]
        to: Option<u64>,
    },
    /// Roll back applied migrations
    Down {
        /// Roll back the newest N (at least 1)
        #[arg(long, value_name = "N", conflicts_with_all = ["to", "all"], value_parser = at_least_one)]
        steps: Option<usize>,
        /// Roll back everything newer than this version (which stays)
        #[arg(long, value_name = "VERSION", conflicts_with = "all")]
        to: Option<u64>,
        /// Roll back everything
        #[arg(long)]
        all: bool,
    },
    /// Roll back the newest N migrations and apply them again
    Redo {
        /// How many (at least 1)
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = at_least_one)]
        steps: usize,
    },
    /// Show the event log, newest first
    History {
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: usize,
    },
    /// Check the database against the migrations; exit 1 on any problem
    Verify {
        /// Also exit 1 when a migration is pending (Flyway's validate does by default)
        #[arg(long)]
        pending: bool,
    },
    /// Mark every migration up to VERSION applied without running it
    Baseline { version: u64 },
    /// Record as applied what another tool applied to this database (read
    /// from its tracking table, left as it is)
    Adopt {
        /// The tool: diesel, sqlx, dbmate, goose, golang-migrate, refinery,
        /// flyway, yoyo [default: the only one whose table is there]
        #[arg(long, value_name = "TOOL")]
        from: Option<migrate_runtime::Foreign>,
    },
    /// Accept edited checksums and clear the marks of half-applied ups
    Repair,
    /// Say what you found of a migration a no-transaction run left
    /// unfinished (marked in_progress, failed, rolling_back or rollback_failed)
    #[command(group(ArgGroup::new("found").required(true).args(["applied", "rolled_back"])))]
    Resolve {
        version: u64,
        /// Everything the migration makes is there: record it applied
        #[arg(long)]
        applied: bool,
        /// Nothing the migration makes is there: remove its row, so that it runs again
        #[arg(long)]
        rolled_back: bool,
    },
    /// Run the seed files of `seeds/NAME/` that are new or changed
    Seed {
        /// The seed folder [default: the --env name, else `development`]
        #[arg(value_name = "NAME")]
        name: Option<String>,
        /// Run every seed file again, changed or not
        #[arg(long)]
        force: bool,
    },
}

/// A count of migrations: `0` is a usage error, not "nothing to do".
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

impl DbCommand {
    /// The name, for messages.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            DbCommand::Status { .. } => "status",
            DbCommand::Up { .. } => "up",
            DbCommand::Down { .. } => "down",
            DbCommand::Redo { .. } => "redo",
            DbCommand::History { .. } => "history",
            DbCommand::Verify { .. } => "verify",
            DbCommand::Baseline { .. } => "baseline",
            DbCommand::Adopt { .. } => "adopt",
            DbCommand::Repair => "repair",
            DbCommand::Resolve { .. } => "resolve",
            DbCommand::Seed { .. } => "seed",
        }
    }

    /// Whether it applies or rolls back migrations, which a signal then
    /// stops (cancelling the running statement) instead of killing.
    pub(crate) fn writes_migrations(&self) -> bool {
        matches!(
            self,
            DbCommand::Up { .. } | DbCommand::Down { .. } | DbCommand::Redo { .. }
        )
    }

    /// Whether a protected environment asks for confirmation first.
    pub(crate) fn is_destructive(&self) -> bool {
        matches!(
            self,
            DbCommand::Down { .. }
                | DbCommand::Redo { .. }
                | DbCommand::Repair
                | DbCommand::Resolve { .. }
                | DbCommand::Baseline { .. }
                | DbCommand::Adopt { .. }
                | DbCommand::Seed { .. }
        )
    }
}
