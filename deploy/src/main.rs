//! `switchboard-deploy`: the deploy commands on their own (the gateway has them as
//! `switchboard deploy ...`). `render` is what the template tests use.

use std::process::ExitCode;

use clap::Parser;
use switchboard_deploy::cli::DeployCommand;

#[derive(Parser)]
#[command(name = "switchboard-deploy", version, about = "Deploy the Switchboard gateway to AWS (CloudFormation)")]
struct Cli {
    #[command(subcommand)]
    command: DeployCommand,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(switchboard_deploy::cli::run(cli.command)),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}
