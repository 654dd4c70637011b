//! The SIMD kernel and the scalar reference on arbitrary shapes, layouts and raw f32 bits
//! (NaN, ±∞, subnormals, huge and tiny values): both finite and within the documented bound,
//! or both non-finite. Near f32 overflow (the bound itself beyond 1e30) the two may round
//! differently into ∞, so only the absence of panics is checked there.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use steepest::kernels::{bound, reference, simd};
use steepest::{ColMajor, Dataset, Error, RowMajor};

#[derive(Arbitrary, Debug)]
struct Case {
    n: u8,
    d: u8,
    col_major: bool,
    pad: u8,
    b: u32,
    values: Vec<u32>,
}

fuzz_target!(|c: Case| {
    let n = usize::from(c.n % 70) + 1;
    let d = usize::from(c.d % 40) + 1;
    let pad = usize::from(c.pad % 5);
    let mut vals = c.values.iter().map(|&v| value(v)).cycle();
    if c.values.is_empty() {
        return;
    }
    let x: Vec<f32> = (0..n * d).map(|_| vals.next().unwrap_or(0.0)).collect();
    let y: Vec<f32> = (0..n).map(|_| vals.next().unwrap_or(0.0)).collect();
    let w: Vec<f32> = (0..d).map(|_| vals.next().unwrap_or(0.0)).collect();
    let b = f32::from_bits(c.b);
    let ld = n + pad;
    let mut xc = vec![f32::NAN; (d - 1) * ld + n];
    for i in 0..n {
        for j in 0..d {
            xc[j * ld + i] = x[i * d + j];
        }
    }
    let data: Dataset = if c.col_major {
        ColMajor::new(&xc, &y, n, d, ld).unwrap().into()
    } else {
        RowMajor::new(&x, &y, n, d).unwrap().into()
    };
    let (mut gs, mut gr, mut tol) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let s = simd::gradient(&data, &w, b, &mut gs);
    let r = reference::gradient(&data, &w, b, &mut gr);
    let t = bound::tolerance(&data, &w, b, &mut tol).unwrap();
    let overflow = !(t.loss < 1e30 && t.bias < 1e30 && tol.iter().all(|v| *v < 1e30));
    if overflow {
        return;
    }
    match (s, r) {
        (Ok(s), Ok(r)) => {
            assert!(
                (s.loss - r.loss).abs() <= t.loss,
                "loss {} vs {} > {}",
                s.loss,
                r.loss,
                t.loss
            );
            assert!(
                (s.bias - r.bias).abs() <= t.bias,
                "bias {} vs {} > {}",
                s.bias,
                r.bias,
                t.bias
            );
            for j in 0..d {
                assert!(
                    (gs[j] - gr[j]).abs() <= tol[j],
                    "grad[{j}] {} vs {} > {}",
                    gs[j],
                    gr[j],
                    tol[j]
                );
            }
        }
        (Err(Error::NonFinite(_)), Err(Error::NonFinite(_))) => {}
        (s, r) => panic!("disagree: simd {s:?}, reference {r:?}"),
    }
});

/// Three in four inputs are moderate values (|v| < 10³, down to 10⁻³), so the numerical paths
/// are exercised; the fourth is a raw bit pattern (NaN, ±∞, subnormal, huge, tiny).
fn value(v: u32) -> f32 {
    if v % 4 == 0 {
        f32::from_bits(v)
    } else {
        let m = (v >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
        m * [1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3][((v >> 2) % 7) as usize]
    }
}
