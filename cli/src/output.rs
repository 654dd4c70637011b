//! Standard output that ends the program normally when the reader goes away.

use std::fmt;
use std::io::{self, Write};

/// Writes to `out`; on a closed pipe exits with status 0, as a filter should.
pub fn write_to(out: &mut dyn Write, args: fmt::Arguments<'_>) {
    if let Err(e) = out.write_fmt(args) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(1);
    }
}

/// `println!` that exits quietly on a closed pipe.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::write_to(&mut std::io::stdout().lock(), format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use say;
