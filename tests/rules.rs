//! Each SGD update rule against its scalar reference: given the same gradient, the same bits
//! (the rules are elementwise, and the SIMD lanes run the reference's operations in its
//! order), for the parameters and the optimizer state.

mod common;

use proptest::prelude::*;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro128PlusPlus;
use steepest::sgd::{
    Adam, Averaged, Constant, Grad, Momentum, Normalized, Plain, Sample, Sgd, Update, reference,
};
use steepest::{Dataset, Error, RowMajor, kernels::simd};

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// (w, b, x, g, lr, state 1, state 2)
type Case = (Vec<f32>, f32, Vec<f32>, f32, f32, Vec<f32>, Vec<f32>);

fn case() -> impl Strategy<Value = Case> {
    (1usize..30).prop_flat_map(|d| {
        (
            prop::collection::vec(-2.0f32..2.0, d),
            -2.0f32..2.0,
            prop::collection::vec(-5.0f32..5.0, d),
            -10.0f32..10.0,
            common::rate(1e-4, 0.5),
            prop::collection::vec(-1.0f32..1.0, d + 1),
            prop::collection::vec(0.0f32..1.0, d + 1),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn momentum_matches_reference(
        (w, b, x, g, lr, buf, _v) in case(),
        mu in prop::sample::select(vec![0.0f32, 0.5, 0.9]),
        tau in prop::sample::select(vec![0.0f32, 0.1]),
        nesterov in any::<bool>(),
        wd in prop::sample::select(vec![0.0f32, 1e-3]),
        steps in 1usize..4,
    ) {
        let (mut w1, mut b1, mut buf1) = (w.clone(), b, buf.clone());
        let (mut w2, mut b2, mut buf2) = (w.clone(), b, vec![0.0f32; buf.len()]);
        let mut rule = Momentum::new(mu, tau, nesterov, wd, &mut buf1);
        for k in 0..steps {
            rule.apply(&mut w1, &mut b1, Grad::Sample { x: Sample::Row(&x), g }, lr, k as u64).unwrap();
            reference::momentum(&mut w2, &mut b2, &x, g, lr, (mu, tau, nesterov, wd), &mut buf2, k > 0);
        }
        let v1 = rule.velocity().to_vec();
        prop_assert_eq!(bits(&w1), bits(&w2));
        prop_assert_eq!(b1.to_bits(), b2.to_bits());
        if mu != 0.0 {
            prop_assert_eq!(bits(&v1), bits(&buf2));
        }
    }

    #[test]
    fn adam_matches_reference(
        (w, b, x, g, lr, _m, _v) in case(),
        wd in prop::sample::select(vec![0.0f32, 1e-2]),
        decoupled in any::<bool>(),
        steps in 1usize..4,
    ) {
        let d = w.len();
        let (mut w1, mut b1, mut m1, mut v1) = (w.clone(), b, vec![0.0; d + 1], vec![0.0; d + 1]);
        let (mut w2, mut b2, mut m2, mut v2) = (w.clone(), b, vec![0.0; d + 1], vec![0.0; d + 1]);
        let mut rule = Adam::new(&mut m1, &mut v1);
        rule.weight_decay = wd;
        rule.decoupled = decoupled;
        for k in 1..=steps {
            rule.apply(&mut w1, &mut b1, Grad::Sample { x: Sample::Row(&x), g }, lr, k as u64).unwrap();
            reference::adam(&mut w2, &mut b2, &x, g, lr, (0.9, 0.999, 1e-8, wd, decoupled), &mut m2, &mut v2, k as u64);
        }
        prop_assert_eq!(bits(&w1), bits(&w2));
        prop_assert_eq!(b1.to_bits(), b2.to_bits());
        prop_assert_eq!(bits(&m1), bits(&m2));
        prop_assert_eq!(bits(&v1), bits(&v2));
    }

    #[test]
    fn normalized_matches_reference((w, b, x, g, lr, _m, _v) in case()) {
        let (mut w1, mut b1) = (w.clone(), b);
        let (mut w2, mut b2) = (w.clone(), b);
        Normalized::default().apply(&mut w1, &mut b1, Grad::Sample { x: Sample::Row(&x), g }, lr, 0).unwrap();
        reference::normalized(&mut w2, &mut b2, &x, g, lr, f32::EPSILON);
        prop_assert_eq!(bits(&w1), bits(&w2));
        prop_assert_eq!(b1.to_bits(), b2.to_bits());
    }

    /// The average of the iterates equals their mean computed in f64, within the rounding of
    /// the running update (k steps of θ̄ + (θ − θ̄)/k, each a few u relative to the values).
    #[test]
    fn averaging_tracks_the_mean((w, b, x, g, lr, _m, _v) in case(), start in 0u64..3) {
        let d = w.len();
        let mut avg = vec![7.0f32; d + 1];
        let (mut w1, mut b1) = (w.clone(), b);
        let mut rule = Averaged::new(Plain, start, &mut avg);
        let mut sums = vec![0.0f64; d + 1];
        let mut maxabs = vec![0.0f64; d + 1];
        let steps = 6u64;
        for t in 0..steps {
            rule.apply(&mut w1, &mut b1, Grad::Sample { x: Sample::Row(&x), g: g * 0.01 }, lr, t).unwrap();
            if t >= start {
                for (j, p) in w1.iter().chain([b1].iter()).enumerate() {
                    sums[j] += f64::from(*p);
                    maxabs[j] = maxabs[j].max(f64::from(p.abs()));
                }
            }
        }
        let (aw, ab) = rule.averaged().unwrap();
        let k = (steps - start) as f64;
        for (j, a) in aw.iter().chain([ab].iter()).enumerate() {
            let tol = 4.0 * k * maxabs[j] * f64::from(f32::EPSILON);
            prop_assert!((f64::from(*a) - sums[j] / k).abs() <= tol, "j={} {} vs {}", j, a, sums[j] / k);
        }
    }
}

#[test]
fn rejected_updates_leave_rule_state_bit_identical() {
    let d = 3;
    let (mut m, mut v) = (vec![0.0f32; d + 1], vec![0.0f32; d + 1]);
    let mut adam = Adam::new(&mut m, &mut v);
    let (mut w, mut b) = (vec![0.5f32; d], 0.25f32);
    adam.apply(
        &mut w,
        &mut b,
        Grad::Sample {
            x: Sample::Row(&[1.0, 2.0, 3.0]),
            g: 0.5,
        },
        0.01,
        0,
    )
    .unwrap();
    let before = (bits(&w), b.to_bits(), adam.steps());
    // A gradient so large that g² overflows: v would become ∞.
    let err = adam
        .apply(
            &mut w,
            &mut b,
            Grad::Sample {
                x: Sample::Row(&[1.0, 2.0, 3.0]),
                g: 3e30,
            },
            0.01,
            1,
        )
        .unwrap_err();
    assert!(matches!(err, Error::Rejected { step: 1 }), "{err}");
    assert_eq!((bits(&w), b.to_bits(), adam.steps()), before);
    let _ = adam; // end the borrow of m and v
    let after_first: Vec<u32> = bits(&m);
    let mut m2 = vec![0.0f32; d + 1];
    let mut v2 = vec![0.0f32; d + 1];
    let (mut w2, mut b2) = (vec![0.5f32; d], 0.25f32);
    reference::adam(
        &mut w2,
        &mut b2,
        &[1.0, 2.0, 3.0],
        0.5,
        0.01,
        (0.9, 0.999, 1e-8, 0.0, false),
        &mut m2,
        &mut v2,
        1,
    );
    assert_eq!(
        after_first,
        bits(&m2),
        "state unchanged by the rejected step"
    );
    // Wrong state length.
    let mut short = vec![0.0f32; d];
    let mom = Momentum::new(0.9, 0.0, false, 0.0, &mut short);
    assert!(matches!(mom.check(d), Err(Error::Length { .. })));
}

/// Every rule fits the seed's data (y = 2x) through the stepper.
#[test]
fn every_rule_fits_the_seed_data() {
    let data: Dataset = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)
        .unwrap()
        .into();
    let fit = |u: &mut dyn FnMut(&mut [f32], &mut f32, &mut Xoshiro128PlusPlus), label: &str| {
        let (mut w, mut b) = ([0.0f32], 0.0f32);
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(3);
        u(&mut w, &mut b, &mut rng);
        let loss = simd::gradient(&data, &w, b, &mut [0.0]).unwrap().mse();
        assert!(loss < 1e-4, "{label}: loss {loss}, w {w:?}, b {b}");
    };
    let mut order = [0u32; 4];
    fit(
        &mut |w, b, rng| {
            let mut buf = [0.0f32; 2];
            let mut sgd = Sgd::new(
                Momentum::new(0.9, 0.0, true, 0.0, &mut buf),
                Constant(0.005),
            );
            for _ in 0..500 {
                sgd.epoch(&data, w, b, &mut order, rng).unwrap();
            }
        },
        "nesterov",
    );
    fit(
        &mut |w, b, rng| {
            let (mut m, mut v) = ([0.0f32; 2], [0.0f32; 2]);
            let mut sgd = Sgd::new(Adam::new(&mut m, &mut v), Constant(0.05));
            for _ in 0..1500 {
                sgd.epoch(&data, w, b, &mut order, rng).unwrap();
            }
        },
        "adam",
    );
    fit(
        &mut |w, b, rng| {
            let mut sgd = Sgd::new(Normalized::default(), Constant(0.5));
            for _ in 0..1000 {
                sgd.epoch(&data, w, b, &mut order, rng).unwrap();
            }
        },
        "nlms",
    );
    fit(
        &mut |w, b, rng| {
            let mut avg = [0.0f32; 2];
            let mut sgd = Sgd::new(Averaged::new(Plain, 1000, &mut avg), Constant(0.02));
            for _ in 0..1000 {
                sgd.epoch(&data, w, b, &mut order, rng).unwrap();
            }
            let (aw, ab) = sgd.update.averaged().unwrap();
            w.copy_from_slice(aw);
            *b = ab;
        },
        "averaged",
    );
}
