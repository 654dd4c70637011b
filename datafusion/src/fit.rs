//! Gradient descent over a `DataFrame`: one aggregate query per epoch.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, UInt64Type};
use datafusion::common::{Result, exec_err};
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::prelude::{Expr, ident};
use steepest::{Control, Epoch, GradientDescent, Report, Sums};

use crate::regression::Engine;
use crate::udaf::{GradientUdaf, NAME};

/// The sums of one `steepest_gradient` result: the first row of the first column of
/// `batches`.
///
/// # Errors
/// If there is no such value or it is not the aggregate's struct.
///
/// # Example
/// ```
/// use datafusion::prelude::*;
/// use steepest_datafusion::{GradientUdaf, sums_of};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> datafusion::error::Result<()> {
/// let ctx = SessionContext::new();
/// let df = ctx.read_batch(datafusion::arrow::record_batch::RecordBatch::try_from_iter([
///     ("x", std::sync::Arc::new(datafusion::arrow::array::Float32Array::from(vec![1.0f32, 2.0])) as _),
///     ("y", std::sync::Arc::new(datafusion::arrow::array::Float32Array::from(vec![3.0f32, 5.0])) as _),
/// ])?)?;
/// let g = GradientUdaf::new(vec![2.0], 1.0).into_udaf().call(vec![col("x"), col("y")]);
/// let (sums, grad) = sums_of(&df.aggregate(vec![], vec![g])?.collect().await?)?;
/// assert_eq!((sums.rows, sums.loss, grad), (2, 0.0, vec![0.0])); // y = 2x + 1 exactly
/// # Ok(())
/// # }
/// ```
pub fn sums_of(batches: &[RecordBatch]) -> Result<(Sums, Vec<f64>)> {
    let Some(column) = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .map(|b| b.column(0))
    else {
        return exec_err!("{NAME}: no result row");
    };
    let Some(s) = column.as_struct_opt() else {
        return exec_err!(
            "{NAME}: the result is {}, not its struct",
            column.data_type()
        );
    };
    let field = |name: &str| {
        s.column_by_name(name)
            .ok_or_else(|| DataFusionError::Execution(format!("{NAME}: no field '{name}'")))
    };
    let rows = field("rows")?.as_primitive::<UInt64Type>().value(0);
    let loss = field("loss")?.as_primitive::<Float64Type>().value(0);
    let bias = field("bias")?.as_primitive::<Float64Type>().value(0);
    let grad = field("gradient")?.as_list::<i32>().value(0);
    let grad = grad.as_primitive::<Float64Type>().values().to_vec();
    let rows = usize::try_from(rows).unwrap_or(usize::MAX);
    Ok((Sums { rows, loss, bias }, grad))
}

/// Where the features are in a table: `d` `Float32` columns, or one `FixedSizeList<Float32,
/// d>` column of rows.
#[derive(Debug, Clone, Copy)]
pub enum Features<'a> {
    /// One column per feature, by name.
    Columns(&'a [&'a str]),
    /// One column of rows of `d` values.
    Rows(&'a str, usize),
}

impl Features<'_> {
    /// The number of features.
    ///
    /// # Example
    /// ```
    /// use steepest_datafusion::Features;
    /// assert_eq!(Features::Columns(&["a", "b"]).d(), 2);
    /// assert_eq!(Features::Rows("xs", 16).d(), 16);
    /// ```
    pub fn d(&self) -> usize {
        match self {
            Features::Columns(c) => c.len(),
            Features::Rows(_, d) => *d,
        }
    }

    fn args(&self, target: &str) -> Vec<Expr> {
        let mut args: Vec<Expr> = match self {
            Features::Columns(c) => c.iter().map(|n| ident(*n)).collect(),
            Features::Rows(n, _) => vec![ident(*n)],
        };
        args.push(ident(target));
        args
    }
}

/// One fused pass of `(w, b)` over `df` as one aggregate query: the sums and the gradient.
///
/// # Errors
/// The query's errors: a missing or non-`Float32` column, nulls, a model of the wrong length,
/// non-finite sums.
///
/// # Example
/// ```
/// use datafusion::prelude::*;
/// use steepest_datafusion::{Features, pass};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> datafusion::error::Result<()> {
/// let ctx = SessionContext::new();
/// let df = ctx.sql("SELECT CAST(column1 AS FLOAT) AS x, CAST(column2 AS FLOAT) AS y \
///                   FROM (VALUES (1, 2), (2, 4))").await?;
/// let (sums, grad) = pass(&df, Features::Columns(&["x"]), "y", &[0.0], 0.0).await?;
/// assert_eq!((sums.loss, grad), (20.0, vec![-10.0]));
/// # Ok(())
/// # }
/// ```
pub async fn pass(
    df: &DataFrame,
    features: Features<'_>,
    target: &str,
    w: &[f32],
    b: f32,
) -> Result<(Sums, Vec<f64>)> {
    if w.len() != features.d() {
        return exec_err!(
            "{NAME}: a model of {} weights for {} features",
            w.len(),
            features.d()
        );
    }
    let udaf = GradientUdaf::new(w.to_vec(), b).into_udaf();
    let expr = udaf.call(features.args(target)).alias("g");
    let batches = df.clone().aggregate(vec![], vec![expr])?.collect().await?;
    sums_of(&batches)
}

/// [`GradientDescent::fit_passes`] over a `DataFrame`: the in-memory driver itself (its
/// step, divergence test, observer and report), each pass one aggregate query ([`pass`]), on
/// a blocking thread (so `observer` must be `Send`). The model starts from `w`, `b` and is
/// left there. DataFusion merges its partitions' sums in no fixed order of its own, so this
/// crate adds them in the order of their bits: the same partitioning gives the same fit; with
/// one partition and batches of whole runs it has the in-memory fit's bits.
///
/// # Errors
/// The queries' errors; the driver's ([`steepest::Error`]: a bad rate, divergence) as
/// execution errors, with `w` and `b` the model of the epoch before.
///
/// # Example
/// ```
/// use datafusion::prelude::*;
/// use steepest::{Control, GradientDescent};
/// use steepest_datafusion::{Features, fit};
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
/// # async fn main() -> datafusion::error::Result<()> {
/// let ctx = SessionContext::new();
/// let df = ctx.sql("SELECT CAST(column1 AS FLOAT) AS x, CAST(2 * column1 AS FLOAT) AS y \
///                   FROM (VALUES (1), (2), (3), (4))").await?;
/// let gd = GradientDescent { learning_rate: 0.05, max_epochs: 500, tolerance: None };
/// let (mut w, mut b) = (vec![0.0f32], 0.0f32);
/// fit(&df, Features::Columns(&["x"]), "y", &gd, &mut w, &mut b, |_| Control::Continue).await?;
/// assert!((w[0] - 2.0).abs() < 1e-3 && b.abs() < 1e-2);
/// # Ok(())
/// # }
/// ```
pub async fn fit(
    df: &DataFrame,
    features: Features<'_>,
    target: &str,
    gd: &GradientDescent,
    w: &mut [f32],
    b: &mut f32,
    observer: impl FnMut(&Epoch<'_>) -> Control + Send + 'static,
) -> Result<Report> {
    let n = df.clone().count().await?;
    let (gd, mut wv, mut bv) = (*gd, w.to_vec(), *b);
    let (report, wv, bv) = Engine::new(df, features, target, n)
        .run(move |engine| {
            let mut grad = vec![0.0f64; wv.len()];
            let r = gd.fit_passes(engine, &mut wv, &mut bv, &mut grad, observer);
            r.map(|report| (report, wv, bv))
        })
        .await?;
    w.copy_from_slice(&wv);
    *b = bv;
    Ok(report)
}
