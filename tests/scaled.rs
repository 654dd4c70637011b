//! SGD in standardised coordinates without a copy: the same bits as SGD on a standardised
//! copy of the data, for epochs (both layouts) and mini-batches.

use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro128PlusPlus;
use steepest::sgd::{Adam, Batch, Constant, Plain, Scaling, Sgd};
use steepest::stats::{Moments, moments};
use steepest::{ColMajor, Dataset, Error, RowMajor, What};

fn data(n: usize, d: usize) -> (Vec<f32>, Vec<f32>) {
    let x: Vec<f32> = (0..n * d)
        .map(|k| 1000.0 * (k % d) as f32 + ((k * 7919) % 101) as f32)
        .collect();
    let y = (0..n)
        .map(|i| {
            (0..d)
                .map(|j| x[i * d + j] * 0.01 * (j as f32 + 1.0))
                .sum::<f32>()
                - 5.0
        })
        .collect();
    (x, y)
}

fn bits(v: &[f32], c: f32) -> (Vec<u32>, u32) {
    (v.iter().map(|x| x.to_bits()).collect(), c.to_bits())
}

#[test]
fn scaled_sgd_equals_sgd_on_a_standardised_copy() {
    for (n, d) in [(40usize, 1usize), (64, 3), (50, 9), (33, 17)] {
        let (x, y) = data(n, d);
        let raw: Dataset = RowMajor::new(&x, &y, n, d).unwrap().into();
        let mut m = vec![Moments::default(); d];
        moments(&raw, &mut m).unwrap();
        let (mut mean, mut scale) = (vec![0.0f32; d], vec![0.0f32; d]);
        Scaling::compute(&m, &mut mean, &mut scale).unwrap();
        let scaling = Scaling::new(&mean, &scale).unwrap();
        // The copy, with the same f32 arithmetic the stepper uses: (x − μ)·s.
        let z: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(k, &v)| (v - mean[k % d]) * scale[k % d])
            .collect();
        let xt: Vec<f32> = (0..d)
            .flat_map(|j| (0..n).map(move |i| (i, j)))
            .map(|(i, j)| x[i * d + j])
            .collect();
        // The scaled epoch forms each sample as a contiguous row, whatever the data's
        // layout, so both layouts equal plain SGD on the row-major copy (SGD over
        // column-major data rounds its update in another order).
        let copy: Dataset = RowMajor::new(&z, &y, n, d).unwrap().into();
        let copies: [(Dataset, Dataset); 2] = [
            (raw, copy),
            (ColMajor::new(&xt, &y, n, d, n).unwrap().into(), copy),
        ];
        for (unscaled, copy) in copies {
            let mut a = Sgd::new(Plain, Constant(0.01));
            let mut b = Sgd::new(Plain, Constant(0.01));
            let (mut v1, mut c1, mut v2, mut c2) =
                (vec![0.0f32; d], 0.0f32, vec![0.0f32; d], 0.0f32);
            let (mut o1, mut o2, mut zs) = (vec![0u32; n], vec![0u32; n], vec![0.0f32; d]);
            let (mut r1, mut r2) = (
                Xoshiro128PlusPlus::seed_from_u64(3),
                Xoshiro128PlusPlus::seed_from_u64(3),
            );
            for _ in 0..5 {
                let l1 = a
                    .epoch_scaled(
                        &unscaled, &mut v1, &mut c1, &mut o1, &mut r1, &scaling, &mut zs,
                    )
                    .unwrap();
                let l2 = b.epoch(&copy, &mut v2, &mut c2, &mut o2, &mut r2).unwrap();
                assert_eq!(l1.loss.to_bits(), l2.loss.to_bits(), "n={n} d={d}");
            }
            assert_eq!(bits(&v1, c1), bits(&v2, c2), "n={n} d={d}");
            // Mini-batches of 8, with a stateful rule.
            let (mut m1, mut s1, mut m2, mut s2) = (
                vec![0.0f32; d + 1],
                vec![0.0f32; d + 1],
                vec![0.0f32; d + 1],
                vec![0.0f32; d + 1],
            );
            let mut a = Sgd::new(Adam::new(&mut m1, &mut s1), Constant(0.01));
            let mut b = Sgd::new(Adam::new(&mut m2, &mut s2), Constant(0.01));
            let (mut bx, mut by, mut g) = (vec![0.0f32; 8 * d], vec![0.0f32; 8], vec![0.0f64; d]);
            for _ in 0..3 {
                let batch = Batch {
                    x: &mut bx,
                    y: &mut by,
                    grad: &mut g,
                };
                a.minibatch_epoch_scaled(
                    &unscaled, &mut v1, &mut c1, &mut o1, &mut r1, batch, &scaling,
                )
                .unwrap();
                let batch = Batch {
                    x: &mut bx,
                    y: &mut by,
                    grad: &mut g,
                };
                b.minibatch_epoch(&copy, &mut v2, &mut c2, &mut o2, &mut r2, batch)
                    .unwrap();
            }
            assert_eq!(bits(&v1, c1), bits(&v2, c2), "minibatch n={n} d={d}");
        }
    }
}

#[test]
fn scaled_errors_name_the_raw_data() {
    let (mut x, y) = data(10, 2);
    x[7] = f32::NAN;
    let view: Dataset = RowMajor::new(&x, &y, 10, 2).unwrap().into();
    let scaling = Scaling::new(&[1.0, 2.0], &[0.5, 0.25]).unwrap();
    let (mut v, mut c, mut order, mut z) = ([0.0f32; 2], 0.0f32, [0u32; 10], [0.0f32; 2]);
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(1);
    let err = Sgd::new(Plain, Constant(1e-6))
        .epoch_scaled(
            &view, &mut v, &mut c, &mut order, &mut rng, &scaling, &mut z,
        )
        .unwrap_err();
    assert_eq!(
        err,
        Error::NonFiniteData {
            what: What::X,
            row: 3,
            col: 1
        }
    );
    let err = Sgd::new(Plain, Constant(0.01))
        .step_scaled(&mut v, &mut c, &[1.0, f32::INFINITY], 1.0, &scaling, &mut z)
        .unwrap_err();
    assert_eq!(
        err,
        Error::NonFiniteData {
            what: What::X,
            row: 0,
            col: 1
        }
    );
    let short = Scaling::new(&[1.0], &[1.0]).unwrap();
    assert!(matches!(
        Sgd::new(Plain, Constant(0.01)).step_scaled(
            &mut v,
            &mut c,
            &[1.0, 2.0],
            1.0,
            &short,
            &mut z
        ),
        Err(Error::Length { .. })
    ));
}
