//! steepest's gradient aggregates on an Apache Ballista cluster.
//!
//! Ballista runs DataFusion plans on many machines, but its stock scheduler and executors
//! know only DataFusion's built-in functions. This crate's binaries, `steepest-scheduler` and
//! `steepest-executor`, are Ballista's own processes with [`LogicalCodec`] and
//! [`PhysicalCodec`] installed, which carry `steepest_gradient` and `steepest_gradient_by`
//! (with their models) across the cluster. A client connects with [`remote`] and fits with
//! `steepest-datafusion`'s drivers, each pass one distributed aggregate query:
//!
//! ```no_run
//! use datafusion::prelude::ParquetReadOptions;
//! use steepest::regression::Regression;
//! use steepest_datafusion::{Features, fit_regression};
//! # #[tokio::main]
//! # async fn main() -> datafusion::error::Result<()> {
//! let ctx = steepest_ballista::remote("df://scheduler-host:50050").await?;
//! let df = ctx.read_parquet("/data/train/", ParquetReadOptions::default()).await?;
//! let features = ["x0", "x1", "x2"];
//! let (w, b, report) =
//!     fit_regression(&df, Features::Columns(&features), "y", Regression::default(), |_| {
//!         steepest::Control::Continue
//!     })
//!     .await?;
//! println!("w = {w:?}, b = {b} in {} epochs", report.epochs);
//! # Ok(())
//! # }
//! ```
//!
//! The files must be at the same path on every executor (a shared file system or an object
//! store). Partitions' sums are merged in an order the engine does not fix, so a fit on the
//! cluster agrees with a single-node fit within the kernels' error bound, not bit for bit.

mod cluster;
mod codec;

pub use cluster::{executor_config, remote, scheduler_config, session_config};
pub use codec::{LogicalCodec, PhysicalCodec};
