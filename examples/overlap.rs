#![allow(missing_docs)]
//! Development probe (not documented API): how much of a streaming loop's arithmetic this
//! machine hides behind its memory reads, with no kernel of this crate involved.
//!
//! Every loop reads the same f32 buffer once per call, eight values per vector, and does `K`
//! independent multiplications per vector (`K = 0` is the plain read). Variants: a software
//! prefetch 4 KiB ahead (`+pf`), and a tiled two-sweep loop like the wide row-major kernel
//! (read a 16 KiB tile, then re-read it from L1 with two multiplications per vector; `+next`
//! fetches the next tile into L2 during the second sweep). Each loop is timed in cache (32 KiB)
//! and at `OVERLAP_BYTES` (default 512 MiB, on huge pages), in rounds that alternate all
//! loops; the medians are printed in ns per value, and at the large size also as a ratio to
//! the read and to the read plus the loop's in-cache time (1 = no overlap at all).
//!
//! ```sh
//! RUSTFLAGS="-C target-cpu=native" cargo run --release --example overlap
//! ```
#[macro_use]
#[path = "common/stdout.rs"]
mod stdout;

#[path = "../benches/support/huge.rs"]
mod huge;
use std::hint::black_box;
use std::time::Instant;
use wide::f32x8;

/// `prefetcht1` (`L2`) or `prefetcht0` (x86), or nothing.
#[inline(always)]
fn fetch<const L2: bool, T>(v: &T) {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if L2 {
        safe_arch::prefetch_t1(v);
    } else {
        safe_arch::prefetch_t0(v);
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    let _ = v;
}

/// `K` independent products of the vector, folded by `max` (no long chain).
#[inline(always)]
fn products<const K: usize>(v: f32x8, m: f32x8) -> f32x8 {
    let mut s = v;
    let mut mk = m;
    for _ in 0..K {
        s = s.max(v * mk);
        mk += m;
    }
    s
}

/// One pass, `K` products per vector; with `PF`, the line 4 KiB ahead is requested every
/// other vector.
#[inline(never)]
fn stream<const K: usize, const PF: bool>(x: &[[f32; 8]], m: f32x8) -> f32 {
    let mut acc = [f32x8::ZERO; 4];
    for (i, q) in x.as_chunks::<4>().0.iter().enumerate() {
        if PF {
            if let Some(p) = x.get(4 * i + 128) {
                fetch::<false, _>(p);
            }
            if let Some(p) = x.get(4 * i + 130) {
                fetch::<false, _>(p);
            }
        }
        for (a, v) in acc.iter_mut().zip(q) {
            *a += products::<K>(f32x8::new(*v), m);
        }
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3]))
        .to_array()
        .iter()
        .sum()
}

/// Tiles of 512 vectors (16 KiB): a plain read of the tile, then a second sweep from L1 with
/// two products per vector; with `NEXT`, the next tile's lines go to L2 during that sweep.
#[inline(never)]
fn tiled<const NEXT: bool>(x: &[[f32; 8]], m: f32x8) -> f32 {
    const T: usize = 512;
    let mut acc = [f32x8::ZERO; 4];
    let mut out = f32x8::ZERO;
    for (ti, tile) in x.chunks(T).enumerate() {
        for q in tile.as_chunks::<4>().0 {
            for (a, v) in acc.iter_mut().zip(q) {
                *a += f32x8::new(*v);
            }
        }
        let next = x.get((ti + 1) * T..).unwrap_or(&[]);
        for (i, q) in tile.as_chunks::<4>().0.iter().enumerate() {
            if NEXT {
                if let Some(p) = next.get(4 * i) {
                    fetch::<true, _>(p);
                }
                if let Some(p) = next.get(4 * i + 2) {
                    fetch::<true, _>(p);
                }
            }
            for v in q {
                out += products::<2>(f32x8::new(*v), m);
            }
        }
    }
    ((acc[0] + acc[1]) + (acc[2] + out)).to_array().iter().sum()
}

type Loop = (&'static str, fn(&[[f32; 8]], f32x8) -> f32);

const LOOPS: [Loop; 9] = [
    ("read", stream::<0, false>),
    ("k1", stream::<1, false>),
    ("k2", stream::<2, false>),
    ("k4", stream::<4, false>),
    ("k2+pf", stream::<2, true>),
    ("k4+pf", stream::<4, true>),
    ("read+pf", stream::<0, true>),
    ("tiled", tiled::<false>),
    ("tiled+next", tiled::<true>),
];

/// Median ns per value of every loop over `rounds` alternating rounds.
fn measure(bytes: usize, rounds: usize) -> Vec<f64> {
    let buf = huge::Buf::from_iter(bytes / 4, (0..bytes / 4).map(|k| (k % 7) as f32));
    let x = buf.as_chunks::<8>().0;
    let m = f32x8::splat(black_box(0.999));
    let values = (bytes / 4) as f64;
    let reps = (16_000_000.0 / values).max(1.0) as usize;
    let mut t = vec![Vec::new(); LOOPS.len()];
    for _ in 0..rounds {
        for (ts, (_, f)) in t.iter_mut().zip(LOOPS) {
            let start = Instant::now();
            for _ in 0..reps {
                black_box(f(black_box(x), m));
            }
            ts.push(start.elapsed().as_nanos() as f64 / reps as f64 / values);
        }
    }
    t.into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect()
}

fn main() {
    let bytes: usize = std::env::var("OVERLAP_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512 << 20);
    let cache = measure(32 << 10, 31);
    let far = measure(bytes, 9);
    outln!("loop        32 KiB   {bytes} B   ÷ read   ÷ (read + in-cache)");
    for (((name, _), c), f) in LOOPS.iter().zip(&cache).zip(&far) {
        outln!(
            "{name:<10} {c:>7.3} {f:>10.3} {:>8.2} {:>8.2}",
            f / far[0],
            f / (far[0] + c)
        );
    }
}
