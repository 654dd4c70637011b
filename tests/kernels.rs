//! The SIMD kernels against the scalar reference, within the written error bound.

mod common;

use common::{Owned, check_against_reference};
use proptest::prelude::*;
use steepest::kernels::simd;

/// A case: shape, layout, placement and values scaled by 10^scale.
fn case() -> impl Strategy<Value = (Owned, Vec<f32>, f32, String)> {
    (
        1usize..=40,
        1usize..=20,
        0usize..8,
        prop::option::of(0usize..5),
        -3i32..=3,
    )
        .prop_flat_map(|(n, d, offset, pad, scale)| {
            let m = 10f32.powi(scale);
            (
                prop::collection::vec(-1.0f32..1.0, n * d),
                prop::collection::vec(-1.0f32..1.0, n),
                prop::collection::vec(-1.0f32..1.0, d),
                -1.0f32..1.0,
                Just((d, offset, pad, m)),
            )
        })
        .prop_map(|(x, y, w, b, (d, offset, pad, m))| {
            let x: Vec<f32> = x.iter().map(|v| v * m).collect();
            let y: Vec<f32> = y.iter().map(|v| v * m).collect();
            let ctx = format!("offset={offset} pad={pad:?} scale={m} x={x:?} y={y:?}");
            (Owned::new(&x, &y, d, offset, pad), w, b * m, ctx)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn simd_matches_reference((data, w, b, ctx) in case()) {
        check_against_reference(&data.view(), &w, b, &ctx);
    }

    /// For d < 8 both layouts run the same arithmetic: identical bits.
    #[test]
    fn small_d_layouts_agree_bitwise(
        (n, d) in (1usize..=70, 1usize..8),
        seed in any::<u64>(),
    ) {
        let vals = |k: usize, salt: u64| -> Vec<f32> {
            (0..k).map(|i| {
                let h = (i as u64 ^ seed ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                ((h >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            }).collect()
        };
        let (x, y, w) = (vals(n * d, 1), vals(n, 2), vals(d, 3));
        let rm = Owned::new(&x, &y, d, 0, None);
        let cm = Owned::new(&x, &y, d, 0, Some(3));
        let (mut g1, mut g2) = (vec![0.0; d], vec![0.0; d]);
        let a = simd::gradient(&rm.view(), &w, 0.25, &mut g1).unwrap();
        let c = simd::gradient(&cm.view(), &w, 0.25, &mut g2).unwrap();
        prop_assert_eq!(a.loss.to_bits(), c.loss.to_bits());
        prop_assert_eq!(a.bias.to_bits(), c.bias.to_bits());
        for (p, q) in g1.iter().zip(&g2) {
            prop_assert_eq!(p.to_bits(), q.to_bits());
        }
    }
}

/// Whole tiles of the eight-samples-per-vector kernel (column-major) load from arrays of the
/// tile's length, other vectors (and row-major `d` = 2–7) one at a time: for `d < 8` the two
/// layouts must still agree bit for bit, over several whole tiles, a short last one, and the
/// sample tail.
#[test]
fn whole_tiles_have_the_bits_of_the_vector_loop() {
    let tile = simd::TILE;
    for d in 1..8 {
        for n in [tile, 2 * tile + 8, 3 * tile + 5, 5 * tile + 203] {
            let x: Vec<f32> = (0..n * d)
                .map(|k| ((k * 7919) % 263) as f32 / 131.0 - 1.0)
                .collect();
            let y: Vec<f32> = (0..n).map(|i| ((i * 104_729) % 97) as f32 / 48.0).collect();
            let w: Vec<f32> = (0..d).map(|j| (j as f32 * 0.37).sin()).collect();
            for offset in [0, 3] {
                let rm = Owned::new(&x, &y, d, offset, None);
                let cm = Owned::new(&x, &y, d, offset, Some(5));
                let (mut g1, mut g2) = (vec![0.0; d], vec![0.0; d]);
                let a = simd::gradient(&rm.view(), &w, 0.25, &mut g1).unwrap();
                let c = simd::gradient(&cm.view(), &w, 0.25, &mut g2).unwrap();
                let bits = |s: &steepest::kernels::Sums, g: &[f64]| {
                    let sums = [s.loss.to_bits(), s.bias.to_bits()];
                    (sums, g.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
                };
                assert_eq!(
                    bits(&a, &g1),
                    bits(&c, &g2),
                    "d = {d}, n = {n}, offset {offset}"
                );
            }
        }
    }
}

/// Every n from 1 to 3 tiles past the vector width and every d to 48 (each row-major width
/// with code of its own on x86: 8–39, and wider rows with each of the eight tails, 40–47), at
/// offsets 0, 1, 3 and 7, both layouts: each tail and block boundary on purpose.
#[test]
fn every_small_shape_and_offset() {
    for d in 1..=48 {
        for n in (1..=40).chain([255, 256, 257, 263, 520]) {
            let x: Vec<f32> = (0..n * d)
                .map(|k| ((k * 7919) % 263) as f32 / 131.0 - 1.0)
                .collect();
            let y: Vec<f32> = (0..n)
                .map(|i| ((i * 104_729) % 97) as f32 / 48.0 - 1.0)
                .collect();
            let w: Vec<f32> = (0..d).map(|j| (j as f32 * 0.37).sin()).collect();
            for offset in [0, 1, 3, 7] {
                for pad in [None, Some(0), Some(5)] {
                    let data = Owned::new(&x, &y, d, offset, pad);
                    check_against_reference(
                        &data.view(),
                        &w,
                        0.5,
                        &format!("offset={offset} pad={pad:?}"),
                    );
                }
            }
        }
    }
}

/// A wrong index or a dropped tail gives errors the size of the sums: the bound must be far
/// tighter than that, or the property above would prove nothing.
#[test]
fn bound_is_tight_enough_to_catch_a_dropped_sample() {
    let n = 37;
    let d = 5;
    let x: Vec<f32> = (0..n * d).map(|k| (k as f32 * 0.1).cos()).collect();
    let y: Vec<f32> = (0..n).map(|i| (i as f32).sin()).collect();
    let w = vec![0.5; d];
    let full = Owned::new(&x, &y, d, 0, None);
    let short = Owned::new(&x[..(n - 1) * d], &y[..n - 1], d, 0, None);
    let mut tol = vec![0.0; d];
    let t = steepest::kernels::bound::tolerance(&full.view(), &w, 0.0, &mut tol).unwrap();
    let (mut g1, mut g2) = (vec![0.0; d], vec![0.0; d]);
    let a = simd::gradient(&full.view(), &w, 0.0, &mut g1).unwrap();
    let b = simd::gradient(&short.view(), &w, 0.0, &mut g2).unwrap();
    assert!((a.loss - b.loss).abs() > 1e3 * t.loss, "{a:?} {b:?} {t:?}");
    for j in 0..d {
        assert!((g1[j] - g2[j]).abs() > 1e3 * tol[j], "feature {j}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256)
    ))]

    /// Splitting the rows into chunks and merging the partial sums equals one pass within the
    /// bound: each chunk's sums are within its own bound of its exact sums, and the bounds of
    /// the chunks add up to at most twice the whole pass's (each term of the bound is a sum
    /// over rows, counted once per side).
    #[test]
    fn merged_chunks_equal_one_pass(
        (data, w, b, _ctx) in case(),
        cuts in prop::collection::vec(any::<u16>(), 0..4),
    ) {
        use steepest::{Sums, kernels::bound, merge_gradient};
        let view = data.view();
        let (n, d) = (view.n(), view.d());
        let mut bounds: Vec<usize> = cuts.iter().map(|&c| usize::from(c) % n).filter(|&c| c > 0).collect();
        bounds.push(0);
        bounds.push(n);
        bounds.sort_unstable();
        bounds.dedup();
        let mut total = Sums::default();
        let mut g = vec![0.0; d];
        let mut part = vec![0.0; d];
        for win in bounds.windows(2) {
            let chunk = view.rows(win[0]..win[1]).unwrap();
            let s = simd::gradient(&chunk, &w, b, &mut part).unwrap();
            total = total.merge(s);
            merge_gradient(&mut g, &part).unwrap();
        }
        let mut whole = vec![0.0; d];
        let s = simd::gradient(&view, &w, b, &mut whole).unwrap();
        let mut tol = vec![0.0; d];
        let t = bound::tolerance(&view, &w, b, &mut tol).unwrap();
        prop_assert_eq!(total.rows, n);
        prop_assert!((total.loss - s.loss).abs() <= 2.0 * t.loss, "loss {} vs {}", total.loss, s.loss);
        prop_assert!((total.bias - s.bias).abs() <= 2.0 * t.bias, "bias {} vs {}", total.bias, s.bias);
        for j in 0..d {
            prop_assert!((g[j] - whole[j]).abs() <= 2.0 * tol[j], "grad[{}] {} vs {}", j, g[j], whole[j]);
        }
    }
}

/// Beyond the caches (`simd::from_memory_values()` values of `x` and `y` or more; 2^23 of `x`
/// for column-major d = 2–8) the kernels take their from-memory paths: they ask for data
/// ahead, and some shapes run in one pass where in cache they sweep each tile twice. A pass
/// adds one value per sum for each of its runs of rows, in order, so the pass over the whole
/// has the bits of passes over its runs (each within the caches) added in order.
#[test]
fn from_memory_the_bits_are_those_of_the_runs_in_cache() {
    use rand_core::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro128PlusPlus;
    use steepest::{ColMajor, Dataset, RowMajor};
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(21);
    // Uniform in [-1, 1) from the top 24 bits.
    let mut uniform = move || (rng.next_u32() >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
    let row_major = [8, 12, 16, 17, 24, 32, 39, 40, 48, 56, 64, 300].map(|d| (d, false));
    let col_major = [2, 4, 8, 10, 12, 15, 16, 17, 24, 31, 32, 48].map(|d| (d, true));
    let shapes = row_major.into_iter().chain(col_major);
    for (d, col_major) in shapes {
        // Rows per run (a tile of the eight-samples-per-vector kernel or of the wide
        // row-major one, a fold of 32 vectors of the column-major one), and the rows from
        // which the shape takes its from-memory paths.
        let (run, rows) = match (col_major, d) {
            (true, ..=8) => (simd::TILE, (8 << 20) / d),
            (true, _) => (256, simd::from_memory_values() / (d + 1)),
            (false, _) => (
                simd::row_major_tile(d),
                simd::from_memory_values() / (d + 1),
            ),
        };
        let n = (rows / run + 1) * run;
        let ld = if col_major { n + 3 } else { n };
        let x: Vec<f32> = (0..ld * d).map(|_| uniform()).collect();
        let y: Vec<f32> = (0..n).map(|_| uniform()).collect();
        let w: Vec<f32> = (0..d).map(|_| uniform()).collect();
        let data: Dataset = if col_major {
            ColMajor::new(&x[..(d - 1) * ld + n], &y, n, d, ld)
                .unwrap()
                .into()
        } else {
            RowMajor::new(&x[..n * d], &y, n, d).unwrap().into()
        };
        let mut g = vec![0.0; d];
        let whole = simd::gradient(&data, &w, 0.25, &mut g).unwrap();
        let (mut loss, mut bias, mut gs, mut gr) = (0.0, 0.0, vec![0.0; d], vec![0.0; d]);
        for lo in (0..n).step_by(run) {
            let s = simd::gradient(&data.rows(lo..lo + run).unwrap(), &w, 0.25, &mut gr).unwrap();
            loss += s.loss;
            bias += s.bias;
            for (a, v) in gs.iter_mut().zip(&gr) {
                *a += v;
            }
        }
        let bits = |l: f64, b: f64, g: &[f64]| {
            let g: Vec<u64> = g.iter().map(|v| v.to_bits()).collect();
            (l.to_bits(), b.to_bits(), g)
        };
        assert_eq!(
            bits(whole.loss, whole.bias, &g),
            bits(loss, bias, &gs),
            "d = {d}, column-major {col_major}"
        );
    }
}
