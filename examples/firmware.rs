//! One source, two lives: an ordinary program on the host and bare-metal firmware on a
//! Cortex-M4F (`thumbv7em-none-eabihf`, run under QEMU by `ci/check-embedded.sh`). It uses the
//! public API as firmware would, with no heap, and prints every result as f32/f64 bit patterns
//! (and as decimals): CI requires the device's output to equal the host's, bit for bit, in the
//! default and in the `-C target-cpu=native` build.
//!
//! `cargo run --release --example firmware`

#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]
// cortex-m-rt's HardFault handler must be declared `unsafe fn`; nothing else is unsafe.
#![cfg_attr(target_os = "none", allow(unsafe_code))]

#[cfg(not(target_os = "none"))]
#[macro_use]
#[path = "common/stdout.rs"]
mod stdout;

use core::fmt;

use rand_xoshiro::Xoshiro128PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use steepest::kernels::simd;
use steepest::sgd::{Adam, Constant, InverseScaling, Momentum, Normalized, Plain, Sgd};
use steepest::{ColMajor, Control, Dataset, Error, GradientDescent, RowMajor};

type Out<'a> = &'a mut dyn FnMut(fmt::Arguments);

/// A value in [-1, 1) from the top 24 bits: exact in f32 on every target.
fn uniform(rng: &mut Xoshiro128PlusPlus) -> f32 {
    (rng.next_u32() >> 8) as f32 / (1u32 << 23) as f32 - 1.0
}

fn report(out: Out<'_>) -> Result<(), Error> {
    // 1. The seed's data: full-batch GD, 100 epochs (the seed's table), then SGD.
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let y = [2.0f32, 4.0, 6.0, 8.0];
    let seed: Dataset = RowMajor::new(&x, &y, 4, 1)?.into();
    let (mut w, mut b, mut grad) = ([0.0f32], 0.0f32, [0.0f64]);
    let gd = GradientDescent {
        learning_rate: 0.01,
        max_epochs: 100,
        tolerance: None,
    };
    let rep = gd.fit_with(&seed, &mut w, &mut b, &mut grad, |_| Control::Continue)?;
    out(format_args!(
        "gd_seed w={:08x} b={:08x} loss={:016x} ({} {} {})",
        w[0].to_bits(),
        b.to_bits(),
        rep.loss.to_bits(),
        w[0],
        b,
        rep.loss
    ));

    let mut rng = Xoshiro128PlusPlus::seed_from_u64(42);
    let mut order = [0u32; 4];
    steepest::permutation(&mut order, &mut rng)?;
    out(format_args!("order {:?}", order));

    let (mut w, mut b) = ([0.2f32], -0.3f32);
    let mut sgd = Sgd::new(Plain, Constant(0.01));
    for _ in 0..100 {
        sgd.epoch(&seed, &mut w, &mut b, &mut order, &mut rng)?;
    }
    out(format_args!(
        "sgd_seed w={:08x} b={:08x} ({} {})",
        w[0].to_bits(),
        b.to_bits(),
        w[0],
        b
    ));

    // 2. Momentum and Adam with a decaying schedule on a 3-feature problem, both layouts.
    const N: usize = 40;
    const D: usize = 3;
    let mut xs = [0.0f32; N * D];
    let mut ys = [0.0f32; N];
    let mut xc = [0.0f32; N * D];
    for i in 0..N {
        let mut t = 0.5f32;
        for j in 0..D {
            let v = uniform(&mut rng);
            xs[i * D + j] = v;
            xc[j * N + i] = v;
            t += v * (j as f32 + 1.0);
        }
        ys[i] = t + 0.01 * uniform(&mut rng);
    }
    let rm: Dataset = RowMajor::new(&xs, &ys, N, D)?.into();
    let cm: Dataset = ColMajor::new(&xc, &ys, N, D, N)?.into();
    let sched = InverseScaling {
        eta0: 0.05,
        power_t: 0.25,
    };
    let mut order = [0u32; N];
    for (name, data) in [("rm", rm), ("cm", cm)] {
        let (mut w, mut b, mut buf) = ([0.0f32; D], 0.0f32, [0.0f32; D + 1]);
        let mut mom = Sgd::new(Momentum::new(0.9, 0.0, true, 1e-4, &mut buf), sched);
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(7);
        for _ in 0..50 {
            mom.epoch(&data, &mut w, &mut b, &mut order, &mut rng)?;
        }
        out(format_args!(
            "momentum_{name} w={:08x} {:08x} {:08x} b={:08x}",
            w[0].to_bits(),
            w[1].to_bits(),
            w[2].to_bits(),
            b.to_bits()
        ));
        let (mut w, mut b, mut m, mut v) = ([0.0f32; D], 0.0f32, [0.0f32; D + 1], [0.0f32; D + 1]);
        let mut adam = Sgd::new(Adam::new(&mut m, &mut v), Constant(0.02));
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(8);
        for _ in 0..50 {
            adam.epoch(&data, &mut w, &mut b, &mut order, &mut rng)?;
        }
        out(format_args!(
            "adam_{name} w={:08x} {:08x} {:08x} b={:08x}",
            w[0].to_bits(),
            w[1].to_bits(),
            w[2].to_bits(),
            b.to_bits()
        ));
    }

    // 3. The fused kernel on wider rows (the transposes, tails and f64 folds), both layouts.
    const NW: usize = 37;
    const DW: usize = 13;
    let mut xw = [0.0f32; NW * DW];
    let mut xwc = [0.0f32; NW * DW];
    let mut yw = [0.0f32; NW];
    let mut ww = [0.0f32; DW];
    for i in 0..NW {
        for j in 0..DW {
            let v = uniform(&mut rng);
            xw[i * DW + j] = v;
            xwc[j * NW + i] = v;
        }
        yw[i] = uniform(&mut rng);
    }
    for wj in ww.iter_mut() {
        *wj = uniform(&mut rng);
    }
    let mut g = [0.0f64; DW];
    for (name, data) in [
        ("rm", Dataset::from(RowMajor::new(&xw, &yw, NW, DW)?)),
        ("cm", Dataset::from(ColMajor::new(&xwc, &yw, NW, DW, NW)?)),
    ] {
        let s = simd::gradient(&data, &ww, 0.125, &mut g)?;
        let h = g.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
            (h ^ v.to_bits()).wrapping_mul(0x0100_0000_01b3)
        });
        out(format_args!(
            "kernel_{name} loss={:016x} bias={:016x} grad_hash={:016x}",
            s.loss.to_bits(),
            s.bias.to_bits(),
            h
        ));
    }

    // 4. Online LMS on a sensor stream: one normalized step per sample, nothing stored.
    let mut lms = Sgd::new(Normalized::default(), Constant(0.5));
    let (mut w, mut b) = ([0.0f32; 2], 0.0f32);
    for k in 0..5000u32 {
        let temp = libm::sinf(k as f32 * 0.01) * 0.5 + 0.1 * uniform(&mut rng);
        let raw = uniform(&mut rng);
        let truth = 2.0 * raw - 0.8 * temp + 1.0;
        lms.step(&mut w, &mut b, &[raw, temp], truth)?;
    }
    out(format_args!(
        "lms w={:08x} {:08x} b={:08x} ({} {} {})",
        w[0].to_bits(),
        w[1].to_bits(),
        b.to_bits(),
        w[0],
        w[1],
        b
    ));
    Ok(())
}

#[cfg(not(target_os = "none"))]
fn main() {
    let mut print = |a: fmt::Arguments| stdout::line(a);
    if let Err(e) = report(&mut print) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

#[cfg(target_os = "none")]
mod firmware {
    use cortex_m as _; // the critical-section implementation semihosting needs
    use cortex_m_rt::{ExceptionFrame, entry, exception};
    use cortex_m_semihosting::{debug, hprintln};

    #[entry]
    fn main() -> ! {
        let mut print = |a: core::fmt::Arguments| hprintln!("{}", a);
        match super::report(&mut print) {
            Ok(()) => debug::exit(debug::EXIT_SUCCESS),
            Err(e) => {
                hprintln!("error: {}", e);
                debug::exit(debug::EXIT_FAILURE)
            }
        }
        loop {}
    }

    #[exception]
    unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
        hprintln!("HARDFAULT {:?}", ef);
        debug::exit(debug::EXIT_FAILURE);
        loop {}
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo) -> ! {
        hprintln!("PANIC {}", info);
        debug::exit(debug::EXIT_FAILURE);
        loop {}
    }
}
