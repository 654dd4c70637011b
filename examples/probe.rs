#![allow(missing_docs)]
//! Development probe (not documented API): min-of-many timing of the fused kernel per shape
//! (`PROBE_BYTES` of X, default 32 KiB; `PROBE_READ=1` adds the benches' plain read of X and y,
//! `PROBE_REF=1` the scalar reference and its ratio).
//!
//! `PROBE_PAIRS=N` instead times the fused kernel and one other side back to back, N rounds
//! in alternating order, and prints the median (and range) of the per-round ratios: the other
//! side is the benches' read (default), `PROBE_OTHER=lockstep` (a read that takes each eight
//! samples' values of every column and y side by side, as one pass must), `PROBE_OTHER=tiled`
//! (column-major: each column's run of `PROBE_TILE` vectors in turn; with `PROBE_THREADS`
//! each half of the rows on one thread), `PROBE_OTHER=tiled_ahead` (the same, asking for the
//! next tile into L2 as the kernel does), `PROBE_OTHER=ref`
//! (the scalar reference) or `PROBE_OTHER=serial` (the one-thread kernel, against the
//! parallel pass with `PROBE_THREADS`). `PROBE_HANDOFF=1` with `PROBE_THREADS=2` prints one
//! thread's time ÷ the pool's, and the most that ratio can be when rayon hands half of a
//! one-thread pass's time to the other thread (`handoff`). `PROBE_YOFF=k` starts `y` `k`
//! values into its buffer, moving it against `x` within their pages. This machine slows down
//! by up to 2× for seconds at a time; a ratio of neighbouring timings is unmoved by that, a
//! ratio of two minima is not.
#[macro_use]
#[path = "common/stdout.rs"]
mod stdout;

#[path = "../benches/support/huge.rs"]
mod huge;
use std::hint::black_box;
use std::time::Instant;
use steepest::{ColMajor, Dataset, RowMajor, kernels::simd};
fn main() {
    // PROBE_THREADS=t (feature `parallel`): everything runs inside a pool of t threads, as a
    // fit inside `ThreadPool::install` does, so no call pays for handing work to the pool.
    #[cfg(feature = "parallel")]
    if let Some(t) = threads() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap();
        return pool.install(probe);
    }
    probe();
}

/// PROBE_THREADS, if set.
#[cfg(feature = "parallel")]
fn threads() -> Option<usize> {
    std::env::var("PROBE_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
}

fn probe() {
    let shapes: Vec<(String, usize)> = std::env::args()
        .skip(1)
        .map(|a| {
            let (l, d) = a.split_once(':').unwrap();
            (l.to_string(), d.parse().unwrap())
        })
        .collect();
    let shapes = if shapes.is_empty() {
        [
            "cm:1", "cm:4", "cm:16", "cm:64", "rm:1", "rm:4", "rm:16", "rm:64", "rm:256",
        ]
        .iter()
        .map(|s| {
            let (l, d) = s.split_once(':').unwrap();
            (l.to_string(), d.parse().unwrap())
        })
        .collect()
    } else {
        shapes
    };
    for (layout, d) in shapes {
        let bytes: usize = std::env::var("PROBE_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(32768);
        let n = bytes / 4 / d;
        // On huge pages as the benches' data (STEEPEST_BENCH_PAGES=4k: plain pages).
        // Column-major columns padded as the benches' (n rounded up to 16, plus 16): a
        // power-of-two stride would alias cache sets.
        // PROBE_PAD=k adds k values more to the stride.
        let pad: usize = std::env::var("PROBE_PAD")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let ld = if layout == "cm" {
            n + 16 - n % 16 + pad
        } else {
            n
        };
        let len = if layout == "cm" {
            (d - 1) * ld + n
        } else {
            n * d
        };
        let x = huge::Buf::from_iter(len, (0..len).map(|k| (k % 97) as f32 / 50.0 - 1.0));
        // PROBE_YOFF=k: y starts k values into its buffer (its offset against x's).
        let yoff: usize = std::env::var("PROBE_YOFF")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let y_buf = huge::Buf::from_iter(
            n + yoff,
            (0..n + yoff).map(|k| (k.wrapping_sub(yoff) % 13) as f32 / 7.0 - 1.0),
        );
        let y = &y_buf[yoff..];
        let w = vec![0.3f32; d];
        let data: Dataset = if layout == "cm" {
            ColMajor::new(&x, y, n, d, ld).unwrap().into()
        } else {
            RowMajor::new(&x, y, n, d).unwrap().into()
        };
        let mut g = vec![0.0; d];
        // `w` and `b` go through `black_box` at every call, as a fit's change every epoch:
        // with fat LTO the compiler otherwise specialises the kernel on the probe's constant
        // `b` (it dropped the `0 +` of the residual's first product, which a runtime `b`
        // keeps).
        let reps = (6_000_000 / (n * d)).max(1);
        // One timing: ns per value of X, over `reps` calls of `f` after one untimed call (a
        // pool's idle threads have gone to sleep during the other side's timing; in a fit
        // they are awake after its first pass).
        let time = |f: &mut dyn FnMut()| {
            f();
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_nanos() as f64 / reps as f64 / (n * d) as f64
        };
        // PROBE_THREADS=t (feature `parallel`): the parallel pass, and the read split over
        // the same threads (its limit).
        #[cfg(feature = "parallel")]
        let pooled = threads().is_some();
        #[cfg(feature = "parallel")]
        let read = || match pooled {
            true => black_box(par_read_xy(black_box(&x), black_box(y))),
            false => black_box(read_xy(black_box(&x), black_box(y))),
        };
        #[cfg(not(feature = "parallel"))]
        let read = || black_box(read_xy(black_box(&x), black_box(y)));
        let mut fused = || {
            #[cfg(feature = "parallel")]
            if pooled {
                let r = steepest::parallel::gradient(
                    black_box(&data),
                    black_box(&w),
                    black_box(0.5),
                    &mut g,
                );
                black_box(r.ok());
                return;
            }
            black_box(simd::gradient(black_box(&data), black_box(&w), black_box(0.5), &mut g).ok());
        };
        let mut g_ref = vec![0.0; d];
        let mut reference = || {
            black_box(
                steepest::kernels::reference::gradient(
                    black_box(&data),
                    black_box(&w),
                    black_box(0.5),
                    &mut g_ref,
                )
                .ok(),
            )
        };
        if let Some(pairs) = std::env::var("PROBE_PAIRS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            // Paired rounds: the fused kernel and the other side (PROBE_OTHER, the read by
            // default) timed back to back, their ratio per round; the median of the ratios
            // does not move when the machine slows down for a while.
            let lockstep = || black_box(read_lockstep(&data));
            let other: &mut dyn FnMut() = match std::env::var("PROBE_OTHER").as_deref() {
                Ok("ref") => &mut || {
                    reference();
                },
                Ok("lockstep") => &mut || {
                    lockstep();
                },
                Ok("tiled") => &mut || {
                    black_box(read_tiled::<false>(&data));
                },
                Ok("tiled_ahead") => &mut || {
                    black_box(read_tiled::<true>(&data));
                },
                Ok("serial") => &mut || {
                    black_box(
                        simd::gradient(black_box(&data), black_box(&w), black_box(0.5), &mut g_ref)
                            .ok(),
                    );
                },
                _ => &mut || {
                    read();
                },
            };
            let mut rounds: Vec<(f64, f64)> = (0..pairs)
                .map(|k| {
                    let mut f = || {
                        fused();
                    };
                    if k % 2 == 0 {
                        let a = time(&mut f);
                        (a, time(other))
                    } else {
                        let o = time(other);
                        (time(&mut f), o)
                    }
                })
                .collect();
            rounds.sort_by(|a, b| (a.0 / a.1).total_cmp(&(b.0 / b.1)));
            let ratios: Vec<f64> = rounds.iter().map(|(a, o)| a / o).collect();
            let mid = rounds[rounds.len() / 2];
            out!(
                "{layout}{d}: fused/other median {:.3} [{:.3}..{:.3}] ({:.3}/{:.3} ns) ",
                ratios[ratios.len() / 2],
                ratios[0],
                ratios[ratios.len() - 1],
                mid.0,
                mid.1
            );
            continue;
        }
        #[cfg(feature = "parallel")]
        if pooled && std::env::var_os("PROBE_HANDOFF").is_some() {
            let mut g1 = vec![0.0; d];
            let one = (0..60)
                .map(|_| {
                    time(&mut || {
                        black_box(simd::gradient(&data, black_box(&w), 0.5, &mut g1).ok());
                    })
                })
                .fold(f64::MAX, f64::min);
            let all = (0..60).map(|_| time(&mut fused)).fold(f64::MAX, f64::min);
            let half = (one * (n * d) as f64 / 2.0) as u64;
            let ceiling = one * (n * d) as f64 / handoff(half);
            out!(
                "{layout}{d}: one/all {:.2}, ceiling {ceiling:.2} ",
                one / all
            );
            continue;
        }
        if std::env::var_os("PROBE_READ").is_some() {
            let best = (0..7)
                .map(|_| {
                    time(&mut || {
                        read();
                    })
                })
                .fold(f64::MAX, f64::min);
            out!("read{d}={best:.3} ");
        }
        let runs = if n * d > 1 << 24 { 7 } else { 60 };
        let best = (0..runs)
            .map(|_| {
                time(&mut || {
                    fused();
                })
            })
            .fold(f64::MAX, f64::min);
        out!("{layout}{d}={best:.3} ");
        if std::env::var_os("PROBE_REF").is_some() {
            let fused = best;
            let best = (0..7)
                .map(|_| {
                    time(&mut || {
                        reference();
                    })
                })
                .fold(f64::MAX, f64::min);
            out!("ref{d}={best:.3} (x{:.2}) ", best / fused);
        }
    }
    outln!();
}

/// The least time (ns) of `rayon::join` of two spins of `half` ns each on the current pool:
/// a pass split into two perfectly even halves, with nothing but the handoff added.
#[cfg(feature = "parallel")]
fn handoff(half: u64) -> f64 {
    let spin = || {
        let t = Instant::now();
        while (t.elapsed().as_nanos() as u64) < half {
            std::hint::spin_loop();
        }
    };
    let reps = (20_000_000 / half.max(1)).clamp(10, 10_000);
    (0..20)
        .map(|_| {
            rayon::join(spin, spin);
            let t = Instant::now();
            for _ in 0..reps {
                rayon::join(spin, spin);
            }
            t.elapsed().as_nanos() as f64 / reps as f64
        })
        .fold(f64::MAX, f64::min)
}

/// The benches' plain read of X and y (`benches/kernels.rs`): four f32x8 accumulators.
/// [`read_xy`] over 64 KiB pieces of `x` and `y` on the current rayon pool.
#[cfg(feature = "parallel")]
fn par_read_xy(x: &[f32], y: &[f32]) -> f32 {
    use rayon::prelude::*;
    let piece = 16384;
    let sx: f32 = x.par_chunks(piece).map(|c| read_xy(c, &[])).sum();
    sx + y.par_chunks(piece).map(|c| read_xy(c, &[])).sum::<f32>()
}

fn read_xy(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [wide::f32x8::ZERO; 4];
    let mut tail = 0.0f32;
    for s in [x, y] {
        let (quads, rest) = s.as_chunks::<32>();
        for q in quads {
            for (a, v) in acc.iter_mut().zip(q.as_chunks::<8>().0) {
                *a += wide::f32x8::new(*v);
            }
        }
        tail += rest.iter().sum::<f32>();
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])).reduce_add() + tail
}

/// A plain read of the data in the order one pass must take it: for each eight samples,
/// their values of X (every column, column-major) and of y side by side. Four independent
/// accumulators, no indexing in the loop: bound by memory, not by adds.
fn read_lockstep(data: &Dataset) -> f32 {
    use wide::f32x8;
    let (mut a0, mut a1, mut a2, mut a3) = (f32x8::ZERO, f32x8::ZERO, f32x8::ZERO, f32x8::ZERO);
    match data {
        Dataset::RowMajor(v) => {
            let d = v.d();
            let groups = v.x().chunks_exact(8 * d).zip(v.y().as_chunks::<8>().0);
            for (k, (xg, yg)) in groups.enumerate() {
                let (pairs, rest) = xg.as_chunks::<16>();
                for p in pairs {
                    let (c, _) = p.as_chunks::<8>();
                    a0 += f32x8::new(c[0]);
                    a1 += f32x8::new(c[1]);
                }
                // Even and odd groups in separate accumulators (d = 1 is all rest and y).
                let yv = f32x8::new(*yg);
                let r = rest
                    .as_chunks::<8>()
                    .0
                    .iter()
                    .fold(yv, |a, c| a + f32x8::new(*c));
                if k % 2 == 0 {
                    a2 += r;
                } else {
                    a3 += r;
                }
            }
        }
        Dataset::ColMajor(v) => {
            let cols: Vec<&[[f32; 8]]> = v.columns().map(|c| c.as_chunks::<8>().0).collect();
            let (quads, rest) = cols.as_chunks::<4>();
            for (i, yv) in v.y().as_chunks::<8>().0.iter().enumerate() {
                for q in quads {
                    a0 += f32x8::new(q[0][i]) + f32x8::new(q[1][i]);
                    a1 += f32x8::new(q[2][i]) + f32x8::new(q[3][i]);
                }
                for c in rest {
                    a2 += f32x8::new(c[i]);
                }
                a3 += f32x8::new(*yv);
            }
        }
    }
    ((a0 + a1) + (a2 + a3)).reduce_add()
}

/// [`read_tiles_in`] over all the samples; with `PROBE_THREADS`, over each half of them on one
/// of two threads of the pool (as the parallel pass splits them).
fn read_tiled<const AHEAD: bool>(data: &Dataset) -> f32 {
    let n_vec = data.n() / 8;
    #[cfg(feature = "parallel")]
    if threads().is_some() {
        let (a, b) = rayon::join(
            || read_tiles_in::<AHEAD>(data, 0, n_vec / 2),
            || read_tiles_in::<AHEAD>(data, n_vec / 2, n_vec),
        );
        return a + b;
    }
    read_tiles_in::<AHEAD>(data, 0, n_vec)
}

/// Column-major only: a plain read of vectors `from..n_vec` tile by tile, each column's run
/// of `PROBE_TILE` vectors (default 256) in turn, then y's. `AHEAD`: the next tile's lines
/// are asked for into L2 as this one is read, two per four vectors (at the rate the
/// kernel's two-sweep tile asks for them).
fn read_tiles_in<const AHEAD: bool>(data: &Dataset, from: usize, n_vec: usize) -> f32 {
    use wide::f32x8;
    let t: usize = std::env::var("PROBE_TILE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let mut acc = [f32x8::ZERO; 4];
    let Dataset::ColMajor(v) = data else {
        return 0.0;
    };
    let mut streams: Vec<&[[f32; 8]]> = v
        .columns()
        .map(|c| &c.as_chunks::<8>().0[..n_vec])
        .collect();
    streams.push(&v.y().as_chunks::<8>().0[..n_vec]);
    let mut v0 = from;
    while v0 < n_vec {
        let end = n_vec.min(v0 + t);
        let (lo, hi) = (end, n_vec.min(end + t));
        // The next tile's lines: stream `ns`, vector `nv` (two vectors per line).
        let (mut ns, mut nv) = (0, lo);
        for s in &streams {
            for q in s[v0..end].as_chunks::<4>().0 {
                if AHEAD {
                    for _ in 0..2 {
                        if nv >= hi {
                            ns += 1;
                            nv = lo;
                        }
                        if let Some(line) = streams.get(ns).and_then(|s| s.get(nv)) {
                            prefetch_l2(line);
                        }
                        nv += 2;
                    }
                }
                for (a, c) in acc.iter_mut().zip(q) {
                    *a += f32x8::new(*c);
                }
            }
        }
        v0 = end;
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])).reduce_add()
}

/// `prefetcht1` of the line holding `v` (x86), for [`read_tiles_in`].
fn prefetch_l2<T>(v: &T) {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    safe_arch::prefetch_t1(v);
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    let _ = v;
}
