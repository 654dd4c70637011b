//! A scheduler and two executors (this crate's binaries) on 127.0.0.1: the aggregates and a
//! whole fit go through them and agree with one machine within the kernels' bound. The
//! processes are killed when the test ends, passing or not, and every wait is bounded.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, Float32Array, Int64Array, RecordBatch};
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::datasource::MemTable;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use steepest::kernels::{bound, reference, simd};
use steepest::regression::Regression;
use steepest::{Control, Dataset, RowMajor, StopReason, Sums};
use steepest_datafusion::{
    Features, GradientUdaf, GroupModels, GroupedGradientUdaf, fit_regression, sums_of,
};

const N: usize = 200_000;
const D: usize = 4;
const KEYS: i64 = 3;
/// The whole test, cluster start included, ends within this.
const LIMIT: Duration = Duration::from_secs(600);

/// Deterministic values in [-1, 1) without a generator dependency.
fn value(k: usize) -> f32 {
    let h = (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    h as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
}

/// Unscaled features (scales 10⁻² to 10³, offsets to 2000), a linear target with noise, and
/// a key `k` in 0..KEYS: row-major `x`, `y` and `k`.
fn data() -> (Vec<f32>, Vec<f32>, Vec<i64>) {
    let scale = [1000.0f32, 0.01, 50.0, 3.0];
    let shift = [2000.0f32, -3.0, 10.0, 0.0];
    let x: Vec<f32> = (0..N * D)
        .map(|k| value(k) * scale[k % D] + shift[k % D])
        .collect();
    let y = (0..N)
        .map(|i| {
            let r = &x[i * D..i * D + D];
            r[0] * 0.003 - r[1] * 40.0 + r[2] * 0.2 + r[3] + 7.0 + 0.05 * value(N * D + i)
        })
        .collect();
    let k = (0..N).map(|i| (i as i64 * 7919) % KEYS).collect();
    (x, y, k)
}

/// Writes the data as Parquet, four files, into `dir`.
async fn write_parquet(dir: &Path, x: &[f32], y: &[f32], k: &[i64]) {
    let batch = |lo: usize, hi: usize| {
        let mut cols: Vec<(String, ArrayRef)> = (0..D)
            .map(|j| {
                let c: Vec<f32> = (lo..hi).map(|i| x[i * D + j]).collect();
                (format!("x{j}"), Arc::new(Float32Array::from(c)) as ArrayRef)
            })
            .collect();
        cols.push(("y".into(), Arc::new(Float32Array::from(y[lo..hi].to_vec()))));
        cols.push(("k".into(), Arc::new(Int64Array::from(k[lo..hi].to_vec()))));
        RecordBatch::try_from_iter(cols).unwrap()
    };
    let per = N / 4;
    let parts = (0..4)
        .map(|p| vec![batch(p * per, (p + 1) * per)])
        .collect();
    let table = MemTable::try_new(batch(0, 1).schema(), parts).unwrap();
    SessionContext::new()
        .read_table(Arc::new(table))
        .unwrap()
        .write_parquet(dir.to_str().unwrap(), DataFrameWriteOptions::new(), None)
        .await
        .unwrap();
}

/// The scheduler and executors; killed on drop. Their output goes to files in `dir`, shown
/// if the test fails (or always, at the log level in `STEEPEST_CLUSTER_LOGS`, e.g. `info`).
struct Cluster {
    children: Vec<(String, Child)>,
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            child.kill().ok();
            child.wait().ok();
        }
        if std::thread::panicking() || std::env::var_os("STEEPEST_CLUSTER_LOGS").is_some() {
            for (name, _) in &self.children {
                let log = std::fs::read_to_string(self.dir.join(format!("{name}.log")));
                eprintln!("--- {name}:\n{}", log.unwrap_or_default());
            }
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    fn spawn(&mut self, name: &str, exe: &str, args: &[String]) {
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).unwrap();
        let child = Command::new(exe)
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("STEEPEST_CLUSTER_LOGS").unwrap_or("warn".into()),
            )
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        self.children.push((name.to_owned(), child));
    }

    /// A scheduler on a free port, listening before this returns, and two executors.
    fn start(dir: PathBuf) -> (Cluster, u16) {
        let mut cluster = Cluster {
            children: Vec::new(),
            dir,
        };
        let port = free_port();
        let host = |flag: &str| [flag.to_owned(), "127.0.0.1".to_owned()];
        let mut args = vec!["--bind-port".to_owned(), port.to_string()];
        args.extend(host("--bind-host"));
        args.extend(host("--external-host"));
        cluster.spawn("scheduler", env!("CARGO_BIN_EXE_steepest-scheduler"), &args);
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "no scheduler after 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        for e in 0..2 {
            let work = cluster.dir.join(format!("work{e}"));
            std::fs::create_dir_all(&work).unwrap();
            let mut args = vec![
                "--scheduler-port".to_owned(),
                port.to_string(),
                "--bind-port".to_owned(),
                free_port().to_string(),
                "--bind-grpc-port".to_owned(),
                free_port().to_string(),
                "--concurrent-tasks".to_owned(),
                "2".to_owned(),
                "--work-dir".to_owned(),
                work.to_str().unwrap().to_owned(),
            ];
            args.extend(host("--scheduler-host"));
            args.extend(host("--bind-host"));
            args.extend(host("--external-host"));
            cluster.spawn(
                &format!("executor{e}"),
                env!("CARGO_BIN_EXE_steepest-executor"),
                &args,
            );
        }
        (cluster, port)
    }
}

/// The training mean squared error of `(w, b)` in f64.
fn mse(x: &[f32], y: &[f32], w: &[f64], b: f64) -> f64 {
    let sq: f64 = (0..N)
        .map(|i| {
            let p: f64 = (0..D).map(|j| f64::from(x[i * D + j]) * w[j]).sum::<f64>() + b;
            (p - f64::from(y[i])).powi(2)
        })
        .sum();
    sq / N as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_of_two_executors_fits_as_one_machine_does() {
    let dir = std::env::temp_dir().join(format!("steepest-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cluster, port) = Cluster::start(dir.clone());
    let data_dir = dir.join("data");
    let outcome = tokio::time::timeout(LIMIT, run(port, &data_dir)).await;
    // Each executor writes its tasks' shuffle output under its work directory, one
    // directory per job: both took part.
    let jobs: Vec<usize> = (0..2)
        .map(|e| std::fs::read_dir(dir.join(format!("work{e}"))).map_or(0, |d| d.count()))
        .collect();
    drop(cluster);
    std::fs::remove_dir_all(&dir).ok();
    outcome.expect("the cluster test took longer than its limit");
    assert!(jobs.iter().all(|&j| j > 0), "jobs per executor: {jobs:?}");
}

async fn run(port: u16, data_dir: &Path) {
    let (x, y, k) = data();
    write_parquet(data_dir, &x, &y, &k).await;
    let rm: Dataset = RowMajor::new(&x, &y, N, D).unwrap().into();
    let names: Vec<String> = (0..D).map(|j| format!("x{j}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();

    let ctx = steepest_ballista::remote(&format!("df://127.0.0.1:{port}"))
        .await
        .unwrap();
    ctx.register_parquet(
        "t",
        data_dir.to_str().unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();

    // One pass of `steepest_gradient` at a model that only the codec carries to the
    // executors. Each partition's sums are within the bound of the exact sums over its
    // rows and the bound is a sum over rows, so the merged sums and the in-memory pass
    // differ by at most twice the whole data's bound.
    let (w, b) = (vec![0.001f32, -20.0, 0.1, 0.5], 3.0f32);
    ctx.register_udaf(GradientUdaf::new(w.clone(), b).into_udaf());
    let sql = format!("SELECT steepest_gradient({}, y) FROM t", names.join(", "));
    let (s, g) = sums_of(&ctx.sql(&sql).await.unwrap().collect().await.unwrap()).unwrap();
    let mut g0 = vec![0.0; D];
    let s0 = simd::gradient(&rm, &w, b, &mut g0).unwrap();
    let mut tol = vec![0.0; D];
    let t = bound::tolerance(&rm, &w, b, &mut tol).unwrap();
    within(&s, &g, &s0, &g0, &t, &tol, "steepest_gradient");

    // `steepest_gradient_by` with one model per key, against each key's rows in memory.
    let mut models = GroupModels {
        default: (vec![0.0; D], 0.0),
        ..Default::default()
    };
    for key in 0..KEYS {
        let kw = w.iter().map(|v| v * (1.0 + key as f32)).collect();
        models.by_key.insert(key, (kw, b - key as f32));
    }
    ctx.register_udaf(GroupedGradientUdaf::new(models.clone()).into_udaf());
    let sql = format!(
        "SELECT steepest_gradient_by(k, {}, y) FROM t GROUP BY k ORDER BY k",
        names.join(", ")
    );
    let out = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let rows: Vec<RecordBatch> = out.iter().filter(|b| b.num_rows() > 0).cloned().collect();
    let all = datafusion::arrow::compute::concat_batches(&rows[0].schema(), &rows).unwrap();
    assert_eq!(all.num_rows(), KEYS as usize);
    for key in 0..KEYS {
        let (s, g) = sums_of(&[all.slice(key as usize, 1)]).unwrap();
        let mine: Vec<usize> = (0..N).filter(|&i| k[i] == key).collect();
        let xk: Vec<f32> = mine
            .iter()
            .flat_map(|&i| x[i * D..i * D + D].to_vec())
            .collect();
        let yk: Vec<f32> = mine.iter().map(|&i| y[i]).collect();
        let part: Dataset = RowMajor::new(&xk, &yk, mine.len(), D).unwrap().into();
        let (kw, kb) = &models.by_key[&key];
        let mut g0 = vec![0.0; D];
        let s0 = simd::gradient(&part, kw, *kb, &mut g0).unwrap();
        let t = bound::tolerance(&part, kw, *kb, &mut tol).unwrap();
        within(&s, &g, &s0, &g0, &t, &tol, &format!("key {key}"));
    }

    // A whole fit on unscaled data, on the cluster and on one machine: both converge, and
    // both reach the least-squares loss within 1e-6 relative (the stopping rule) plus the
    // f32 model's rounding bound, as `steepest-datafusion`'s own test states it.
    let names = &names;
    let fit = |df: DataFrame| async move {
        let features = Features::Columns(names);
        let fitted = fit_regression(&df, features, "y", Regression::default(), |_| {
            Control::Continue
        })
        .await
        .unwrap();
        assert_eq!(fitted.2.reason, StopReason::Converged);
        fitted
    };
    let (wc, bc, report) = fit(ctx.table("t").await.unwrap()).await;
    let local = SessionContext::new();
    let read = local.read_parquet(data_dir.to_str().unwrap(), ParquetReadOptions::default());
    let (wl, bl, local_report) = fit(read.await.unwrap()).await;

    let (mut ls, mut scratch) = (vec![0.0f64; D], vec![0.0f64; (D + 1) * (D + 2)]);
    let bls = reference::least_squares(&rm, &mut ls, &mut scratch).unwrap();
    let best = mse(&x, &y, &ls, bls);
    let a_max = (0..N)
        .map(|i| {
            bls.abs()
                + (0..D)
                    .map(|j| (f64::from(x[i * D + j]) * ls[j]).abs())
                    .sum::<f64>()
        })
        .fold(0.0, f64::max);
    let eps = 4.0 * f64::from(f32::EPSILON) / 2.0 * a_max;
    let allowed = 1e-6 * best + 2.0 * best.sqrt() * eps + eps * eps;
    for (who, w, b) in [("cluster", &wc, bc), ("one machine", &wl, bl)] {
        let w: Vec<f64> = w.iter().map(|&v| f64::from(v)).collect();
        let got = mse(&x, &y, &w, f64::from(b));
        assert!(
            got - best <= allowed,
            "{who}: {got} vs {best} (allowed {allowed})"
        );
    }
    println!(
        "cluster: {} epochs, one machine: {} epochs; w {wc:?} b {bc} vs w {wl:?} b {bl}",
        report.epochs, local_report.epochs
    );
}

fn within(
    s: &Sums,
    g: &[f64],
    s0: &Sums,
    g0: &[f64],
    t: &bound::Tolerance,
    tol: &[f64],
    what: &str,
) {
    assert_eq!(s.rows, s0.rows, "{what}: rows");
    assert!(
        (s.loss - s0.loss).abs() <= 2.0 * t.loss,
        "{what}: loss {} vs {}",
        s.loss,
        s0.loss
    );
    assert!(
        (s.bias - s0.bias).abs() <= 2.0 * t.bias,
        "{what}: bias {} vs {}",
        s.bias,
        s0.bias
    );
    for j in 0..D {
        assert!(
            (g[j] - g0[j]).abs() <= 2.0 * tol[j],
            "{what}: gradient {j} {} vs {}",
            g[j],
            g0[j]
        );
    }
}
