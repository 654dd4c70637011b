//! Shared test helpers: building views inside poisoned buffers and comparing kernels.
#![allow(dead_code)]

use steepest::kernels::{bound, reference, simd};
use steepest::{ColMajor, Dataset, RowMajor, Sums};

/// Data laid out in a buffer whose unused parts (the offset in front, column padding) are NaN,
/// so a kernel that reads outside the view produces a non-finite result.
#[derive(Clone, Debug)]
pub struct Owned {
    pub buf: Vec<f32>,
    pub y: Vec<f32>,
    pub n: usize,
    pub d: usize,
    pub offset: usize,
    /// `Some(ld)` for column-major.
    pub ld: Option<usize>,
}

impl Owned {
    /// `x` given sample by sample (`x[i*d + j]`), stored in the chosen layout.
    pub fn new(x: &[f32], y: &[f32], d: usize, offset: usize, col_pad: Option<usize>) -> Owned {
        let n = y.len();
        assert_eq!(x.len(), n * d);
        let mut buf = vec![f32::NAN; offset];
        let ld = col_pad.map(|pad| n + pad);
        match ld {
            None => buf.extend_from_slice(x),
            Some(ld) => {
                let start = buf.len();
                buf.resize(start + (d - 1) * ld + n, f32::NAN);
                for i in 0..n {
                    for j in 0..d {
                        buf[start + j * ld + i] = x[i * d + j];
                    }
                }
            }
        }
        // Poison after the view too.
        buf.push(f32::NAN);
        Owned {
            buf,
            y: y.to_vec(),
            n,
            d,
            offset,
            ld,
        }
    }

    pub fn view(&self) -> Dataset<'_> {
        let end = self.buf.len() - 1;
        let x = &self.buf[self.offset..end];
        match self.ld {
            None => RowMajor::new(x, &self.y, self.n, self.d).unwrap().into(),
            Some(ld) => ColMajor::new(x, &self.y, self.n, self.d, ld)
                .unwrap()
                .into(),
        }
    }
}

/// Runs both kernels and the bound; panics with the whole case if they disagree.
pub fn check_against_reference(data: &Dataset<'_>, w: &[f32], b: f32, context: &str) -> Sums {
    let d = data.d();
    let (mut gs, mut gr, mut tol) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let s = simd::gradient(data, w, b, &mut gs).unwrap_or_else(|e| panic!("simd: {e} ({context})"));
    let r = reference::gradient(data, w, b, &mut gr)
        .unwrap_or_else(|e| panic!("reference: {e} ({context})"));
    let t = bound::tolerance(data, w, b, &mut tol).unwrap();
    let shape = format!(
        "n={} d={} layout={} w={w:?} b={b} {context}",
        data.n(),
        d,
        match data {
            Dataset::RowMajor(_) => "row-major",
            Dataset::ColMajor(v) =>
                if v.ld() == v.n() {
                    "col-major"
                } else {
                    "col-major padded"
                },
        }
    );
    assert_eq!(s.rows, r.rows, "{shape}");
    let check = |name: &str, a: f64, b: f64, bound: f64| {
        let diff = (a - b).abs();
        assert!(
            diff <= bound,
            "{name}: simd {a:e} vs reference {b:e}: |diff| {diff:e} > bound {bound:e}\n{shape}"
        );
    };
    check("loss", s.loss, r.loss, t.loss);
    check("bias", s.bias, r.bias, t.bias);
    for j in 0..d {
        check(&format!("grad[{j}]"), gs[j], gr[j], tol[j]);
    }
    s
}
pub mod linalg;

/// A rate uniform on [lo, hi] on a grid of 2^20 steps. proptest 1.12's own float range
/// strategy trips a debug assertion in its sampler, rarely, when 0 < lo < hi (the sampler's
/// first interval can reach below `lo` while its step is negative); integers avoid it.
pub fn rate(lo: f32, hi: f32) -> impl proptest::strategy::Strategy<Value = f32> {
    const STEPS: u32 = 1 << 20;
    use proptest::strategy::Strategy;
    (0..=STEPS).prop_map(move |k| lo + (hi - lo) * (k as f32 / STEPS as f32))
}
