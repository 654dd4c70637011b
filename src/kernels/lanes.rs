//! Lane helpers: the only code that builds `f32x8` values from data and sums lanes.
//!
//! Every horizontal sum here has one fixed order, written out, so results do not depend on
//! the SIMD backend `wide` was compiled with. Data movement may differ between backends
//! (AVX's 256-bit shuffles, SSE's 128-bit ones, lane by lane elsewhere), the arithmetic never
//! does.

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

/// `a.map(f)`, inlined into the caller in every build. Core's `array::map` is not
/// `#[inline]`: with several codegen units (cargo's default release profile, the one a
/// dependent builds this crate with) its instances land in other units than the kernels
/// and every map inside a kernel loop stays a call.
#[inline(always)]
pub(crate) fn amap<T: Copy, U: Copy + Default, const N: usize>(
    a: [T; N],
    mut f: impl FnMut(T) -> U,
) -> [U; N] {
    let mut out = [U::default(); N];
    for (o, &x) in out.iter_mut().zip(&a) {
        *o = f(x);
    }
    out
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
/// With AVX: a reduction tree of pairwise sums, which is [`tree8`]'s tree. Level one adds
/// neighbouring lanes (`vhaddps` of two rows gives `a0+a1, a2+a3, b0+b1, b2+b3` in each
/// 128-bit half), level two adds those pairs, level three adds the two halves of every row:
/// 14 shuffles and 7 adds, against 24 shuffles for a transpose followed by the same adds.
/// With SSE but not AVX the same tree runs on 128-bit halves; elsewhere (Cortex-M) each row
/// is summed from its array. The additions, and so the bits, are the same every way.
#[inline(always)]
pub(crate) fn hsum8(v: [f32x8; 8]) -> f32x8 {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx"
    ))]
    {
        use safe_arch::{add_horizontal_m256 as hadd, m256, permute2z_m256};
        let [a0, a1, a2, a3, a4, a5, a6, a7] = amap(v, |r| m256::from_array(r.to_array()));
        let (p, q) = (
            hadd(hadd(a0, a1), hadd(a2, a3)),
            hadd(hadd(a4, a5), hadd(a6, a7)),
        );
        // Rows 0–3 then 4–7: their low halves' sums, then their high halves' sums.
        let lo = permute2z_m256::<0x20>(p, q);
        let hi = permute2z_m256::<0x31>(p, q);
        f32x8::new(lo.to_array()) + f32x8::new(hi.to_array())
    }
    // SSE2: the same tree on each 128-bit half, `vhaddps` written as two `shufps` and an add
    // (summing each row from its array made default-build row-major d = 8 and 16 take 1.2×
    // and 1.14× as long).
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse",
        not(target_feature = "avx")
    ))]
    {
        use safe_arch::{add_m128, m128, shuffle_abi_f32_all_m128 as shuffle};
        // [a0+a1, a2+a3, b0+b1, b2+b3]
        let hadd = |a: m128, b: m128| {
            add_m128(
                shuffle::<0b10_00_10_00>(a, b),
                shuffle::<0b11_01_11_01>(a, b),
            )
        };
        let [h0, h1, h2, h3, h4, h5, h6, h7] = amap(v, |r| halves(r.to_array()));
        // Rows 0–3 (p) and 4–7 (q): each row's low half summed in the low half's result,
        // its high half in the high half's.
        let half = |a: (m128, m128), b: (m128, m128), c: (m128, m128), d: (m128, m128)| {
            (
                hadd(hadd(a.0, b.0), hadd(c.0, d.0)),
                hadd(hadd(a.1, b.1), hadd(c.1, d.1)),
            )
        };
        let (p, q) = (half(h0, h1, h2, h3), half(h4, h5, h6, h7));
        let [l0, l1, l2, l3] = add_m128(p.0, p.1).to_array();
        let [l4, l5, l6, l7] = add_m128(q.0, q.1).to_array();
        f32x8::new([l0, l1, l2, l3, l4, l5, l6, l7])
    }
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse"
    )))]
    {
        f32x8::new(amap(v, |r| tree8(r.to_array())))
    }
}

/// Eight values as two 128-bit halves: lanes 0–3, then lanes 4–7.
#[cfg(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "sse",
    not(target_feature = "avx")
))]
#[inline(always)]
fn halves([a0, a1, a2, a3, a4, a5, a6, a7]: [f32; 8]) -> (safe_arch::m128, safe_arch::m128) {
    use safe_arch::m128;
    (
        m128::from_array([a0, a1, a2, a3]),
        m128::from_array([a4, a5, a6, a7]),
    )
}

/// The lanes widened to f64 and summed in [`tree8`]'s order: the fold of a tile's f32
/// partial sums (a tree, not a chain, so the fold does not stall the next tile).
#[inline(always)]
pub(crate) fn widen_sum(v: f32x8) -> f64 {
    let [a0, a1, a2, a3, a4, a5, a6, a7] = amap(v.to_array(), f64::from);
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
/// is `rows[k][j]`. With AVX, eight loads and one transpose (wide's; without AVX it moves lane
/// by lane); with SSE only, four 4×4 transposes of 128-bit quarters; otherwise lane by lane.
/// Only data moves: the values are the same every way.
#[inline(always)]
pub(crate) fn columns8(rows: [&[f32; 8]; 8]) -> [f32x8; 8] {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx"
    ))]
    {
        f32x8::transpose(amap(rows, load))
    }
    // SSE: four 4×4 transposes of 128-bit quarters (`_MM_TRANSPOSE4_PS`, eight shuffles each).
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse",
        not(target_feature = "avx")
    ))]
    {
        use safe_arch::{m128, transpose_four_m128};
        let [h0, h1, h2, h3, h4, h5, h6, h7] = amap(rows, |r| halves(*r));
        let t = |mut a: m128, mut b: m128, mut c: m128, mut d: m128| {
            transpose_four_m128(&mut a, &mut b, &mut c, &mut d);
            amap([a, b, c, d], m128::to_array)
        };
        // Columns 0–3 and 4–7 of rows 0–3 (top) and 4–7 (bottom).
        let (lo_top, lo_bot) = (t(h0.0, h1.0, h2.0, h3.0), t(h4.0, h5.0, h6.0, h7.0));
        let (hi_top, hi_bot) = (t(h0.1, h1.1, h2.1, h3.1), t(h4.1, h5.1, h6.1, h7.1));
        let join = |[a0, a1, a2, a3]: [f32; 4], [a4, a5, a6, a7]: [f32; 4]| {
            f32x8::new([a0, a1, a2, a3, a4, a5, a6, a7])
        };
        let [c0, c1, c2, c3] = amap([0, 1, 2, 3], |j| {
            join(
                lo_top.get(j).copied().unwrap_or_default(),
                lo_bot.get(j).copied().unwrap_or_default(),
            )
        });
        let [c4, c5, c6, c7] = amap([0, 1, 2, 3], |j| {
            join(
                hi_top.get(j).copied().unwrap_or_default(),
                hi_bot.get(j).copied().unwrap_or_default(),
            )
        });
        [c0, c1, c2, c3, c4, c5, c6, c7]
    }
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse"
    )))]
    {
        columns_by_row(rows)
    }
}

/// Eight rows of four values turned into four columns (lane `k` of `result[j]` is
/// `rows[k][j]`). With AVX: rows `k` and `k + 4` loaded as the two halves of one vector,
/// then a 4×4 transpose inside each half (eight shuffles, against 24 for [`columns8`]);
/// otherwise lane by lane. Only data moves.
#[inline(always)]
pub(crate) fn columns_of_4(rows: &[[f32; 4]; 8]) -> [f32x8; 4] {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx"
    ))]
    {
        columns_of_4_at(rows.each_ref())
    }
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx"
    )))]
    {
        columns_by_value::<4>(rows.as_flattened())
    }
}

/// [`columns_of_4`] for eight rows anywhere in memory.
#[inline(always)]
pub(crate) fn columns_of_4_at(rows: [&[f32; 4]; 8]) -> [f32x8; 4] {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx"
    ))]
    {
        use safe_arch::load_unaligned_hi_lo_m256 as halves;
        let [r0, r1, r2, r3, r4, r5, r6, r7] = rows;
        // [row k | row k+4] for k = 0..4.
        transpose_halves([
            halves(r4, r0),
            halves(r5, r1),
            halves(r6, r2),
            halves(r7, r3),
        ])
    }
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx"
    )))]
    {
        columns_by_row(rows)
    }
}

/// A 4×4 transpose inside each 128-bit half of four vectors: lane `i` of half `h` of result
/// `j` is lane `j` of half `h` of `v[i]`. Eight unpacks.
#[cfg(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "avx"
))]
#[inline(always)]
fn transpose_halves(v: [safe_arch::m256; 4]) -> [f32x8; 4] {
    use safe_arch::{
        cast_to_m256_from_m256d as ps, cast_to_m256d_from_m256 as pd, unpack_hi_m256,
        unpack_hi_m256d, unpack_lo_m256, unpack_lo_m256d,
    };
    let [v0, v1, v2, v3] = v;
    // Per half: values 0 and 1 (lo) and 2 and 3 (hi) of vectors (0, 1) and (2, 3).
    let (a, b) = (pd(unpack_lo_m256(v0, v1)), pd(unpack_lo_m256(v2, v3)));
    let (c, e) = (pd(unpack_hi_m256(v0, v1)), pd(unpack_hi_m256(v2, v3)));
    let v = [
        unpack_lo_m256d(a, b),
        unpack_hi_m256d(a, b),
        unpack_lo_m256d(c, e),
        unpack_hi_m256d(c, e),
    ];
    amap(v, |v| f32x8::new(ps(v).to_array()))
}

/// Eight rows of three values, as three whole vectors (`x[0..24]` of the group), turned into
/// three columns (lane `k` of `result[j]` is row `k`'s value `j`). With AVX2, value `3k + j`
/// sits at lane `(3k + j) mod 8` of vector `(3k + j) / 8`, and those lanes differ for the eight
/// rows (3 and 8 are coprime): two blends gather a column's values into one vector and one
/// `vpermps` puts them in row order. Nine shuffles and blends, against eight loads and 24
/// shuffles for [`columns8`]. Otherwise lane by lane. Only data moves.
#[inline(always)]
pub(crate) fn columns_of_3(v: &[[f32; 8]; 3]) -> [f32x8; 3] {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx2"
    ))]
    {
        use safe_arch::{blend_m256, m256, m256i, shuffle_av_f32_all_m256};
        let [v0, v1, v2] = amap(*v, m256::from_array);
        // Lane k of column j comes from lane (3k + j) mod 8.
        let order = |j: i32| m256i::from(amap([0, 1, 2, 3, 4, 5, 6, 7], |k| (3 * k + j) % 8));
        // Column 0: lanes 1, 4, 7 from v1 and 2, 5 from v2; column 1: 2, 5 from v1 and 0, 3,
        // 6 from v2; column 2: 0, 3, 6 from v1 and 1, 4, 7 from v2; the rest from v0.
        let c0 = blend_m256::<0b0010_0100>(blend_m256::<0b1001_0010>(v0, v1), v2);
        let c1 = blend_m256::<0b0100_1001>(blend_m256::<0b0010_0100>(v0, v1), v2);
        let c2 = blend_m256::<0b1001_0010>(blend_m256::<0b0100_1001>(v0, v1), v2);
        amap([(c0, 0), (c1, 1), (c2, 2)], |(c, j)| {
            f32x8::new(shuffle_av_f32_all_m256(c, order(j)).to_array())
        })
    }
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx2"
    )))]
    {
        columns_by_value::<3>(v.as_flattened())
    }
}

/// Eight rows of `D` values, one after the other in `flat`, turned into `D` columns value by
/// value: lane `k` of `result[j]` is `flat[D·k + j]` (zero past the end). The fallback of the
/// gathers where there is no shuffle to do it with.
#[inline(always)]
pub(crate) fn columns_by_value<const D: usize>(flat: &[f32]) -> [f32x8; D] {
    core::array::from_fn(|j| {
        f32x8::new(core::array::from_fn(|k| {
            flat.get(D * k + j).copied().unwrap_or(0.0)
        }))
    })
}

/// Eight rows of `N` values anywhere in memory turned into `N` columns value by value: lane
/// `k` of `result[j]` is `rows[k][j]`. The fallback of [`columns8`] and [`columns_of_4_at`].
#[cfg(not(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "avx"
)))]
#[inline(always)]
fn columns_by_row<const N: usize>(rows: [&[f32; N]; 8]) -> [f32x8; N] {
    core::array::from_fn(|j| f32x8::new(amap(rows, |r| r.get(j).copied().unwrap_or(0.0))))
}

/// Lane `p` of [`columns_of_4_interleaved`]'s columns holds row `INTERLEAVED[p]` of the eight.
pub(crate) const INTERLEAVED: [usize; 8] = [0, 2, 4, 6, 1, 3, 5, 7];

/// Whether row-major `d = 4` takes [`columns_of_4_interleaved`]: with AVX2, where `y` follows
/// the rows' order in one shuffle ([`interleave`]). Elsewhere [`columns_of_4`] gives the rows in
/// order. The sums are folded in row order either way ([`deinterleave`]), so the bits agree.
pub(crate) const INTERLEAVES: bool = cfg!(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "avx2"
));

/// Eight rows of four values, as four whole vectors (rows `2k` and `2k + 1` in `q[k]`), turned
/// into four columns with the rows in the lanes in the order [`INTERLEAVED`]: with AVX, the
/// eight unpacks of [`columns_of_4`] without its four half-vector inserts, which is what the
/// order costs; otherwise lane by lane. Only data moves.
#[inline(always)]
pub(crate) fn columns_of_4_interleaved(q: &[[f32; 8]; 4]) -> [f32x8; 4] {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx"
    ))]
    {
        // Vector k is [row 2k | row 2k+1]: the transpose leaves rows 0, 2, 4, 6 in the low
        // halves and 1, 3, 5, 7 in the high ones.
        transpose_halves(amap(*q, safe_arch::m256::from_array))
    }
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx"
    )))]
    {
        let flat = q.as_flattened();
        core::array::from_fn(|j| {
            f32x8::new(amap(INTERLEAVED, |k| {
                flat.get(4 * k + j).copied().unwrap_or(0.0)
            }))
        })
    }
}

/// `v`'s lanes in the order [`INTERLEAVED`] (AVX2: one `vpermps`).
#[inline(always)]
pub(crate) fn interleave(v: &[f32; 8]) -> f32x8 {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx2"
    ))]
    {
        use safe_arch::{m256, m256i, shuffle_av_f32_all_m256};
        let order = m256i::from(amap(INTERLEAVED, |k| k as i32));
        f32x8::new(shuffle_av_f32_all_m256(m256::from_array(*v), order).to_array())
    }
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx2"
    )))]
    {
        f32x8::new(amap(INTERLEAVED, |k| v.get(k).copied().unwrap_or(0.0)))
    }
}

/// The inverse of [`interleave`]: lanes in the order [`INTERLEAVED`] put back in row order.
#[inline(always)]
pub(crate) fn deinterleave(v: f32x8) -> f32x8 {
    let a = v.to_array();
    let mut out = [0.0; 8];
    for (&k, x) in INTERLEAVED.iter().zip(a) {
        if let Some(o) = out.get_mut(k) {
            *o = x;
        }
    }
    f32x8::new(out)
}

/// Eight rows of two values, given as four pairs of rows (`pairs[m]` holds rows `2m` and
/// `2m + 1`), turned into two columns as [`columns_of_4`] does: with AVX, rows `0–1 | 4–5`
/// and `2–3 | 6–7` as two vectors, then one shuffle per column.
#[inline(always)]
pub(crate) fn columns_of_2(pairs: &[[f32; 4]; 4]) -> [f32x8; 2] {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx"
    ))]
    {
        use safe_arch::{load_unaligned_hi_lo_m256 as halves, shuffle_m256};
        let [p0, p1, p2, p3] = pairs;
        let (h0, h1) = (halves(p2, p0), halves(p3, p1));
        let v = [
            shuffle_m256::<0b10_00_10_00>(h0, h1),
            shuffle_m256::<0b11_01_11_01>(h0, h1),
        ];
        amap(v, |v| f32x8::new(v.to_array()))
    }
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx"
    )))]
    {
        // Lane k of column j is pairs[k / 2][2·(k mod 2) + j].
        columns_by_value::<2>(pairs.as_flattened())
    }
}

/// Whether [`prefetch`] does anything on this target (callers skip the address arithmetic
/// where it does not).
pub(crate) const PREFETCHES: bool = cfg!(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "sse"
));

/// Asks the cache for the line holding `v` without waiting for it (x86's `prefetcht0`, through
/// `safe_arch`'s safe wrapper); a no-op elsewhere. It changes no value, only timing.
#[inline(always)]
pub(crate) fn prefetch<T>(v: &T) {
    fetch::<false, T>(v);
}

/// [`prefetch`] into L2 (`prefetcht1`): for data wanted soon but not before what L1 holds.
#[inline(always)]
pub(crate) fn prefetch_l2<T>(v: &T) {
    fetch::<true, T>(v);
}

#[inline(always)]
fn fetch<const L2: bool, T>(v: &T) {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse"
    ))]
    if L2 {
        safe_arch::prefetch_t1(v);
    } else {
        safe_arch::prefetch_t0(v);
    }
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse"
    )))]
    let _ = v;
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // a test may panic: that is how it fails
mod tests {
    use super::*;
    use core::array;

    /// Distinct values: lane `k` of row `r` is `8r + k`.
    fn rows() -> [[f32; 4]; 8] {
        array::from_fn(|r| array::from_fn(|j| (8 * r + j) as f32))
    }

    #[test]
    fn interleaved_columns_hold_the_rows_in_the_interleaved_order() {
        let rows = rows();
        let q: [[f32; 8]; 4] = array::from_fn(|k| array::from_fn(|l| rows[2 * k + l / 4][l % 4]));
        let cols = columns_of_4_interleaved(&q);
        let plain = columns_of_4(&rows);
        for j in 0..4 {
            let want: [f32; 8] = INTERLEAVED.map(|r| rows[r][j]);
            assert_eq!(cols[j].to_array(), want, "feature {j}");
            assert_eq!(deinterleave(cols[j]).to_array(), plain[j].to_array());
        }
    }

    #[test]
    fn columns_of_3_are_the_rows_values_in_order() {
        let x: [f32; 24] = array::from_fn(|i| i as f32);
        let v: [[f32; 8]; 3] = array::from_fn(|m| array::from_fn(|l| x[8 * m + l]));
        let cols = columns_of_3(&v);
        for j in 0..3 {
            let want: [f32; 8] = array::from_fn(|k| x[3 * k + j]);
            assert_eq!(cols[j].to_array(), want, "feature {j}");
        }
    }

    #[test]
    fn interleave_and_deinterleave_are_inverse() {
        let v: [f32; 8] = array::from_fn(|k| k as f32 + 0.5);
        assert_eq!(interleave(&v).to_array(), INTERLEAVED.map(|k| v[k]));
        assert_eq!(deinterleave(interleave(&v)).to_array(), v);
    }
}
