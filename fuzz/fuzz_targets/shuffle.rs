//! Arbitrary seed and length: a true permutation, the same for the same seed; the in-place
//! row shuffle moves whole rows the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;

fuzz_target!(|input: (u64, u16, u8)| {
    let (seed, len, d) = input;
    let n = usize::from(len);
    let d = usize::from(d % 4) + 1;
    let mut a = vec![0u32; n];
    let mut b = vec![0u32; n];
    steepest::permutation(&mut a, &mut Xoshiro128PlusPlus::seed_from_u64(seed)).unwrap();
    steepest::permutation(&mut b, &mut Xoshiro128PlusPlus::seed_from_u64(seed)).unwrap();
    assert_eq!(a, b);
    let mut seen = vec![false; n];
    for &i in &a {
        assert!(
            !std::mem::replace(&mut seen[i as usize], true),
            "index {i} twice"
        );
    }
    let mut x: Vec<f32> = (0..n * d).map(|k| k as f32).collect();
    let mut y: Vec<f32> = (0..n).map(|i| i as f32).collect();
    steepest::shuffle_rows(
        &mut x,
        &mut y,
        d,
        &mut Xoshiro128PlusPlus::seed_from_u64(seed),
    )
    .unwrap();
    for (k, &i) in a.iter().enumerate() {
        assert_eq!(y[k], i as f32);
        assert_eq!(x[k * d], (i as usize * d) as f32);
    }
});
