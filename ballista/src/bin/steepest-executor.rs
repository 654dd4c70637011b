//! A Ballista executor that knows steepest's aggregates.

use std::process::ExitCode;
use std::sync::Arc;

use ballista_executor::executor_process::start_executor_process;

#[path = "../flags.rs"]
mod flags;

const USAGE: &str = "steepest-executor: a Ballista executor with steepest's aggregates

Usage: steepest-executor [--scheduler-host HOST] [--scheduler-port PORT] [--bind-host HOST]
                         [--external-host HOST] [--bind-port PORT] [--bind-grpc-port PORT]
                         [--concurrent-tasks N] [--work-dir DIR] [--memory-pool-size BYTES]

  --scheduler-host    where the scheduler runs (default localhost)
  --scheduler-port    its port (default 50050)
  --bind-host         the address to listen on (default 0.0.0.0)
  --external-host     this machine's name as the scheduler and the other executors reach it
                      (default: the scheduler sees the address the executor connects from)
  --bind-port         the Arrow Flight port other executors fetch shuffle data from
                      (default 50051)
  --bind-grpc-port    the port the scheduler sends tasks to (default 50052)
  --concurrent-tasks  tasks run at once (default: the number of cores)
  --work-dir          where shuffle files go (default: a new temporary directory)
  --memory-pool-size  the memory limit of each task's runtime, in bytes (default: a share of
                      the machine's memory)

Waits up to 60 s for the scheduler; stops on Ctrl-C or SIGTERM.";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("steepest-executor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut flags = flags::Flags::from_env(USAGE)?;
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let mut config = steepest_ballista::executor_config();
    config.scheduler_host = flags.take("scheduler-host", "localhost".to_owned())?;
    config.scheduler_port = flags.take("scheduler-port", 50050)?;
    config.bind_host = flags.take("bind-host", "0.0.0.0".to_owned())?;
    config.external_host = flags.take_opt("external-host")?;
    config.port = flags.take("bind-port", 50051)?;
    config.grpc_port = flags.take("bind-grpc-port", 50052)?;
    config.vcores = flags.take("concurrent-tasks", config.vcores)?;
    config.work_dir = flags.take_opt("work-dir")?;
    config.memory_pool_size = flags.take_opt("memory-pool-size")?;
    config.scheduler_connect_timeout_seconds = 60;
    flags.done()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    println!(
        "steepest-executor on {}:{} (scheduler {}:{})",
        config.bind_host, config.port, config.scheduler_host, config.scheduler_port
    );
    runtime
        .block_on(start_executor_process(Arc::new(config)))
        .map_err(|e| e.to_string())
}
