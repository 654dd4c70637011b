//! The `parallel` feature: the same result bits as the serial kernels for every thread count.
#![cfg(feature = "parallel")]

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use steepest::regression::Regression;
use steepest::stats::Moments;
use steepest::{ColMajor, Control, Dataset, Error, RowMajor, Sums, kernels::simd, parallel};

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Values in ±[2⁻¹⁶, 2¹⁶): with magnitudes this far apart the f64 sums round, so a change in
/// the order of the additions shows in the bits (values of one magnitude sum exactly in f64,
/// in any order).
fn values(rng: &mut Xoshiro256PlusPlus, len: usize) -> Vec<f32> {
    (0..len)
        .map(|_| {
            let v = (rng.next_u32() >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
            v * f32::powi(2.0, (rng.next_u32() % 32) as i32 - 16)
        })
        .collect()
}

/// A random shape: `n·d` above the serial cut-off of the parallel path (32 768 values), with
/// a tail of `n mod 8` rows, and a column stride beyond `n` for column-major data.
struct Problem {
    n: usize,
    d: usize,
    ld: usize,
    x: Vec<f32>,
    y: Vec<f32>,
    w: Vec<f32>,
}

impl Problem {
    fn random(rng: &mut Xoshiro256PlusPlus, col_major: bool) -> Problem {
        let d = match rng.next_u32() % 4 {
            0 => 1 + rng.next_u32() as usize % 8,
            1 => 8 * (1 + rng.next_u32() as usize % 4),
            2 => 9 + rng.next_u32() as usize % 60,
            _ => 100 + rng.next_u32() as usize % 400,
        };
        let n = (40_000 + rng.next_u32() as usize % 200_000) / d + rng.next_u32() as usize % 8;
        let ld = if col_major {
            n + rng.next_u32() as usize % 5
        } else {
            n
        };
        let x = values(rng, if col_major { ld * d } else { n * d });
        Problem {
            n,
            d,
            ld,
            x,
            y: values(rng, n),
            w: values(rng, d),
        }
    }

    fn data(&self, col_major: bool) -> Dataset<'_> {
        if col_major {
            ColMajor::new(&self.x, &self.y, self.n, self.d, self.ld)
                .unwrap()
                .into()
        } else {
            RowMajor::new(&self.x, &self.y, self.n, self.d)
                .unwrap()
                .into()
        }
    }
}

fn bits(s: &Sums, g: &[f64]) -> (usize, u64, u64, Vec<u64>) {
    (
        s.rows,
        s.loss.to_bits(),
        s.bias.to_bits(),
        g.iter().map(|v| v.to_bits()).collect(),
    )
}

#[test]
fn the_gradient_has_the_serial_bits_for_1_to_8_threads() {
    let pools: Vec<_> = (1..=8).map(pool).collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    for case in 0..24 {
        let col_major = case % 2 == 1;
        let p = Problem::random(&mut rng, col_major);
        let data = p.data(col_major);
        let mut g = vec![0.0; p.d];
        let serial = simd::gradient(&data, &p.w, 0.25, &mut g).unwrap();
        let want = bits(&serial, &g);
        for (t, pool) in pools.iter().enumerate() {
            let mut gp = vec![f64::NAN; p.d];
            let s = pool
                .install(|| parallel::gradient(&data, &p.w, 0.25, &mut gp))
                .unwrap();
            assert_eq!(
                bits(&s, &gp),
                want,
                "n = {}, d = {}, col-major {col_major}, {} threads",
                p.n,
                p.d,
                t + 1
            );
        }
    }
}

/// From `simd::from_memory_values()` values of `x` and `y` the kernels ask for data ahead,
/// column-major tiles are one or four folds long, and row-major d = 8–39 and column-major
/// d = 10–31 run in one pass: the runs of those paths too, cut into tasks, add up to the
/// serial bits.
#[test]
fn beyond_the_caches_the_bits_are_the_serial_ones() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
    for (d, col_major) in [
        (3, false),
        (16, false),
        (1, true),
        (12, true),
        (16, true),
        (100, true),
    ] {
        let n = simd::from_memory_values() / (d + 1) + 8 + 5;
        let ld = if col_major { n + 3 } else { n };
        let p = Problem {
            n,
            d,
            ld,
            x: values(&mut rng, if col_major { ld * d } else { n * d }),
            y: values(&mut rng, n),
            w: values(&mut rng, d),
        };
        let data = p.data(col_major);
        let mut g = vec![0.0; d];
        let want = bits(&simd::gradient(&data, &p.w, 0.25, &mut g).unwrap(), &g);
        for t in [2, 3, 8] {
            let mut gp = vec![f64::NAN; d];
            let s = pool(t)
                .install(|| parallel::gradient(&data, &p.w, 0.25, &mut gp))
                .unwrap();
            assert_eq!(
                bits(&s, &gp),
                want,
                "d = {d}, col-major {col_major}, {t} threads"
            );
        }
    }
}

#[test]
fn errors_are_the_serial_ones() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    for col_major in [false, true] {
        let mut p = Problem::random(&mut rng, col_major);
        let at = p.x.len() / 2;
        p.x[at] = f32::INFINITY;
        let data = p.data(col_major);
        let mut g = vec![0.0; p.d];
        let serial = simd::gradient(&data, &p.w, 0.0, &mut g).unwrap_err();
        let par = pool(4)
            .install(|| parallel::gradient(&data, &p.w, 0.0, &mut g))
            .unwrap_err();
        assert_eq!(serial, par);
        let short = parallel::gradient(&data, &p.w[1..], 0.0, &mut g).unwrap_err();
        assert!(matches!(short, Error::Length { .. }));
    }
}

/// The serial statistics of one feature are [`Moments::of`] its values (blocks of
/// `stats::BLOCK` rows merged in order), whichever the layout.
#[test]
fn the_statistics_have_the_serial_bits_for_1_to_8_threads() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    for case in 0..8 {
        let col_major = case % 2 == 1;
        let p = Problem::random(&mut rng, col_major);
        let data = p.data(col_major);
        let column = |j: usize| -> Vec<f32> {
            if col_major {
                p.x[j * p.ld..j * p.ld + p.n].to_vec()
            } else {
                p.x.iter().skip(j).step_by(p.d).copied().collect()
            }
        };
        let want: Vec<Moments> = (0..p.d).map(|j| Moments::of(&column(j))).collect();
        for t in 1..=8 {
            let mut x = vec![Moments::default(); p.d];
            let y = pool(t)
                .install(|| parallel::moments(&data, &mut x))
                .unwrap();
            assert_eq!(y, Moments::of(&p.y), "d = {}, {t} threads", p.d);
            assert_eq!(x, want, "d = {}, {t} threads", p.d);
        }
    }
}

/// A standardised fit with the automatic rate: the statistics, the power iteration and every
/// epoch through the parallel paths.
#[test]
fn a_regression_fit_has_the_same_bits_for_every_thread_count() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    for col_major in [false, true] {
        let p = Problem::random(&mut rng, col_major);
        let data = p.data(col_major);
        let fit = |threads: usize| {
            pool(threads).install(|| {
                let mut stats = vec![Moments::default(); p.d];
                steepest::stats::moments(&data, &mut stats).unwrap();
                let (mut w, mut b) = (vec![0.0f32; p.d], 0.0f32);
                let mut work = vec![0.0; 4 * p.d];
                let r = Regression {
                    max_epochs: 30,
                    ..Regression::default()
                }
                .fit(&data, &stats, &mut w, &mut b, &mut work, |_| {
                    Control::Continue
                })
                .unwrap();
                let w: Vec<u32> = w.iter().map(|v| v.to_bits()).collect();
                (r.loss.to_bits(), r.rate.to_bits(), b.to_bits(), w)
            })
        };
        let one = fit(1);
        for t in [2, 3, 8] {
            assert_eq!(fit(t), one, "d = {}, {t} threads", p.d);
        }
    }
}
