//! What the benchmark's own servers (`bench-upstream`, `bench-forward`) share: where they
//! listen, said the way the orchestrator reads it, and their accept loop.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Binds `addr` and prints `listening on <addr>` on stdout once connections are accepted.
pub async fn listen(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", listener.local_addr()?)?;
    stdout.flush()?;
    Ok(listener)
}

/// Hands every connection, with Nagle's algorithm off, to `serve` (which spawns its task), for
/// as long as the process runs.
pub async fn accept_each(listener: TcpListener, mut serve: impl FnMut(TcpStream)) -> ! {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                serve(stream);
            }
            // Out of file descriptors or similar: back off briefly.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}
