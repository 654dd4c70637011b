//! `steepest::regression::Regression` over a `DataFrame`: standardised, with the automatic
//! rate, each pass one aggregate query.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::prelude::{Expr, cast, ident, lit};
use steepest::regression::{Regression, RegressionReport};
use steepest::stats::Moments;
use steepest::{Control, Epoch, Passes, Sums};
use tokio::runtime::Handle;

use crate::fit::{Features, pass};
use crate::moments::{MomentsUdaf, NAME_MOMENTS, unflatten};
use crate::udaf::NAME;

/// The features' moments (count, mean, `Σ (x − mean)²`) by one aggregate query
/// ([`MomentsUdaf`]): for a fixed partitioning, the same bits every run.
///
/// # Errors
/// The query's: a missing or non-`Float32` column, nulls.
///
/// # Example
/// ```
/// use datafusion::prelude::*;
/// use steepest_datafusion::{Features, moments};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> datafusion::error::Result<()> {
/// let ctx = SessionContext::new();
/// let df = ctx.sql("SELECT CAST(column1 AS FLOAT) AS x FROM (VALUES (1), (2), (3))").await?;
/// let m = moments(&df, Features::Columns(&["x"])).await?;
/// assert_eq!((m[0].count, m[0].mean, m[0].m2), (3.0, 2.0, 2.0));
/// # Ok(())
/// # }
/// ```
pub async fn moments(df: &DataFrame, features: Features<'_>) -> Result<Vec<Moments>> {
    let Features::Columns(names) = features else {
        return Err(DataFusionError::NotImplemented(format!(
            "{NAME}: feature statistics of a FixedSizeList column; give the columns"
        )));
    };
    let args = names.iter().map(|n| ident(*n)).collect();
    let call = MomentsUdaf::new().into_udaf().call(args);
    let batches = df.clone().aggregate(vec![], vec![call])?.collect().await?;
    let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Err(DataFusionError::Execution(format!("{NAME}: no rows")));
    };
    let Some(list) = b.column(0).as_list_opt::<i32>() else {
        return Err(DataFusionError::Execution(format!(
            "{NAME_MOMENTS}: the result is {}, not its list",
            b.column(0).data_type()
        )));
    };
    let values = list.value(0);
    let values = values.as_primitive::<Float64Type>().values();
    Ok(unflatten(values))
}

/// The passes of a fit, each an aggregate query run from a blocking thread.
pub(crate) struct Engine {
    handle: Handle,
    df: DataFrame,
    features: Owned,
    target: String,
    n: usize,
    /// The engine's error that ended the fit, if one did: reported instead of the driver's.
    failed: Option<DataFusionError>,
}

/// [`Features`] with owned names, for the blocking thread.
#[derive(Clone)]
enum Owned {
    Columns(Vec<String>),
    Rows(String, usize),
}

impl Owned {
    fn of(f: Features<'_>) -> Owned {
        match f {
            Features::Columns(c) => Owned::Columns(c.iter().map(|s| s.to_string()).collect()),
            Features::Rows(n, d) => Owned::Rows(n.to_string(), d),
        }
    }

    fn run<T>(&self, f: impl FnOnce(Features<'_>) -> T) -> T {
        match self {
            Owned::Columns(c) => {
                let refs: Vec<&str> = c.iter().map(String::as_str).collect();
                f(Features::Columns(&refs))
            }
            Owned::Rows(n, d) => f(Features::Rows(n, *d)),
        }
    }
}

impl Engine {
    /// The passes over `df` for a fit of `n` rows, run on the current runtime.
    pub(crate) fn new(df: &DataFrame, features: Features<'_>, target: &str, n: usize) -> Engine {
        Engine {
            handle: Handle::current(),
            df: df.clone(),
            features: Owned::of(features),
            target: target.to_string(),
            n,
            failed: None,
        }
    }

    /// Runs a driver over these passes on a blocking thread; the engine's error, if one ended
    /// it, is reported instead of the driver's.
    pub(crate) async fn run<T: Send + 'static>(
        mut self,
        driver: impl FnOnce(&mut Engine) -> Result<T, steepest::Error> + Send + 'static,
    ) -> Result<T> {
        let task = tokio::task::spawn_blocking(move || {
            let r = driver(&mut self);
            match (r, self.failed) {
                (_, Some(e)) => Err(e),
                (Ok(t), None) => Ok(t),
                (Err(e), None) => Err(DataFusionError::Execution(format!("{NAME}: {e}"))),
            }
        });
        task.await
            .map_err(|e| DataFusionError::Execution(format!("{NAME}: {e}")))?
    }

    /// Keeps the engine's error (the fit reports it) and gives the driver one that stops it.
    fn fail(&mut self, e: DataFusionError) -> steepest::Error {
        self.failed = Some(e);
        steepest::Error::NonFinite(steepest::What::Loss)
    }
}

impl Passes for Engine {
    fn n(&self) -> usize {
        self.n
    }

    fn d(&self) -> usize {
        self.features.run(|f| f.d())
    }

    fn pass(&mut self, w: &[f32], b: f32, grad: &mut [f64]) -> Result<Sums, steepest::Error> {
        let (df, target) = (&self.df, &self.target);
        let out = self
            .features
            .run(|f| self.handle.block_on(pass(df, f, target, w, b)));
        let (sums, g) = out.map_err(|e| self.fail(e))?;
        for (t, v) in grad.iter_mut().zip(&g) {
            *t = *v;
        }
        Ok(sums)
    }

    fn magnitudes(&mut self) -> Result<(f64, f64), steepest::Error> {
        let sq = |e: Expr| {
            let e = cast(e, DataType::Float64);
            sum(e.clone() * e)
        };
        let xs: Vec<Expr> = match &self.features {
            Owned::Columns(c) => c.iter().map(|n| sq(ident(n))).collect(),
            Owned::Rows(..) => vec![lit(f64::INFINITY)],
        };
        let mut exprs = vec![sq(ident(&self.target))];
        exprs.extend(xs);
        let df = self.df.clone();
        let batches = self
            .handle
            .block_on(async move { df.aggregate(vec![], exprs)?.collect().await })
            .map_err(|e| self.fail(e))?;
        let b = batches.iter().find(|b| b.num_rows() > 0);
        let at = |k: usize| {
            b.map_or(f64::INFINITY, |b| {
                b.column(k).as_primitive::<Float64Type>().value(0)
            })
        };
        let xx = (1..b.map_or(1, |b| b.num_columns())).map(at).sum();
        Ok((at(0), xx))
    }
}

/// [`Regression::fit_passes`] over a `DataFrame`: the features' moments by one aggregate
/// query, then the in-memory driver itself (standardisation, automatic rate, convergence
/// tests, divergence test, observer and report), each of its passes one aggregate query. The
/// driver runs on a blocking thread (`spawn_blocking`), so `observer` must be `Send`. Returns
/// the model in original units and the report. The moments ([`moments`]) and the passes merge
/// partitions in a fixed order, so a fixed partitioning gives the same fit every run.
///
/// # Errors
/// The queries' errors; the driver's ([`steepest::Error`]) as execution errors.
///
/// # Example
/// ```
/// use datafusion::prelude::*;
/// use steepest::{Control, regression::Regression};
/// use steepest_datafusion::{Features, fit_regression};
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
/// # async fn main() -> datafusion::error::Result<()> {
/// let ctx = SessionContext::new();
/// let df = ctx.sql("SELECT CAST(column1 * 100 AS FLOAT) AS x, CAST(2 * column1 + 5 AS FLOAT) AS y \
///                   FROM (VALUES (1), (2), (3), (4), (5))").await?;
/// let (w, b, report) = fit_regression(&df, Features::Columns(&["x"]), "y",
///     Regression::default(), |_| Control::Continue).await?;
/// assert!((w[0] - 0.02).abs() < 1e-5 && (b - 5.0).abs() < 1e-3, "{w:?} {b}"); // unscaled x
/// # Ok(())
/// # }
/// ```
pub async fn fit_regression(
    df: &DataFrame,
    features: Features<'_>,
    target: &str,
    regression: Regression,
    observer: impl FnMut(&Epoch<'_>) -> Control + Send + 'static,
) -> Result<(Vec<f32>, f32, RegressionReport)> {
    let d = features.d();
    let stats = if regression.standardize {
        moments(df, features).await?
    } else {
        Vec::new()
    };
    let n = match stats.first() {
        Some(m) => m.count as usize,
        None => df.clone().count().await?,
    };
    Engine::new(df, features, target, n)
        .run(move |engine| {
            let (mut w, mut b, mut work) = (vec![0.0f32; d], 0.0f32, vec![0.0f64; 4 * d]);
            let report =
                regression.fit_passes(engine, &stats, &mut w, &mut b, &mut work, observer)?;
            Ok((w, b, report))
        })
        .await
}
