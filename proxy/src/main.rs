//! The `switchboard` command line.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use switchboard::config::Config;

/// mimalloc rather than glibc's malloc: a proxied call allocates and frees a few hundred times,
/// and glibc's allocator spent about a quarter of the request path's instructions on it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "switchboard", version, about = "A LiteLLM-compatible LLM gateway")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway.
    Serve {
        /// A LiteLLM config.yaml (model_list, general_settings, ...).
        #[arg(long, env = "CONFIG_FILE_PATH")]
        config: Option<PathBuf>,
        /// The config.yaml itself, base64-encoded (what the CloudFormation template hands a
        /// container); used instead of --config when set.
        #[arg(long, env = "SWITCHBOARD_CONFIG_B64", hide_env_values = true, value_name = "BASE64")]
        config_b64: Option<String>,
        #[arg(long, env = "HOST", default_value = "127.0.0.1")]
        host: IpAddr,
        #[arg(long, env = "PORT", default_value_t = 4000)]
        port: u16,
        /// SQLite file for keys, teams and spend (default: switchboard.db in the user's data
        /// folder). `DATABASE_URL` / general_settings.database_url take PostgreSQL URLs.
        #[arg(long)]
        db: Option<PathBuf>,
        /// Log lines as JSON objects.
        #[arg(long)]
        json_logs: bool,
    },
    /// Validate a config.yaml and list its models, without serving.
    CheckConfig {
        #[arg(long)]
        config: PathBuf,
    },
    /// Amazon Bedrock AgentCore: credential providers, harnesses, doctor, wiring, playground
    /// (talks to a running gateway's admin API).
    Agentcore(switchboard_cli::agentcore::AgentCoreCli),
    /// Deploy the gateway to AWS (ECS Fargate + ALB + RDS, CloudFormation): up, status, follow,
    /// down, connection, validate, render, template.
    Deploy {
        #[command(subcommand)]
        command: switchboard_deploy::cli::DeployCommand,
    },
}

/// A config.yaml handed over base64-encoded (`SWITCHBOARD_CONFIG_B64`).
fn inline_config(encoded: &str) -> Result<(Config, Vec<String>), switchboard::config::ConfigError> {
    use base64::Engine;
    let source = "SWITCHBOARD_CONFIG_B64";
    let fail = |problem: String| switchboard::config::ConfigError {
        source_name: Some(source.into()),
        problems: vec![problem],
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|e| fail(format!("not base64: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| fail("the decoded config is not UTF-8 text".into()))?;
    Config::parse(&text).map_err(|mut e| {
        e.source_name = Some(source.into());
        e
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Agentcore(args) = cli.command {
        return agentcore(args);
    }
    if let Command::Deploy { command } = cli.command {
        return deploy(command);
    }
    let (config_path, config_b64, json_logs) = match &cli.command {
        Command::Serve { config, config_b64, json_logs, .. } => {
            (config.clone(), config_b64.as_deref().filter(|b| !b.trim().is_empty()), *json_logs)
        }
        Command::CheckConfig { config } => (Some(config.clone()), None, false),
        Command::Agentcore(_) | Command::Deploy { .. } => (None, None, false),
    };
    init_logging(json_logs);

    // Without a file, the environment (LITELLM_MASTER_KEY, DATABASE_URL) still applies.
    let parsed = match (config_b64, config_path.as_deref()) {
        (Some(encoded), _) => inline_config(encoded),
        (None, Some(path)) => Config::load_report(path),
        (None, None) => Config::parse(""),
    };
    let (mut config, problems) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if !problems.is_empty() {
        let source = match config_b64 {
            Some(_) => Some("SWITCHBOARD_CONFIG_B64".to_string()),
            None => config_path.map(|p| p.display().to_string()),
        };
        return report_problems(&config, problems, source);
    }
    if let Command::Serve { db: Some(path), .. } = &cli.command {
        config.general.database_url = Some(switchboard::store::sqlite_url(path).into());
    }
    let on_loopback = matches!(&cli.command, Command::Serve { host, .. } if host.is_loopback());
    if on_loopback && config.general.master_key.is_none() {
        // Nobody gets in without a key, also on a laptop: any web page could otherwise drive
        // the admin API of 127.0.0.1:4000. Make one, once, and tell where it is. (On a network
        // address the operator chooses the key: one made inside a container nobody could read,
        // so the server refuses to start instead.)
        let path = switchboard::master_key::default_key_file();
        match switchboard::master_key::load_or_create(&path) {
            Ok((key, created)) => {
                let how = if created { "made one" } else { "using the one made earlier" };
                eprintln!(
                    "No master key configured (general_settings.master_key or LITELLM_MASTER_KEY): {how}, kept in {} \
                     (readable by you only). Clients send it as `Authorization: Bearer $(cat {})`.",
                    path.display(),
                    path.display()
                );
                config.general.master_key = Some(key);
            }
            Err(e) => {
                eprintln!("error: no master key configured, and none could be made: {e}");
                return ExitCode::from(2);
            }
        }
    }
    // A network address without a key is refused before the port is taken: a configuration
    // error says so whatever else holds the port.
    if matches!(cli.command, Command::Serve { .. }) && config.general.master_key.is_none() {
        eprintln!("error: {}", switchboard::server::StartError::NoMasterKey);
        return ExitCode::from(2);
    }
    // SAFETY: no other thread exists yet; the runtime is built below.
    unsafe { config.apply_environment() };

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { host, port, .. } => {
                switchboard::server::serve_until(config, SocketAddr::new(host, port), shutdown_signal()).await
            }
            Command::CheckConfig { .. } => {
                let gateway =
                    switchboard::gateway::Gateway::build(&config, Default::default(), None, Vec::new()).await?;
                for warning in &config.warnings {
                    println!("warning: {warning}");
                }
                for d in gateway.deployments() {
                    println!("{}\t{}\t{}", d.entry.model_name, d.entry.model, d.entry.id);
                }
                println!(
                    "ok: {} deployments, {} model names",
                    gateway.deployments().len(),
                    gateway.model_names().len()
                );
                Ok(())
            }
            Command::Agentcore(_) | Command::Deploy { .. } => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// One report with every mistake in the file, the providers' included, rather than one per
/// restart.
/// `source`: where the config came from (a file's path, or the environment variable).
fn report_problems(config: &Config, mut problems: Vec<String>, source: Option<String>) -> ExitCode {
    // SAFETY: no other thread exists yet (the providers read the file's environment_variables).
    unsafe { config.apply_environment() };
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => problems.extend(rt.block_on(switchboard::gateway::Gateway::provider_problems(config))),
        Err(e) => problems.push(format!("(the providers were not checked: cannot start the async runtime: {e})")),
    }
    let report = switchboard::config::ConfigError { source_name: source, problems };
    eprintln!("error: {report}");
    ExitCode::from(2)
}

fn agentcore(args: switchboard_cli::agentcore::AgentCoreCli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    match runtime.block_on(switchboard_cli::agentcore::run(args, &mut stdout)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn deploy(command: switchboard_deploy::cli::DeployCommand) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(switchboard_deploy::cli::run(command)),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(json: bool) {
    switchboard::logs::init(json);
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
