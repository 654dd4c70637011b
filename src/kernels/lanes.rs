//! Lane helpers: the only code that builds `f32x8` values from data and sums lanes.
//!
//! Every horizontal sum here has one fixed order, written out, so results do not depend on
//! the SIMD backend `wide` was compiled with. Data movement may differ between backends
//! (`f32x8::transpose` with AVX, lane-by-lane without), the arithmetic never does.

use core::array;

use wide::f32x8;

/// `a·b + c`, lane-wise: a multiply then an add, two roundings (one with feature `fma`).
#[inline(always)]
pub(crate) fn madd(a: f32x8, b: f32x8, c: f32x8) -> f32x8 {
    #[cfg(feature = "fma")]
    {
        a.mul_add(b, c)
    }
    #[cfg(not(feature = "fma"))]
    {
        a * b + c
    }
}

/// Scalar twin of [`madd`].
#[inline(always)]
pub(crate) fn smadd(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(feature = "fma")]
    {
        libm::fmaf(a, b, c)
    }
    #[cfg(not(feature = "fma"))]
    {
        a * b + c
    }
}

/// Eight lanes from an array.
#[inline(always)]
pub(crate) fn load(a: &[f32; 8]) -> f32x8 {
    f32x8::new(*a)
}

/// Eight lanes from `s[8v..8v+8]`; zero lanes if that is out of bounds, which the callers'
/// loop bounds rule out (it keeps the load free of panics without a proof the compiler
/// cannot see).
#[inline(always)]
pub(crate) fn load_at(s: &[[f32; 8]], v: usize) -> f32x8 {
    s.get(v).map_or(f32x8::ZERO, load)
}

/// The fixed-order sum of eight values: `((a0+a1)+(a2+a3)) + ((a4+a5)+(a6+a7))`.
#[inline(always)]
pub(crate) fn tree8(a: [f32; 8]) -> f32 {
    let [a0, a1, a2, a3, a4, a5, a6, a7] = a;
    ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
}

/// Lane `k` of the result is [`tree8`] of `v[k]`'s lanes: eight horizontal sums at once.
///
/// With AVX: one transpose and seven vector adds in the same tree. Without AVX, `wide`'s
/// transpose is lane-by-lane and slow, so each row is summed from its array instead; the
/// additions, and so the bits, are the same.
#[inline(always)]
pub(crate) fn hsum8(v: [f32x8; 8]) -> f32x8 {
    if cfg!(target_feature = "avx") {
        let [t0, t1, t2, t3, t4, t5, t6, t7] = f32x8::transpose(v);
        ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7))
    } else {
        f32x8::new(v.map(|r| tree8(r.to_array())))
    }
}

/// The lanes widened to f64 and summed in [`tree8`]'s order: the fold of a tile's f32
/// partial sums (a tree, not a chain, so the fold does not stall the next tile).
#[inline(always)]
pub(crate) fn widen_sum(v: f32x8) -> f64 {
    let [a0, a1, a2, a3, a4, a5, a6, a7] = v.to_array().map(f64::from);
    ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
}

/// Adds each lane to the f64 element it stands for: `g[l] += v[l]`.
#[inline(always)]
pub(crate) fn widen_add(g: &mut [f64; 8], v: f32x8) {
    for (gl, l) in g.iter_mut().zip(v.to_array()) {
        *gl += f64::from(l);
    }
}

/// Eight rows' values at the same eight offsets, turned into columns: lane `k` of `result[j]`
/// is `rows[k][j]`. With AVX, eight loads and one transpose; otherwise lane by lane (wide's
/// transpose without AVX is no faster). Only data moves: the values are the same either way.
#[inline(always)]
pub(crate) fn columns8(rows: [&[f32; 8]; 8]) -> [f32x8; 8] {
    if cfg!(target_feature = "avx") {
        f32x8::transpose(rows.map(load))
    } else {
        array::from_fn(|j| f32x8::new(rows.map(|r| r.get(j).copied().unwrap_or(0.0))))
    }
}

/// Asks the cache for the line holding `v` without waiting for it (x86's `prefetcht0`, through
/// `safe_arch`'s safe wrapper); a no-op elsewhere. It changes no value, only timing.
#[inline(always)]
pub(crate) fn prefetch<T>(v: &T) {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse"
    ))]
    safe_arch::prefetch_t0(v);
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse"
    )))]
    let _ = v;
}
