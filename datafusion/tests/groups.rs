//! One model per key: 1000 groups fitted by `GROUP BY` in the same passes, against 1000
//! in-memory fits of the groups' own rows.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float32Array, Int64Array};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::*;
use steepest::kernels::reference;
use steepest::{Control, Dataset, GradientDescent, RowMajor};
use steepest_datafusion::fit_groups;

fn value(k: usize) -> f32 {
    let h = (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    h as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
}

const GROUPS: usize = 1000;
const PER: usize = 64;
const D: usize = 3;

/// The MSE of a model over row-major `x`, in f64.
fn mse(x: &[f32], y: &[f32], w: &[f64], b: f64) -> f64 {
    let n = y.len();
    (0..n)
        .map(|i| {
            let p: f64 = (0..D).map(|j| f64::from(x[i * D + j]) * w[j]).sum::<f64>() + b;
            (p - f64::from(y[i])).powi(2)
        })
        .sum::<f64>()
        / n as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_groups_match_a_thousand_in_memory_fits() {
    let n = GROUPS * PER;
    // Row i belongs to key i mod GROUPS: every batch holds rows of every group.
    let key: Vec<i64> = (0..n).map(|i| (i % GROUPS) as i64).collect();
    let x: Vec<f32> = (0..n * D).map(value).collect();
    let y: Vec<f32> = (0..n)
        .map(|i| {
            let k = i % GROUPS;
            let p: f32 = (0..D)
                .map(|j| x[i * D + j] * value(7 * n * D + k * D + j))
                .sum();
            p + value(9 * n * D + k) + 0.01 * value(11 * n * D + i)
        })
        .collect();
    let batch = |lo: usize, hi: usize| {
        let mut cols: Vec<(String, ArrayRef)> = vec![(
            "k".into(),
            Arc::new(Int64Array::from(key[lo..hi].to_vec())) as ArrayRef,
        )];
        for j in 0..D {
            let c: Vec<f32> = (lo..hi).map(|i| x[i * D + j]).collect();
            cols.push((format!("x{j}"), Arc::new(Float32Array::from(c))));
        }
        cols.push(("y".into(), Arc::new(Float32Array::from(y[lo..hi].to_vec()))));
        RecordBatch::try_from_iter(cols).unwrap()
    };
    let half = n / 2;
    let parts: Vec<Vec<RecordBatch>> = [(0, half), (half, n)]
        .iter()
        .map(|&(lo, hi)| {
            (lo..hi)
                .step_by(4096)
                .map(|s| batch(s, hi.min(s + 4096)))
                .collect()
        })
        .collect();
    let table = MemTable::try_new(parts[0][0].schema(), parts).unwrap();
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
    ctx.register_table("t", Arc::new(table)).unwrap();
    let df = ctx.table("t").await.unwrap();
    let gd = GradientDescent {
        learning_rate: 0.4,
        max_epochs: 300,
        tolerance: None,
    };
    let models = fit_groups(&df, "k", &["x0", "x1", "x2"], "y", &gd)
        .await
        .unwrap();
    assert_eq!(models.len(), GROUPS);

    for k in 0..GROUPS {
        let rows: Vec<usize> = (k..n).step_by(GROUPS).collect();
        let xk: Vec<f32> = rows
            .iter()
            .flat_map(|&i| x[i * D..i * D + D].to_vec())
            .collect();
        let yk: Vec<f32> = rows.iter().map(|&i| y[i]).collect();
        let data: Dataset = RowMajor::new(&xk, &yk, PER, D).unwrap().into();
        let (mut w, mut b, mut g) = (vec![0.0f32; D], 0.0f32, vec![0.0f64; D]);
        gd.fit_with(&data, &mut w, &mut b, &mut g, |_| Control::Continue)
            .unwrap();
        let (mut wl, mut scratch) = (vec![0.0f64; D], vec![0.0f64; (D + 1) * (D + 2)]);
        let bl = reference::least_squares(&data, &mut wl, &mut scratch).unwrap();
        let best = mse(&xk, &yk, &wl, bl);
        // Both fits run to the f32 floor of the same optimum (300 epochs at a contraction of
        // at most 0.8 each): within the f32 model's rounding bound of the least-squares loss
        // (as derived in the core crate's the_default_fit_reaches_least_squares).
        let a_max = (0..PER)
            .map(|i| {
                bl.abs()
                    + (0..D)
                        .map(|j| (f64::from(xk[i * D + j]) * wl[j]).abs())
                        .sum::<f64>()
            })
            .fold(0.0, f64::max);
        let eps = 4.0 * f64::from(f32::EPSILON) / 2.0 * a_max;
        let allowed = 1e-6 * best + 2.0 * best.sqrt() * eps + eps * eps;
        let (wd, bd) = &models[&(k as i64)];
        let to64 = |w: &[f32]| w.iter().map(|&v| f64::from(v)).collect::<Vec<f64>>();
        let got = mse(&xk, &yk, &to64(wd), f64::from(*bd));
        let mem = mse(&xk, &yk, &to64(&w), f64::from(b));
        assert!(mem - best <= allowed, "key {k}: in memory {mem} vs {best}");
        assert!(
            got - best <= allowed,
            "key {k}: DataFusion {got} vs {best} (allowed {allowed})"
        );
    }
}
