//! Golden bits: the kernels' results, pinned. CI runs this file in the default (SSE2) build and
//! with `-C target-cpu=native` (AVX2/FMA/AVX-512), and the firmware check compares a Cortex-M
//! run with the host: the same bits everywhere is the crate's floating-point contract.
//! (With the opt-in `fma` feature the bits legitimately differ, so the test is skipped there.)

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro128PlusPlus;
use steepest::kernels::simd;
use steepest::{ColMajor, Dataset, GradientDescent, RowMajor};

/// Values in [-1, 1) from the top 24 bits of the generator: exact in f32 on every target.
fn values(rng: &mut Xoshiro128PlusPlus, k: usize) -> Vec<f32> {
    (0..k)
        .map(|_| (rng.next_u32() >> 8) as f32 / (1u32 << 23) as f32 - 1.0)
        .collect()
}

/// FNV-1a over the bits of every result of one pass and of a short GD fit.
fn fingerprint(data: &Dataset<'_>, w: &[f32]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut eat = |bits: u64| {
        for byte in bits.to_le_bytes() {
            h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    let mut g = vec![0.0; w.len()];
    let s = simd::gradient(data, w, 0.125, &mut g).unwrap();
    eat(s.loss.to_bits());
    eat(s.bias.to_bits());
    g.iter().for_each(|v| eat(v.to_bits()));
    let (mut wf, mut b) = (w.to_vec(), 0.0f32);
    let gd = GradientDescent {
        learning_rate: 0.05,
        max_epochs: 20,
        tolerance: None,
    };
    let report = gd.fit(data, &mut wf, &mut b, &mut g).unwrap();
    eat(report.loss.to_bits());
    wf.iter().for_each(|v| eat(u64::from(v.to_bits())));
    eat(u64::from(b.to_bits()));
    h
}

#[test]
#[cfg_attr(
    feature = "fma",
    ignore = "the fma feature gives up bit identity across builds"
)]
fn results_have_the_pinned_bits() {
    let golden: [(usize, usize, u64, u64); 17] = [
        (1003, 1, 0x4de00561ef359db2, 0x4de00561ef359db2),
        (1003, 3, 0x8cd709f62782a4a0, 0x8cd709f62782a4a0),
        (1003, 8, 0x57e3621377fd9540, 0xf6a2883e3dde9094),
        (1003, 13, 0x49662d067365ed42, 0xe1c0aa3922a5f6a3),
        (1003, 37, 0x848baac79f8b829a, 0x7cf4cd11c02fc7fa),
        (77, 300, 0x29cda067b6054d96, 0xe242b75b3205fd1c),
        (1003, 4, 0x036606039f938c80, 0x036606039f938c80),
        (1003, 2, 0x3d94d6a1d1e798dd, 0x3d94d6a1d1e798dd),
        (1003, 7, 0xbb65d5b76784a483, 0xbb65d5b76784a483),
        (1003, 16, 0xa14a4b1168fd6cb3, 0x5943c93a85305fa0),
        (1003, 32, 0x71e4930e24f83646, 0xd79e1c2d3d03d14c),
        (65603, 16, 0x2b748b8edc2f77a3, 0x9eb871cb2abdb123),
        (1003, 40, 0xacfcf8285f69bdfb, 0x71bcf121019c87d3),
        (1003, 56, 0xa21fdbd5d7cdb03d, 0x2d8edfe683b0eaf3),
        (1003, 64, 0x0ae3919abc90c36f, 0x75d37b1a03effec3),
        (5003, 5, 0x0c49f28bba896940, 0x0c49f28bba896940),
        (4099, 8, 0xbefe538ba2dc5b05, 0xf9c204dea3853dc8),
    ];
    let mut rng = Xoshiro128PlusPlus::seed_from_u64(2026);
    let mut actual = Vec::new();
    for &(n, d, _, _) in &golden {
        let x = values(&mut rng, n * d);
        let y = values(&mut rng, n);
        let w = values(&mut rng, d);
        let rm = RowMajor::new(&x, &y, n, d).unwrap();
        let ld = n + 5;
        let mut xc = vec![0.0f32; d * ld];
        for i in 0..n {
            for j in 0..d {
                xc[j * ld + i] = x[i * d + j];
            }
        }
        let cm = ColMajor::new(&xc, &y, n, d, ld).unwrap();
        actual.push((
            n,
            d,
            fingerprint(&rm.into(), &w),
            fingerprint(&cm.into(), &w),
        ));
    }
    let show: Vec<String> = actual
        .iter()
        .map(|(n, d, a, b)| format!("({n}, {d}, {a:#018x}, {b:#018x}),"))
        .collect();
    assert_eq!(actual, golden, "actual:\n{}", show.join("\n"));
}
