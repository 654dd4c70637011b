//! A Ballista scheduler that knows steepest's aggregates.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::scheduler_process::start_server;

#[path = "../flags.rs"]
mod flags;

const USAGE: &str = "steepest-scheduler: a Ballista scheduler with steepest's aggregates

Usage: steepest-scheduler [--bind-host HOST] [--bind-port PORT] [--external-host HOST]

  --bind-host      the address to listen on (default 0.0.0.0)
  --bind-port      the port clients and executors connect to (default 50050)
  --external-host  this machine's name as the others reach it (default localhost)

Stops on Ctrl-C or SIGTERM.";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("steepest-scheduler: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut flags = flags::Flags::from_env(USAGE)?;
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let mut config = steepest_ballista::scheduler_config();
    config.bind_host = flags.take("bind-host", "0.0.0.0".to_owned())?;
    config.bind_port = flags.take("bind-port", 50050)?;
    config.external_host = flags.take("external-host", "localhost".to_owned())?;
    flags.done()?;
    let addr: SocketAddr = format!("{}:{}", config.bind_host, config.bind_port)
        .parse()
        .map_err(|e| format!("--bind-host {}: {e}", config.bind_host))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let cluster = BallistaCluster::new_from_config(&config)
            .await
            .map_err(|e| e.to_string())?;
        println!("steepest-scheduler listening on {addr}");
        tokio::select! {
            served = start_server(cluster, addr, Arc::new(config)) => served.map_err(|e| e.to_string()),
            () = stopped() => Ok(()),
        }
    })
}

/// Ctrl-C, or SIGTERM where there are signals.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    tokio::signal::ctrl_c().await.ok();
}
