//! The column-slices view: the column-major kernel's bits for the same values, and running
//! totals over batches of whole runs that equal one pass.

use proptest::prelude::*;
use steepest::kernels::{reference, simd};
use steepest::{ColMajor, ColSlices, Error, Sums, What};

fn bits(s: &Sums, g: &[f64]) -> (usize, u64, u64, Vec<u64>) {
    (
        s.rows,
        s.loss.to_bits(),
        s.bias.to_bits(),
        g.iter().map(|v| v.to_bits()).collect(),
    )
}

/// `n` samples of `d` features, as separate columns and as one strided column-major buffer
/// (stride `n + pad`).
#[derive(Debug)]
struct Case {
    n: usize,
    d: usize,
    cols: Vec<Vec<f32>>,
    y: Vec<f32>,
    w: Vec<f32>,
    b: f32,
}

impl Case {
    fn strided(&self, pad: usize) -> Vec<f32> {
        let ld = self.n + pad;
        let mut x = vec![f32::NAN; self.d * ld];
        for (j, c) in self.cols.iter().enumerate() {
            x[j * ld..j * ld + self.n].copy_from_slice(c);
        }
        x.truncate((self.d - 1) * ld + self.n);
        x
    }
}

/// `n` samples of `d` features with values in [-1, 1) drawn from `seed` (a generator here,
/// not one proptest strategy per value: a case of 60 000 values took that long to draw in a
/// debug build that it set the test's time).
fn case(max_n: usize) -> impl Strategy<Value = Case> {
    (1usize..=max_n, 1usize..=20, any::<u32>()).prop_map(|(n, d, seed)| {
        let mut uniform = values(seed);
        Case {
            n,
            d,
            cols: (0..d)
                .map(|_| (0..n).map(|_| uniform()).collect())
                .collect(),
            y: (0..n).map(|_| uniform()).collect(),
            w: (0..d).map(|_| uniform()).collect(),
            b: uniform(),
        }
    })
}

/// Values in [-1, 1) from the top 24 bits of a xorshift32 generator seeded with `seed`.
fn values(seed: u32) -> impl FnMut() -> f32 {
    let mut state = seed | 1;
    move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(512) / 4
    ))]

    /// Same values, same kernel: the bits of the strided column-major view, for the SIMD
    /// kernel and for the reference.
    #[test]
    fn the_bits_of_the_column_major_view(c in case(3000), pad in 0usize..5) {
        let x = c.strided(pad);
        let cm = ColMajor::new(&x, &c.y, c.n, c.d, c.n + pad).unwrap();
        let refs: Vec<&[f32]> = c.cols.iter().map(Vec::as_slice).collect();
        let cs = ColSlices::new(&refs, &c.y).unwrap();
        let (mut g1, mut g2) = (vec![0.0; c.d], vec![0.0; c.d]);
        let a = simd::gradient_col_major(&cm, &c.w, c.b, &mut g1).unwrap();
        let b = simd::gradient_col_slices(&cs, &c.w, c.b, &mut g2).unwrap();
        prop_assert_eq!(bits(&a, &g1), bits(&b, &g2));
        let a = reference::gradient_col_major(&cm, &c.w, c.b, &mut g1).unwrap();
        let b = reference::gradient_col_slices(&cs, &c.w, c.b, &mut g2).unwrap();
        prop_assert_eq!(bits(&a, &g1), bits(&b, &g2));
    }
}

/// A view taken to be read from memory (`add_col_slices`) runs the kernel's paths for data
/// beyond the caches: for `d` = 10–31 (which of them depends on the target's registers) from
/// 520 rows on, one pass in which the columns are read side by side, not the two sweeps per
/// tile of the same view in cache. Both give the same bits, for every `d` around that range
/// and two to four folds of 256 rows with a tail.
#[test]
fn from_memory_the_bits_are_those_in_cache() {
    let mut uniform = values(0x9e37_79b9);
    for d in 9..=33 {
        for n in [520, 777, 1100] {
            let cols: Vec<Vec<f32>> = (0..d)
                .map(|_| (0..n).map(|_| uniform()).collect())
                .collect();
            let y: Vec<f32> = (0..n).map(|_| uniform()).collect();
            let w: Vec<f32> = (0..d).map(|_| uniform()).collect();
            let refs: Vec<&[f32]> = cols.iter().map(Vec::as_slice).collect();
            let cs = ColSlices::new(&refs, &y).unwrap();
            let (mut g1, mut g2) = (vec![0.0; d], vec![0.0; d]);
            let a = simd::gradient_col_slices(&cs, &w, 0.25, &mut g1).unwrap();
            let mut s = Sums::default();
            simd::add_col_slices(&cs, &w, 0.25, &mut g2, &mut s).unwrap();
            assert_eq!(bits(&a, &g1), bits(&s, &g2), "d = {d}, n = {n}");
        }
    }
}

/// Batches of whole runs (multiples of 1024 samples), added into running totals in order,
/// have the bits of one pass over all of them; other cuts give other bits, within the bound.
#[test]
fn batches_of_whole_runs_add_up_to_one_pass() {
    let n = 5 * 1024 + 13;
    for d in [1, 3, 8, 9, 17] {
        let cols: Vec<Vec<f32>> = (0..d)
            .map(|j| {
                (0..n)
                    .map(|i| ((i * 7 + j * 13) % 101) as f32 / 37.0 - 1.3)
                    .collect()
            })
            .collect();
        let y: Vec<f32> = (0..n).map(|i| (i % 29) as f32 / 11.0).collect();
        let w: Vec<f32> = (0..d).map(|j| 0.1 * j as f32 - 0.3).collect();
        let refs: Vec<&[f32]> = cols.iter().map(Vec::as_slice).collect();
        let mut g = vec![0.0; d];
        let one = simd::gradient_col_slices(&ColSlices::new(&refs, &y).unwrap(), &w, 0.5, &mut g)
            .unwrap();
        let want = bits(&one, &g);
        let (mut gt, mut st) = (vec![0.0; d], Sums::default());
        for lo in (0..n).step_by(2048) {
            let hi = n.min(lo + 2048);
            let part: Vec<&[f32]> = refs.iter().map(|c| &c[lo..hi]).collect();
            let view = ColSlices::new(&part, &y[lo..hi]).unwrap();
            simd::add_col_slices(&view, &w, 0.5, &mut gt, &mut st).unwrap();
        }
        assert_eq!(bits(&st, &gt), want, "d = {d}");
    }
}

#[test]
fn shapes_and_lengths_are_checked() {
    let y = [1.0f32, 2.0];
    assert_eq!(ColSlices::new(&[], &y), Err(Error::Empty(What::Features)));
    let empty: [&[f32]; 1] = [&[]];
    assert_eq!(ColSlices::new(&empty, &[]), Err(Error::Empty(What::Rows)));
    let cols = [&[1.0f32, 2.0][..]];
    let data = ColSlices::new(&cols, &y).unwrap();
    let (mut g, mut s) = ([0.0f64; 2], Sums::default());
    let err = simd::add_col_slices(&data, &[0.0, 0.0], 0.0, &mut g, &mut s).unwrap_err();
    assert!(matches!(err, Error::Length { .. }));
    assert_eq!(s, Sums::default(), "nothing added on an error");
}
