//! The `migrate` binary driven as users run it: every subcommand on SQLite
//! and PostgreSQL, JSON output, exit codes, environments, seeds, the
//! generator and the subcommands inside a service binary.

mod color;
mod completions;
mod config;
mod dry_run;
mod embedded;
mod faults;
mod generate;
mod interrupt;
mod layouts;
mod lifecycle;
mod lint;
mod messages;
mod pipe;
mod resolve;
mod reversible;
mod secrets;
mod seeds;
mod status;
mod support;
mod tls;
