//! `steepest_gradient` through DataFusion against the in-memory kernels: the same bits for one
//! partition of whole runs, the kernels' bound for several; nulls, types and shapes refused
//! with messages that name them; `fit` against `GradientDescent::fit_with`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, FixedSizeListArray, Float32Array, Float64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::*;
use steepest::kernels::{bound, simd};
use steepest::{ColSlices, Control, GradientDescent, RowMajor, Sums};
use steepest_datafusion::{Features, GradientUdaf, fit, pass, sums_of};

/// Deterministic values in [-1, 1) without a generator dependency.
fn value(k: usize) -> f32 {
    let h = (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    h as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
}

struct Data {
    n: usize,
    d: usize,
    cols: Vec<Vec<f32>>,
    y: Vec<f32>,
}

impl Data {
    fn new(n: usize, d: usize) -> Data {
        let cols: Vec<Vec<f32>> = (0..d)
            .map(|j| {
                (0..n)
                    .map(|i| value(i * d + j) * (1.0 + j as f32))
                    .collect()
            })
            .collect();
        let y = (0..n)
            .map(|i| (0..d).map(|j| cols[j][i] * 0.5).sum::<f32>() + 0.1 * value(n * d + i))
            .collect();
        Data { n, d, cols, y }
    }

    fn names(&self) -> Vec<String> {
        (0..self.d).map(|j| format!("x{j}")).collect()
    }

    /// The rows `lo..hi` as a batch of `d` feature columns and `y`.
    fn batch(&self, lo: usize, hi: usize) -> RecordBatch {
        let mut cols: Vec<(String, ArrayRef)> = self
            .names()
            .into_iter()
            .zip(&self.cols)
            .map(|(name, c)| {
                (
                    name,
                    Arc::new(Float32Array::from(c[lo..hi].to_vec())) as ArrayRef,
                )
            })
            .collect();
        cols.push((
            "y".into(),
            Arc::new(Float32Array::from(self.y[lo..hi].to_vec())),
        ));
        RecordBatch::try_from_iter(cols).unwrap()
    }

    /// A table of `parts` partitions of batches of at most `batch` rows, in row order.
    fn table(&self, parts: usize, batch: usize) -> MemTable {
        let per = self.n.div_ceil(parts);
        let partitions = (0..parts)
            .map(|p| {
                let (lo, hi) = (p * per, self.n.min(p * per + per));
                (lo..hi)
                    .step_by(batch)
                    .map(|s| self.batch(s, hi.min(s + batch)))
                    .collect()
            })
            .collect();
        MemTable::try_new(self.batch(0, 1).schema(), partitions).unwrap()
    }

    fn in_memory(&self, w: &[f32], b: f32) -> (Sums, Vec<f64>, bound::Tolerance, Vec<f64>) {
        let refs: Vec<&[f32]> = self.cols.iter().map(Vec::as_slice).collect();
        let view = ColSlices::new(&refs, &self.y).unwrap();
        let mut g = vec![0.0; self.d];
        let s = simd::gradient_col_slices(&view, w, b, &mut g).unwrap();
        // The bound is stated for a Dataset: the same values row-major.
        let x: Vec<f32> = (0..self.n)
            .flat_map(|i| self.cols.iter().map(move |c| c[i]))
            .collect();
        let rm = RowMajor::new(&x, &self.y, self.n, self.d).unwrap();
        let mut tol = vec![0.0; self.d];
        let t = bound::tolerance(&rm.into(), w, b, &mut tol).unwrap();
        (s, g, t, tol)
    }
}

fn ctx(partitions: usize) -> SessionContext {
    SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions))
}

fn bits(s: &Sums, g: &[f64]) -> (usize, u64, u64, Vec<u64>) {
    (
        s.rows,
        s.loss.to_bits(),
        s.bias.to_bits(),
        g.iter().map(|v| v.to_bits()).collect(),
    )
}

#[tokio::test]
async fn one_partition_of_whole_runs_has_the_in_memory_bits() {
    for d in [1, 5, 8, 13] {
        let data = Data::new(50_005, d);
        let w: Vec<f32> = (0..d).map(|j| 0.1 * j as f32 - 0.2).collect();
        let ctx = ctx(1);
        ctx.register_table("t", Arc::new(data.table(1, 8192)))
            .unwrap();
        let names = data.names();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let df = ctx.table("t").await.unwrap();
        let (s, g) = pass(&df, Features::Columns(&refs), "y", &w, 0.25)
            .await
            .unwrap();
        let (s0, g0, _, _) = data.in_memory(&w, 0.25);
        assert_eq!(bits(&s, &g), bits(&s0, &g0), "d = {d}");
    }
}

/// Each partition's sums are within the bound of the exact sums over its rows, and the
/// bound is a sum over rows, so the merged sums are within the whole data's bound of the
/// exact ones, as is the in-memory pass: the two differ by at most twice the bound.
#[tokio::test]
async fn several_partitions_agree_within_the_bound() {
    let d = 17;
    let data = Data::new(40_000, d);
    let w: Vec<f32> = (0..d).map(|j| 0.05 * j as f32).collect();
    let (s0, g0, t, tol) = data.in_memory(&w, -0.5);
    for parts in [2, 3, 4] {
        let ctx = ctx(parts);
        ctx.register_table("t", Arc::new(data.table(parts, 4096)))
            .unwrap();
        let args: Vec<String> = data.names().into_iter().chain(["y".into()]).collect();
        let sql = format!("SELECT steepest_gradient({}) FROM t", args.join(", "));
        ctx.register_udaf(GradientUdaf::new(w.clone(), -0.5).into_udaf());
        let out = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        let (s, g) = sums_of(&out).unwrap();
        assert_eq!(s.rows, data.n);
        assert!(
            (s.loss - s0.loss).abs() <= 2.0 * t.loss,
            "{parts} partitions: loss"
        );
        assert!(
            (s.bias - s0.bias).abs() <= 2.0 * t.bias,
            "{parts} partitions: bias"
        );
        for j in 0..d {
            assert!(
                (g[j] - g0[j]).abs() <= 2.0 * tol[j],
                "{parts} partitions: gradient {j}"
            );
        }
    }
}

#[tokio::test]
async fn rows_of_a_fixed_size_list_are_row_major() {
    let (n, d) = (10_003, 6);
    let data = Data::new(n, d);
    let x: Vec<f32> = (0..n)
        .flat_map(|i| data.cols.iter().map(move |c| c[i]))
        .collect();
    let item = Arc::new(Field::new_list_field(DataType::Float32, false));
    let xs = FixedSizeListArray::try_new(
        item,
        d as i32,
        Arc::new(Float32Array::from(x.clone())),
        None,
    )
    .unwrap();
    let batch = RecordBatch::try_from_iter([
        ("xs", Arc::new(xs) as ArrayRef),
        (
            "y",
            Arc::new(Float32Array::from(data.y.clone())) as ArrayRef,
        ),
    ])
    .unwrap();
    let w = vec![0.3f32; d];
    let df = ctx(1).read_batch(batch).unwrap();
    let (s, g) = pass(&df, Features::Rows("xs", d), "y", &w, 0.0)
        .await
        .unwrap();
    // DataFusion may cut the batch (into its batch size): each piece's pass, added up, is
    // within the whole data's bound of the exact sums, as the one pass is.
    let (s0, g0, t, tol) = data.in_memory(&w, 0.0);
    assert_eq!(s.rows, n);
    assert!((s.loss - s0.loss).abs() <= 2.0 * t.loss);
    assert!((s.bias - s0.bias).abs() <= 2.0 * t.bias);
    for j in 0..d {
        assert!((g[j] - g0[j]).abs() <= 2.0 * tol[j], "gradient {j}");
    }
}

async fn error_of(ctx: &SessionContext, sql: &str) -> String {
    match ctx.sql(sql).await {
        Err(e) => e.to_string(),
        Ok(df) => df.collect().await.unwrap_err().to_string(),
    }
}

#[tokio::test]
async fn nulls_types_and_shapes_are_refused_by_name() {
    let schema = Arc::new(Schema::new(vec![
        Field::new("temp", DataType::Float32, true),
        Field::new("wide", DataType::Float64, false),
        Field::new("y", DataType::Float32, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Float32Array::from(vec![Some(1.0), None, Some(3.0)])),
            Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])),
            Arc::new(Float32Array::from(vec![1.0, 2.0, 3.0])),
        ],
    )
    .unwrap();
    let ctx = ctx(1);
    ctx.register_batch("t", batch).unwrap();
    ctx.register_udaf(GradientUdaf::new(vec![0.0], 0.0).into_udaf());
    let e = error_of(&ctx, "SELECT steepest_gradient(temp, y) FROM t").await;
    assert!(e.contains("'temp'") && e.contains("nulls"), "{e}");
    let e = error_of(&ctx, "SELECT steepest_gradient(wide, y) FROM t").await;
    assert!(e.contains("Float64") && e.contains("CAST"), "{e}");
    let ok = "SELECT steepest_gradient(CAST(wide AS FLOAT), y) FROM t";
    assert!(ctx.sql(ok).await.unwrap().collect().await.is_ok());
    let e = error_of(&ctx, "SELECT steepest_gradient(y) FROM t").await;
    assert!(e.contains("1 features"), "{e}");
}

/// The same sums give the same step: with one partition of whole runs, a fit through
/// DataFusion is the in-memory fit, epoch by epoch, bit for bit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fit_is_the_in_memory_fit() {
    let data = Data::new(20_000, 3);
    let ctx = ctx(1);
    ctx.register_table("t", Arc::new(data.table(1, 8192)))
        .unwrap();
    let df = ctx.table("t").await.unwrap();
    let gd = GradientDescent {
        learning_rate: 0.05,
        max_epochs: 30,
        tolerance: None,
    };
    let (mut w, mut b) = (vec![0.0f32; 3], 0.0f32);
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let report = fit(
        &df,
        Features::Columns(&["x0", "x1", "x2"]),
        "y",
        &gd,
        &mut w,
        &mut b,
        move |e| {
            log.lock().unwrap().push((e.loss.to_bits(), e.b.to_bits()));
            Control::Continue
        },
    )
    .await
    .unwrap();
    let seen = seen.lock().unwrap().clone();
    let x: Vec<f32> = data.cols.concat();
    let cm = steepest::ColMajor::new(&x, &data.y, data.n, 3, data.n).unwrap();
    let (mut w0, mut b0, mut g0) = (vec![0.0f32; 3], 0.0f32, vec![0.0f64; 3]);
    let mut want = Vec::new();
    let r0 = gd
        .fit_with(&cm.into(), &mut w0, &mut b0, &mut g0, |e| {
            want.push((e.loss.to_bits(), e.b.to_bits()));
            Control::Continue
        })
        .unwrap();
    assert_eq!(seen, want);
    assert_eq!((w, b, report.epochs), (w0, b0, r0.epochs));
    assert_eq!(report.loss.to_bits(), r0.loss.to_bits());
}

/// `fit_regression` on unscaled data reaches the least-squares loss as the in-memory
/// `Regression` does: within 1e-6 relative (the stopping rule) plus the f32 model's own
/// rounding bound (derived in the core crate's `the_default_fit_reaches_least_squares`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fit_regression_reaches_least_squares_on_unscaled_data() {
    use steepest::Dataset;
    use steepest::kernels::reference;
    use steepest::regression::Regression;
    let (n, d) = (30_000, 3);
    // Features on very different scales and offsets, as real data have them.
    let scale = [1000.0f32, 0.01, 50.0];
    let shift = [2000.0f32, -3.0, 10.0];
    let mut data = Data::new(n, d);
    for (j, c) in data.cols.iter_mut().enumerate() {
        c.iter_mut().for_each(|v| *v = *v * scale[j] + shift[j]);
    }
    data.y = (0..n)
        .map(|i| {
            data.cols[0][i] * 0.003 - data.cols[1][i] * 40.0
                + data.cols[2][i] * 0.2
                + 7.0
                + 0.05 * value(7 * n + i)
        })
        .collect();
    let ctx = ctx(2);
    ctx.register_table("t", Arc::new(data.table(2, 8192)))
        .unwrap();
    let df = ctx.table("t").await.unwrap();
    let fit = || {
        steepest_datafusion::fit_regression(
            &df,
            Features::Columns(&["x0", "x1", "x2"]),
            "y",
            Regression::default(),
            |_| Control::Continue,
        )
    };
    let (w, b, report) = fit().await.unwrap();
    assert_eq!(report.reason, steepest::StopReason::Converged);
    // The same partitioning again: every aggregate merges in a fixed order, so the same fit.
    let (w2, b2, report2) = fit().await.unwrap();
    let wbits = |w: &[f32]| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        (wbits(&w2), b2.to_bits(), report2.epochs),
        (wbits(&w), b.to_bits(), report.epochs)
    );
    let x: Vec<f32> = (0..n)
        .flat_map(|i| data.cols.iter().map(move |c| c[i]))
        .collect();
    let rm: Dataset = RowMajor::new(&x, &data.y, n, d).unwrap().into();
    let (mut wl, mut scratch) = (vec![0.0f64; d], vec![0.0f64; (d + 1) * (d + 2)]);
    let bl = reference::least_squares(&rm, &mut wl, &mut scratch).unwrap();
    let mse = |w: &[f64], b: f64| {
        (0..n)
            .map(|i| {
                let p: f64 = (0..d).map(|j| f64::from(x[i * d + j]) * w[j]).sum::<f64>() + b;
                (p - f64::from(data.y[i])).powi(2)
            })
            .sum::<f64>()
            / n as f64
    };
    let best = mse(&wl, bl);
    let wf: Vec<f64> = w.iter().map(|&v| f64::from(v)).collect();
    let got = mse(&wf, f64::from(b));
    let a_max = (0..n)
        .map(|i| {
            bl.abs()
                + (0..d)
                    .map(|j| (f64::from(x[i * d + j]) * wl[j]).abs())
                    .sum::<f64>()
        })
        .fold(0.0, f64::max);
    let eps = 4.0 * f64::from(f32::EPSILON) / 2.0 * a_max;
    let allowed = 1e-6 * best + 2.0 * best.sqrt() * eps + eps * eps;
    assert!(got - best <= allowed, "{got} vs {best} (allowed {allowed})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fit_regression_reports_the_engines_error() {
    let data = Data::new(100, 2);
    let ctx = ctx(1);
    ctx.register_table("t", Arc::new(data.table(1, 64)))
        .unwrap();
    let df = ctx.table("t").await.unwrap();
    let err = steepest_datafusion::fit_regression(
        &df,
        Features::Columns(&["x0", "nope"]),
        "y",
        steepest::regression::Regression::default(),
        |_| Control::Continue,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("nope"), "{err}");
}

/// The feature statistics by `steepest_moments`: the same bits on a second run over 4
/// partitions, and the in-memory moments within the summation bound. Each of the mean and
/// `M2` is an f64 sum of at most n terms, so its error is at most n·ε₆₄ relative to the sum
/// of the terms' magnitudes (n·max|x| for the mean's sum, M2 itself for M2, whose terms are
/// squares), and each of the few merges adds a rounding of its own.
#[tokio::test]
async fn moments_repeat_and_match_memory() {
    use steepest::stats::Moments;
    use steepest_datafusion::moments;
    let data = Data::new(40_000, 5);
    let ctx = ctx(4);
    ctx.register_table("t", Arc::new(data.table(4, 4096)))
        .unwrap();
    let names = data.names();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let df = ctx.table("t").await.unwrap();
    let m = moments(&df, Features::Columns(&refs)).await.unwrap();
    let again = moments(&df, Features::Columns(&refs)).await.unwrap();
    let bits = |m: &[Moments]| {
        m.iter()
            .map(|m| (m.count.to_bits(), m.mean.to_bits(), m.m2.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&m), bits(&again));
    let rel = 2.0 * data.n as f64 * f64::EPSILON;
    for (j, (got, col)) in m.iter().zip(&data.cols).enumerate() {
        let want = Moments::of(col);
        let max = col.iter().fold(0.0f64, |a, &v| a.max(f64::from(v).abs()));
        assert_eq!(got.count, want.count, "column {j}");
        assert!(
            (got.mean - want.mean).abs() <= rel * max,
            "column {j}: mean"
        );
        assert!((got.m2 - want.m2).abs() <= rel * want.m2, "column {j}: m2");
    }
}
