//! A Parquet data set larger than the session's memory pool, fitted streaming: each pass
//! within the kernels' bound of the in-memory pass at the same model, for 1, 2 and 4 target
//! partitions, and the same bits when a pass is run again. Ten million rows by default
//! (`STEEPEST_OOC_ROWS` changes it); run in release: `cargo test --release -p
//! steepest-datafusion --test out_of_core -- --ignored`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float32Array};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::config::TableParquetOptions;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::*;
use steepest::kernels::{bound, simd};
use steepest::{ColMajor, GradientDescent, Sums};
use steepest_datafusion::{Features, pass};

const D: usize = 16;

/// A model of the in-memory fit, its pass (sums and gradient) and that pass's bound.
type Model = (Vec<f32>, f32, Sums, Vec<f64>, bound::Tolerance, Vec<f64>);
const POOL: usize = 256 << 20;

fn value(k: u64) -> f32 {
    let h = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    h as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
}

/// Parquet options for pages without a dictionary or compression.
fn plain() -> TableParquetOptions {
    let mut options = TableParquetOptions::default();
    options.global.dictionary_enabled = Some(false);
    options.global.compression = Some("uncompressed".into());
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes and reads about 700 MB of Parquet: run in release (CI does)"]
async fn a_data_set_larger_than_the_memory_pool_fits_streaming() {
    let n: usize = std::env::var("STEEPEST_OOC_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    // Column-major in one buffer (stride n), as the in-memory pass reads it.
    let x: Vec<f32> = (0..D)
        .flat_map(|j| (0..n).map(move |i| value((i * D + j) as u64) * (1.0 + j as f32 / 8.0)))
        .collect();
    let y: Vec<f32> = (0..n)
        .map(|i| {
            let p: f32 = (0..D).map(|j| 0.25 * x[j * n + i]).sum();
            p + 0.1 * value(u64::MAX / 3 + i as u64)
        })
        .collect();
    // 256 MiB, or a quarter of the data for a smaller run.
    let pool = POOL.min(n * (D + 1));
    assert!(
        n * (D + 1) * 4 > 2 * pool,
        "the data must be larger than the pool"
    );

    // Written through a session without a limit, in batches of 1 M rows, one file, its pages
    // plain and uncompressed: random floats gain nothing from a dictionary or zstd, and the
    // test's time would go to encoding them.
    let dir = std::env::temp_dir().join(format!("steepest-ooc-{}", std::process::id()));
    let batches: Vec<RecordBatch> = (0..n)
        .step_by(1 << 20)
        .map(|lo| {
            let hi = n.min(lo + (1 << 20));
            let mut cols: Vec<(String, ArrayRef)> = (0..D)
                .map(|j| {
                    let c = x[j * n + lo..j * n + hi].to_vec();
                    (format!("x{j}"), Arc::new(Float32Array::from(c)) as ArrayRef)
                })
                .collect();
            cols.push(("y".into(), Arc::new(Float32Array::from(y[lo..hi].to_vec()))));
            RecordBatch::try_from_iter(cols).unwrap()
        })
        .collect();
    let table = MemTable::try_new(batches[0].schema(), vec![batches]).unwrap();
    let path = dir.to_str().unwrap().to_string();
    SessionContext::new()
        .read_table(Arc::new(table))
        .unwrap()
        .write_parquet(&path, DataFrameWriteOptions::new(), Some(plain()))
        .await
        .unwrap();

    // The in-memory fit's models of three epochs, and each model's pass and bound.
    let data = ColMajor::new(&x, &y, n, D, n).unwrap().into();
    let gd = GradientDescent {
        learning_rate: 0.1,
        max_epochs: 1,
        tolerance: None,
    };
    let (mut w, mut b) = (vec![0.0f32; D], 0.0f32);
    let mut models: Vec<Model> = Vec::new();
    for _ in 0..3 {
        let (mut g, mut tol) = (vec![0.0; D], vec![0.0; D]);
        let s = simd::gradient(&data, &w, b, &mut g).unwrap();
        let t = bound::tolerance(&data, &w, b, &mut tol).unwrap();
        models.push((w.clone(), b, s, g.clone(), t, tol));
        gd.step(&s, &g, &mut w, &mut b).unwrap();
    }

    let names: Vec<String> = (0..D).map(|j| format!("x{j}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for partitions in [1, 2, 4] {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(pool, 1.0)
            .build_arc()
            .unwrap();
        let config = SessionConfig::new().with_target_partitions(partitions);
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        ctx.register_parquet("t", &path, ParquetReadOptions::default())
            .await
            .unwrap();
        let df = ctx.table("t").await.unwrap();
        for (k, (w, b, s0, g0, t, tol)) in models.iter().enumerate() {
            let (s, g) = pass(&df, Features::Columns(&names), "y", w, *b)
                .await
                .unwrap();
            let at = format!("{partitions} partitions, epoch {k}");
            // Each side is within the bound of the exact sums (a sum over rows, so it holds
            // for any split into batches and partitions): they differ by at most twice it.
            assert_eq!(s.rows, n, "{at}");
            assert!((s.loss - s0.loss).abs() <= 2.0 * t.loss, "{at}: loss");
            assert!((s.bias - s0.bias).abs() <= 2.0 * t.bias, "{at}: bias");
            for j in 0..D {
                assert!((g[j] - g0[j]).abs() <= 2.0 * tol[j], "{at}: gradient {j}");
            }
            if k == 0 {
                let again = pass(&df, Features::Columns(&names), "y", w, *b)
                    .await
                    .unwrap();
                let bits = |(s, g): &(Sums, Vec<f64>)| {
                    (
                        s.loss.to_bits(),
                        s.bias.to_bits(),
                        g.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    )
                };
                assert_eq!(bits(&again), bits(&(s, g)), "{at}: a second run");
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
