//! `--name value` flags for the two binaries (no parser crate: a handful of flags).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

/// The flags given, by name, and the binary's usage text for errors.
pub struct Flags {
    given: BTreeMap<String, String>,
    usage: &'static str,
}

impl Flags {
    /// The process's flags; `--help` prints `usage` and exits.
    pub fn from_env(usage: &'static str) -> Result<Flags, String> {
        let mut given = BTreeMap::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                println!("{usage}");
                std::process::exit(0);
            }
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument '{arg}'\n\n{usage}"));
            };
            let Some(value) = args.next() else {
                return Err(format!("--{name} needs a value\n\n{usage}"));
            };
            given.insert(name.to_owned(), value);
        }
        Ok(Flags { given, usage })
    }

    /// The value of `--name`, or `default`.
    pub fn take<T: FromStr>(&mut self, name: &str, default: T) -> Result<T, String>
    where
        T::Err: Display,
    {
        Ok(self.take_opt(name)?.unwrap_or(default))
    }

    /// The value of `--name`, if given.
    pub fn take_opt<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, String>
    where
        T::Err: Display,
    {
        self.given
            .remove(name)
            .map(|v| v.parse().map_err(|e| format!("--{name} {v}: {e}")))
            .transpose()
    }

    /// An error if a flag was given that no one took.
    pub fn done(self) -> Result<(), String> {
        match self.given.keys().next() {
            None => Ok(()),
            Some(name) => Err(format!("unknown flag --{name}\n\n{}", self.usage)),
        }
    }
}
