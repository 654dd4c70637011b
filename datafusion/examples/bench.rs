//! One epoch's pass through DataFusion against the in-memory fused pass on the same data, in
//! one run: a `MemTable` of 2 partitions against `simd::gradient` (one thread) and
//! `parallel::gradient` (all threads); then from Parquet, with the share of the time a scan
//! that decodes every column (`sum` of each) takes.
//!
//! ```sh
//! cargo run --release -p steepest-datafusion --example bench             # 4·10⁶ rows × 16
//! ROWS=10000000 D=16 cargo run --release -p steepest-datafusion --example bench
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, Float32Array};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::prelude::*;
use steepest::kernels::simd;
use steepest::{ColMajor, parallel};
use steepest_datafusion::{Features, pass};

fn value(k: u64) -> f32 {
    let h = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    h as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The least of `reps` timings.
async fn best<F, Fut>(reps: usize, mut f: F) -> Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut best = Duration::MAX;
    for _ in 0..reps {
        let t = Instant::now();
        f().await?;
        best = best.min(t.elapsed());
    }
    Ok(best)
}

#[tokio::main]
async fn main() -> Result<()> {
    let (n, d) = (env("ROWS", 4_000_000), env("D", 16));
    let reps = env("REPS", 7);
    let x: Vec<f32> = (0..n * d).map(|k| value(k as u64)).collect();
    let y: Vec<f32> = (0..n).map(|i| value((n * d + i) as u64)).collect();
    let w = vec![0.1f32; d];
    let names: Vec<String> = (0..d).map(|j| format!("x{j}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();

    // Two partitions of batches of 8192 rows, column by column.
    let batch = |lo: usize, hi: usize| -> Result<RecordBatch> {
        let mut cols: Vec<(String, ArrayRef)> = (0..d)
            .map(|j| {
                let c = x[j * n + lo..j * n + hi].to_vec();
                (
                    names[j].clone(),
                    Arc::new(Float32Array::from(c)) as ArrayRef,
                )
            })
            .collect();
        cols.push(("y".into(), Arc::new(Float32Array::from(y[lo..hi].to_vec()))));
        Ok(RecordBatch::try_from_iter(cols)?)
    };
    let half = n / 2;
    let parts = [(0, half), (half, n)]
        .iter()
        .map(|&(lo, hi)| {
            (lo..hi)
                .step_by(8192)
                .map(|s| batch(s, hi.min(s + 8192)))
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    let schema = parts[0][0].schema();
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
    ctx.register_table("t", Arc::new(MemTable::try_new(schema, parts)?))?;
    let df = ctx.table("t").await?;

    let data = ColMajor::new(&x, &y, n, d, n)
        .map_err(|e| datafusion::error::DataFusionError::Execution(e.to_string()))?;
    let data = data.into();
    let mut g = vec![0.0; d];
    let serial = best(reps, || {
        let r = simd::gradient(&data, &w, 0.5, &mut g).map(|_| ());
        async move { r.map_err(|e| datafusion::error::DataFusionError::Execution(e.to_string())) }
    })
    .await?;
    let mut g2 = vec![0.0; d];
    let all = best(reps, || {
        let r = parallel::gradient(&data, &w, 0.5, &mut g2).map(|_| ());
        async move { r.map_err(|e| datafusion::error::DataFusionError::Execution(e.to_string())) }
    })
    .await?;
    let engine = best(reps, || {
        let df = &df;
        let refs = &refs;
        let w = &w;
        async move {
            pass(df, Features::Columns(refs), "y", w, 0.5)
                .await
                .map(|_| ())
        }
    })
    .await?;
    let mib = (n * (d + 1) * 4) as f64 / (1 << 20) as f64;
    println!("{n} rows × {d} features ({mib:.0} MiB of f32), the least of {reps} passes:");
    println!("  in memory, 1 thread (simd::gradient):        {serial:>10.2?}");
    println!(
        "  in memory, {} threads (parallel::gradient):  {all:>10.2?}",
        rayon::current_num_threads()
    );
    println!(
        "  DataFusion, MemTable of 2 partitions:        {engine:>10.2?}  ({:.2}× the parallel pass)",
        engine.as_secs_f64() / all.as_secs_f64()
    );

    let dir = std::env::temp_dir().join(format!("steepest-bench-{}", std::process::id()));
    let path = dir.to_str().unwrap_or(".").to_string();
    df.clone()
        .write_parquet(&path, DataFrameWriteOptions::new(), None)
        .await?;
    ctx.register_parquet("p", &path, ParquetReadOptions::default())
        .await?;
    let pq = ctx.table("p").await?;
    let from_parquet = best(reps, || {
        let pq = &pq;
        let refs = &refs;
        let w = &w;
        async move {
            pass(pq, Features::Columns(refs), "y", w, 0.5)
                .await
                .map(|_| ())
        }
    })
    .await?;
    let maxes: Vec<String> = names
        .iter()
        .chain([&"y".to_string()])
        .map(|c| format!("sum({c})"))
        .collect();
    let scan_sql = format!("SELECT {} FROM p", maxes.join(", "));
    let scan = best(reps, || {
        let ctx = &ctx;
        let sql = &scan_sql;
        async move { ctx.sql(sql).await?.collect().await.map(|_| ()) }
    })
    .await?;
    println!(
        "  DataFusion, Parquet ({} files):              {from_parquet:>10.2?}  (a scan decoding every column, sum of each: {scan:.2?}, {:.0} % of it)",
        std::fs::read_dir(&dir).map(|r| r.count()).unwrap_or(0),
        100.0 * scan.as_secs_f64() / from_parquet.as_secs_f64()
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
