//! `test-coordinator`: see `cli` for the commands.

use std::process::ExitCode;

use clap::Parser;
use server::cli::{self, Cli};

fn main() -> ExitCode {
    cli::run(Cli::parse())
}
