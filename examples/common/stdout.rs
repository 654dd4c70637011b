//! Printing for the examples that ends the program normally when standard output closes.
//!
//! `println!` panics when the reader goes away (`... | head`: "failed printing to stdout").
//! These write instead, and on a closed pipe exit with status 0, as a filter should; any other
//! write error is reported on stderr with status 1.

use std::fmt;
use std::io::{self, Write};

/// Writes `args` and a newline to standard output.
#[allow(dead_code)] // not every example prints whole lines
pub fn line(args: fmt::Arguments<'_>) {
    write(format_args!("{args}\n"));
}

/// Writes `args` to standard output, flushed.
pub fn write(args: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

/// `println!` through [`line`].
#[allow(unused_macros)]
macro_rules! outln {
    () => { $crate::stdout::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdout::line(format_args!($($arg)*)) };
}

/// `print!` through [`write`].
#[allow(unused_macros)]
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdout::write(format_args!($($arg)*)) };
}
