//! The seeded holdout split.

use rand_xoshiro::rand_core::Rng;

/// Moves `k` rows drawn uniformly at random to the end of `x` (rows of `d`) and `y`: the
/// last `k` steps of a Fisher–Yates shuffle, from the end, so that each of the last rows is
/// drawn from those not yet drawn. `k` swaps, not `n`: the other rows mostly keep their
/// places, which no fit in the tool depends on (gradient descent sums every row; the SGD
/// solvers shuffle every epoch). `k` is clamped to the rows there are.
pub fn hold_out<R: Rng + ?Sized>(x: &mut [f32], y: &mut [f32], d: usize, k: usize, rng: &mut R) {
    let n = y.len().min(x.len() / d.max(1));
    for i in (n.saturating_sub(k)..n).rev() {
        let j = steepest::bounded_u64(rng, i as u64 + 1) as usize;
        if j < i {
            y.swap(i, j);
            let (head, tail) = x.split_at_mut(i * d);
            head[j * d..j * d + d].swap_with_slice(&mut tail[..d]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::Xoshiro128PlusPlus;
    use rand_xoshiro::rand_core::SeedableRng;

    /// Rows stay whole with their targets, and every row is held out as often as any other:
    /// over 20 000 seeds, each of 10 rows lands among the 3 held out 6000 times on average,
    /// with a standard deviation of √(20 000 · 0.3 · 0.7) ≈ 65; the bound is 5 of those.
    #[test]
    fn rows_stay_whole_and_each_is_held_out_equally_often() {
        let (n, d, k, seeds) = (10, 2, 3, 20_000);
        let mut held = [0u32; 10];
        for seed in 0..seeds {
            let mut x: Vec<f32> = (0..n * d).map(|v| v as f32).collect();
            let mut y: Vec<f32> = (0..n).map(|i| i as f32).collect();
            let mut rng = Xoshiro128PlusPlus::seed_from_u64(seed);
            hold_out(&mut x, &mut y, d, k, &mut rng);
            let mut seen = [false; 10];
            for (row, &t) in x.chunks(d).zip(&y) {
                let i = t as usize;
                assert_eq!(row, [(2 * i) as f32, (2 * i + 1) as f32], "seed {seed}");
                assert!(!seen[i], "seed {seed}: row {i} twice");
                seen[i] = true;
            }
            for &t in &y[n - k..] {
                held[t as usize] += 1;
            }
        }
        let mean = f64::from(seeds as u32) * k as f64 / n as f64;
        let sd = (f64::from(seeds as u32) * 0.3 * 0.7).sqrt();
        for (i, &h) in held.iter().enumerate() {
            assert!(
                (f64::from(h) - mean).abs() < 5.0 * sd,
                "row {i}: {h} of {mean}"
            );
        }
    }

    /// The same seed holds out the same rows; another seed, others.
    #[test]
    fn the_seed_decides() {
        let run = |seed| {
            let (mut x, mut y) = (
                vec![0.0f32; 1000],
                (0..1000).map(|i| i as f32).collect::<Vec<_>>(),
            );
            hold_out(
                &mut x,
                &mut y,
                1,
                200,
                &mut Xoshiro128PlusPlus::seed_from_u64(seed),
            );
            y
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
