//! Writes a data set as Parquet, then fits it through DataFusion: feature statistics by one
//! query, then standardised gradient descent with the automatic rate, one aggregate query per
//! epoch; progress printed per epoch, the model (in the original units) at the end.
//!
//! ```sh
//! cargo run --release -p steepest-datafusion --example parquet        # 10⁶ rows, 8 features
//! ROWS=10000000 cargo run --release -p steepest-datafusion --example parquet
//! ```

use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{ArrayRef, Float32Array};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::Result;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::*;
use steepest::regression::Regression;
use steepest::{Control, Epoch};
use steepest_datafusion::{Features, fit_regression};

const D: usize = 8;

/// A deterministic value in [-1, 1), independent of its neighbours' (SplitMix64's output
/// function: a plain multiplicative hash makes the features of a row functions of each other).
fn value(k: u64) -> f32 {
    let mut z = k.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
}

/// Rows `lo..hi` of `y = Σ (j + 1)/4 · x_j − 0.5 + noise`, over unscaled features.
fn batch(lo: usize, hi: usize) -> Result<RecordBatch> {
    // Unscaled features: feature j spans ±10^(j mod 4 − 1) around 100·j.
    let x: Vec<Vec<f32>> = (0..D)
        .map(|j| {
            let scale = 10f32.powi(j as i32 % 4 - 1);
            (lo..hi)
                .map(|i| value((i * D + j) as u64) * scale + 100.0 * j as f32)
                .collect()
        })
        .collect();
    let y: Vec<f32> = (0..hi - lo)
        .map(|i| {
            let p: f32 = (0..D).map(|j| (j as f32 + 1.0) / 4.0 * x[j][i]).sum();
            p - 0.5 + 0.01 * value(u64::MAX / 2 + (lo + i) as u64)
        })
        .collect();
    let mut cols: Vec<(String, ArrayRef)> = x
        .into_iter()
        .enumerate()
        .map(|(j, c)| (format!("x{j}"), Arc::new(Float32Array::from(c)) as ArrayRef))
        .collect();
    cols.push(("y".into(), Arc::new(Float32Array::from(y))));
    Ok(RecordBatch::try_from_iter(cols)?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let rows: usize = std::env::var("ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("steepest-parquet-{}", std::process::id()));
    let ctx = SessionContext::new();

    let t = Instant::now();
    let batches = (0..rows)
        .step_by(65_536)
        .map(|lo| batch(lo, rows.min(lo + 65_536)))
        .collect::<Result<Vec<_>>>()?;
    // One file, its batches in order, written by the Parquet crate's writer: DataFusion's
    // own writer takes the batches in the order its partitions deliver them, which varies
    // run to run, and the fit's sums with it.
    std::fs::create_dir_all(&dir)?;
    let file = std::fs::File::create(dir.join("data.parquet"))?;
    // Row groups of 2^17 rows: the scan splits the file between the cores by row group.
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(1 << 17))
        .build();
    let mut writer = ArrowWriter::try_new(file, batches[0].schema(), Some(props))?;
    for b in &batches {
        writer.write(b)?;
    }
    writer.close()?;
    println!(
        "wrote {rows} rows × {D} features as Parquet to {} in {:.2?}",
        dir.display(),
        t.elapsed()
    );

    ctx.register_parquet(
        "t",
        dir.to_str().unwrap_or("."),
        ParquetReadOptions::default(),
    )
    .await?;
    let df = ctx.table("t").await?;
    let names: Vec<String> = (0..D).map(|j| format!("x{j}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let t = Instant::now();
    let mut last = Instant::now();
    let observer = move |e: &Epoch<'_>| {
        println!(
            "epoch {:>3}: loss {:.6e} ({:.0?})",
            e.epoch,
            e.loss,
            last.elapsed()
        );
        last = Instant::now();
        Control::Continue
    };
    let (w, b, report) = fit_regression(
        &df,
        Features::Columns(&names),
        "y",
        Regression::default(),
        observer,
    )
    .await?;
    println!(
        "{} epochs ({:?}, rate {:.4}) in {:.2?}: loss {:.6e}",
        report.epochs,
        report.reason,
        report.rate,
        t.elapsed(),
        report.loss
    );
    let terms: Vec<String> = w
        .iter()
        .enumerate()
        .map(|(j, v)| format!("{v:.4}·x{j}"))
        .collect();
    println!("model: y = {} {:+.4}", terms.join(" + "), b);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
