//! The `insp` binary: parse the command line, hand over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    insp_server::cli::run(insp_server::cli::Cli::parse()).await
}
