//! steepest's fused gradient pass inside Apache DataFusion: fit linear models over tables,
//! Parquet files and SQL queries, on all cores and out of core, with the engine doing the
//! reading and the partitioning.
//!
//! * [`GradientUdaf`]: the aggregate `steepest_gradient(x₀, …, y)` for one model. Each batch's
//!   `Float32` buffers go to the fused kernel in place (no copy); partitions merge by addition.
//! * [`GroupedGradientUdaf`] and [`fit_groups`]: one model per key, `GROUP BY key`, all
//!   groups in the same passes.
//! * [`fit_regression`]: [`steepest::regression::Regression`] over a `DataFrame`, for
//!   unscaled data: feature statistics by one query, then the in-memory driver itself
//!   (standardised, automatic rate, convergence and divergence tests), each pass a query.
//! * [`pass`] and [`fit`]: one aggregate query per epoch of plain gradient descent, with the
//!   in-memory driver's step ([`steepest::GradientDescent::step`]), observer and report.
//! * [`MomentsUdaf`] and [`moments`]: the features' statistics, merged in a fixed order.
//! * [`wire`]: the aggregates' models as bytes, for plans sent to other processes
//!   (`steepest-ballista`'s codecs).
//!
//! ```
//! use datafusion::prelude::*;
//! use steepest_datafusion::GradientUdaf;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> datafusion::error::Result<()> {
//! let ctx = SessionContext::new();
//! ctx.register_udaf(GradientUdaf::new(vec![1.0, 0.0], 0.0).into_udaf());
//! let sql = "SELECT get_field(g, 'loss') AS loss, get_field(g, 'gradient') AS gradient FROM \
//!            (SELECT steepest_gradient(CAST(a AS FLOAT), CAST(b AS FLOAT), CAST(c AS FLOAT)) AS g \
//!             FROM (VALUES (1.0, 2.0, 1.0)) AS t(a, b, c))";
//! ctx.sql(sql).await?.show().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Results: DataFusion does not fix the order in which it merges partitions' states (its
//! issue 11264). These aggregates keep the states they are given and merge them in the order
//! of their bits, so a fixed partitioning gives the same result every run; different
//! partitionings agree within the kernels' error bound, not bit for bit. One partition whose
//! batches are whole runs of the kernel (multiples of 1024 rows, the default batch size 8192
//! is) gives the in-memory pass's bits.

mod fit;
mod grouped;
mod moments;
mod regression;
mod udaf;
pub mod wire;

pub use fit::{Features, fit, pass, sums_of};
pub use grouped::{GroupModels, GroupedGradientUdaf, NAME_BY, fit_groups};
pub use moments::{MomentsUdaf, NAME_MOMENTS};
pub use regression::{fit_regression, moments};
pub use udaf::{GradientUdaf, NAME, result_type};
