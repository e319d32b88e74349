//! `fake-upstreams`: runs the fake OpenAI, Bedrock and AgentCore upstreams on 127.0.0.1.
//!
//! Prints one line of JSON (`{"openai":"http://127.0.0.1:P/v1","bedrock":"http://127.0.0.1:Q",
//! "agentcore_control":"http://127.0.0.1:R","agentcore_runtime":"http://127.0.0.1:S",
//! "anthropic":"http://127.0.0.1:T"}`)
//! and runs until SIGTERM/SIGINT or until stdin reaches EOF, so that a parent
//! test process that dies takes the fakes down with it.

use std::io::{Read as _, Write as _};
use std::net::SocketAddr;

use clap::Parser;
use switchboard_fakes::agentcore::FakeAgentCore;
use switchboard_fakes::anthropic::FakeAnthropic;
use switchboard_fakes::bedrock::FakeBedrock;
use switchboard_fakes::openai::FakeOpenAi;

#[derive(Parser, Debug)]
#[command(name = "fake-upstreams", about = "Fake OpenAI, Bedrock Runtime and AgentCore upstreams")]
struct Args {
    /// Port for the fake OpenAI API (0 picks a free port).
    #[arg(long, default_value_t = 0)]
    openai_port: u16,
    /// Port for the fake Bedrock Runtime API (0 picks a free port).
    #[arg(long, default_value_t = 0)]
    bedrock_port: u16,
    /// Keep running when stdin reaches EOF (stop only on SIGTERM/SIGINT).
    #[arg(long)]
    ignore_stdin: bool,
    /// Secrets Manager endpoint where AgentCore reads the secrets credential providers name
    /// (moto_server's, in the tests).
    #[arg(long)]
    secrets_manager: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    let openai = FakeOpenAi::start_on(SocketAddr::from(([127, 0, 0, 1], args.openai_port))).await?;
    let bedrock = FakeBedrock::start_on(SocketAddr::from(([127, 0, 0, 1], args.bedrock_port))).await?;
    let agentcore = FakeAgentCore::start().await?;
    if let Some(url) = &args.secrets_manager {
        agentcore.use_secrets_manager(url);
    }
    let anthropic = FakeAnthropic::start().await?;

    {
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "{{\"openai\":\"{}\",\"bedrock\":\"{}\",\"agentcore_control\":\"{}\",\"agentcore_runtime\":\"{}\",\"anthropic\":\"{}\"}}",
            openai.base_url(),
            bedrock.endpoint_url(),
            agentcore.control_endpoint_url(),
            agentcore.runtime_endpoint_url(),
            anthropic.base_url()
        )?;
        stdout.flush()?;
    }

    // Watch stdin on a plain thread (tokio's stdin needs an extra feature).
    let (stdin_closed_tx, stdin_closed) = tokio::sync::oneshot::channel::<()>();
    if !args.ignore_stdin {
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buffer = [0_u8; 1024];
            while let Ok(n) = stdin.read(&mut buffer) {
                if n == 0 {
                    break;
                }
            }
            let _ = stdin_closed_tx.send(());
        });
    }
    let stdin_closed = async {
        // If the sender is dropped without sending (ignore_stdin), wait forever.
        if stdin_closed.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = stdin_closed => {}
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    drop(openai);
    drop(bedrock);
    drop(agentcore);
    // The stdin thread may still be blocked in read(): exit directly.
    std::process::exit(0);
}
