//! Reading a CSV file of numbers straight into f32 columns, on all threads: no `String` or
//! `Vec` per row, so memory is the f32 data (`4·(d + 1)` bytes per row) plus two blocks of
//! text and a block's rows.

use std::io::Read;

use crate::Failure;
use crate::blocks::{
    BLOCK_MAX, BLOCK_PER_THREAD, Blocks, PIECES_PER_THREAD, byte, byte_of, line_breaks,
    parse_pieces, record_start,
};
use crate::report::count;

/// The data of a CSV file: the features row-major, the target, and the column names.
pub struct Table {
    /// `n·d` values, sample by sample.
    pub x: Vec<f32>,
    /// `n` values (empty when the file has no target column, for `predict`).
    pub y: Vec<f32>,
    /// Features per sample.
    pub d: usize,
    /// The features' names (from the header, else `x0`, `x1`, …).
    pub names: Vec<String>,
    /// The target's name, if there is a target.
    pub target: Option<String>,
}

impl Table {
    /// Samples read.
    pub fn n(&self) -> usize {
        self.x.len() / self.d.max(1)
    }
}

/// How to read a file.
pub struct Format {
    pub delimiter: u8,
    /// `Some(true)`: the first line is a header; `Some(false)`: it is data; `None`: a header
    /// if none of its fields is a number.
    pub header: Option<bool>,
}

/// Which column is the target.
pub enum Target<'a> {
    /// By name or 0-based index; `None` for the last column.
    Column(Option<&'a str>),
    /// No target column: every column is a feature, in this order of names (`predict`).
    Features(&'a [String]),
}

/// Reads `input` (a file, or standard input for `-`), naming `source` in errors.
///
/// The text is read in blocks of whole records, each parsed on rayon's current thread pool
/// in pieces that are joined in file order: the table, and the first error with its line
/// number, are those of reading the file from start to end.
pub fn read(
    input: impl Read,
    source: &str,
    format: &Format,
    target: Target<'_>,
) -> Result<Table, Failure> {
    let block = BLOCK_PER_THREAD
        .saturating_mul(rayon::current_num_threads())
        .min(BLOCK_MAX);
    read_blocks(input, format, &target, block, true)
        .map_err(|msg| Failure::Data(format!("{source}: {msg}")))
}

/// [`read`] with blocks of about `block` bytes, split into pieces if `split`.
fn read_blocks(
    input: impl Read,
    format: &Format,
    target: &Target<'_>,
    block: usize,
    split: bool,
) -> Result<Table, String> {
    let mut blocks = Blocks::new(input, block);
    let mut text = blocks.next()?;
    // The first record: the header, or the first row.
    let mut record = csv::ByteRecord::new();
    let (line, start) = 'first: loop {
        blocks.complete(&mut text, 1, format.delimiter)?;
        let mut head = reader(format, &text[..]);
        while head
            .read_byte_record(&mut record)
            .map_err(|e| e.to_string())?
        {
            if !blank(&record) {
                let at = record_start(&text, record.position().map_or(0, byte));
                let end = head.position().byte();
                break 'first (1 + line_breaks(&text[..at]), byte_of(end));
            }
        }
        if blocks.at_end() {
            return Err(NO_ROWS.into());
        }
        // Only blank or comment lines so far: read on.
        let more = blocks.next()?;
        text.extend_from_slice(&more);
    };
    check_delimiter(&record, format.delimiter, line)?;
    let numeric = fields(&record, format.delimiter)
        .filter(|f| parse(f).is_some())
        .count();
    let is_header = format.header.unwrap_or(numeric == 0);
    let width = field_count(&record, format.delimiter);
    let header: Vec<String> = if is_header {
        fields(&record, format.delimiter)
            .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
            .collect()
    } else {
        (0..width).map(|j| format!("x{j}")).collect()
    };
    let plan = Plan::new(&header, target, format.delimiter)?;
    let mut rows = Rows::default();
    if !is_header {
        rows.push(&record, &plan)
            .map_err(|what| format!("line {line}{what}"))?;
    }
    // Line breaks before `text`, for the line numbers of errors.
    let start = start.min(text.len());
    let mut lines = line_breaks(&text[..start]);
    text.drain(..start);
    if text.is_empty() {
        text = blocks.next()?;
    }
    while !text.is_empty() {
        let pieces = match split {
            true => rayon::current_num_threads() * PIECES_PER_THREAD,
            false => 1,
        };
        let starts = blocks.complete(&mut text, pieces, format.delimiter)?;
        // This block is parsed while this thread reads the next (the input may not be sent to
        // another thread).
        let mut parsed = Ok(Vec::new());
        let next = rayon::in_place_scope(|s| {
            s.spawn(|_| parsed = parse_pieces(&text, &starts, format, &plan));
            blocks.next()
        });
        match parsed {
            Ok(parts) => lines += rows.append(parts),
            Err(bad) => {
                let at = record_start(&text, bad.at);
                let line = lines + line_breaks(&text[..at]) + 1;
                return Err(format!("line {line}{}", bad.what));
            }
        }
        text = next?;
    }
    if rows.x.is_empty() && plan.d > 0 {
        return Err(NO_ROWS.into());
    }
    Ok(Table {
        x: rows.x,
        y: rows.y,
        d: plan.d,
        names: plan.feature_names(&header),
        target: plan.target.map(|t| header[t].clone()),
    })
}

const NO_ROWS: &str = "no data rows: the file is empty or holds only a header";

/// The character that starts a comment line.
pub(crate) const COMMENT: u8 = b'#';

/// A CSV reader with the tool's settings. Records of any length: [`Rows::push`] checks them
/// against the first line. Fields are trimmed where they are used: the reader's own
/// trimming allocates a record per record.
pub(crate) fn reader<R: Read>(format: &Format, input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(format.delimiter)
        .comment(Some(COMMENT))
        .flexible(true)
        .from_reader(input)
}

/// The rows read so far.
#[derive(Default)]
pub(crate) struct Rows {
    pub(crate) x: Vec<f32>,
    pub(crate) y: Vec<f32>,
    /// Line breaks in the text read (for a piece of a block).
    pub(crate) breaks: u64,
}

impl Rows {
    /// Adds one record, or says what is wrong with it.
    pub(crate) fn push(&mut self, record: &csv::ByteRecord, plan: &Plan) -> Result<(), String> {
        let len = field_count(record, plan.delimiter);
        if len != plan.role.len() {
            return Err(format!(
                ": {}, but the lines before have {}",
                count(len, "field"),
                plan.role.len()
            ));
        }
        let base = self.x.len();
        self.x.resize(base + plan.d, 0.0);
        let row = &mut self.x[base..];
        for (col, field) in fields(record, plan.delimiter).enumerate() {
            let Some(v) = parse(field) else {
                let text = String::from_utf8_lossy(field.trim_ascii());
                let hint = if text.contains([';', '\t', '|']) && plan.delimiter == b',' {
                    " (is the delimiter something other than ','? pass --delimiter)"
                } else {
                    ""
                };
                return Err(format!(
                    ", column {}: '{text}' is not a number{hint}",
                    col + 1
                ));
            };
            if !v.is_finite() {
                return Err(format!(", column {}: {v} is not a finite number", col + 1));
            }
            match plan.role.get(col) {
                Some(Role::Feature(j)) => row[*j] = v,
                Some(Role::Target) => self.y.push(v),
                Some(Role::Skip) | None => {}
            }
        }
        Ok(())
    }

    /// Appends the pieces' rows in order; returns their line breaks.
    fn append(&mut self, parts: Vec<Rows>) -> u64 {
        let mut breaks = 0;
        for p in parts {
            self.x.extend_from_slice(&p.x);
            self.y.extend_from_slice(&p.y);
            breaks += p.breaks;
        }
        breaks
    }
}

#[derive(Clone, Copy)]
enum Role {
    Feature(usize),
    Target,
    Skip,
}

/// What each column of the file is, from its first line.
pub(crate) struct Plan {
    /// Per column of the file (as many as its first line has).
    role: Vec<Role>,
    d: usize,
    target: Option<usize>,
    /// The file's columns of the features, in feature order.
    order: Vec<usize>,
    delimiter: u8,
}

impl Plan {
    fn new(header: &[String], target: &Target<'_>, delimiter: u8) -> Result<Plan, String> {
        let width = header.len();
        match target {
            Target::Column(t) => {
                if width < 2 {
                    return Err(
                        "need at least one feature column and a target column (is the \
                         delimiter right? pass --delimiter)"
                            .into(),
                    );
                }
                let t = match t {
                    None => width - 1,
                    Some(t) => match header.iter().position(|n| n == t) {
                        Some(j) => j,
                        None => match t.parse::<usize>() {
                            Ok(j) if j < width => j,
                            _ => {
                                return Err(format!(
                                    "--target {t}: no such column (columns: {})",
                                    header.join(", ")
                                ));
                            }
                        },
                    },
                };
                let mut k = 0;
                let role = (0..width)
                    .map(|j| {
                        if j == t {
                            Role::Target
                        } else {
                            k += 1;
                            Role::Feature(k - 1)
                        }
                    })
                    .collect();
                let order = (0..width).filter(|&j| j != t).collect();
                Ok(Plan {
                    role,
                    d: width - 1,
                    target: Some(t),
                    order,
                    delimiter,
                })
            }
            Target::Features(features) => {
                let mut role = vec![Role::Skip; width];
                let mut order = Vec::with_capacity(features.len());
                for (k, name) in features.iter().enumerate() {
                    let Some(j) = header.iter().position(|h| h == name) else {
                        return Err(format!(
                            "the model's feature '{name}' is not a column of the file \
                             (columns: {})",
                            header.join(", ")
                        ));
                    };
                    role[j] = Role::Feature(k);
                    order.push(j);
                }
                Ok(Plan {
                    role,
                    d: features.len(),
                    target: None,
                    order,
                    delimiter,
                })
            }
        }
    }

    fn feature_names(&self, header: &[String]) -> Vec<String> {
        self.order.iter().map(|&j| header[j].clone()).collect()
    }
}

/// A record's fields. With a space as the delimiter, runs of spaces are one separator and
/// spaces at either end of a line are ignored, as in columns aligned with spaces: the empty
/// fields between them are dropped. With any other delimiter every field counts.
fn fields(record: &csv::ByteRecord, delimiter: u8) -> impl Iterator<Item = &[u8]> {
    let squeeze = delimiter == SQUEEZED;
    record.iter().filter(move |f| !(squeeze && f.is_empty()))
}

/// The delimiter whose runs are one separator ([`fields`]).
const SQUEEZED: u8 = b' ';

/// How many [`fields`] the record has: its own count where every field counts.
fn field_count(record: &csv::ByteRecord, delimiter: u8) -> usize {
    match delimiter {
        SQUEEZED => fields(record, delimiter).count(),
        _ => record.len(),
    }
}

/// An error if the first line has one field but holds a likely delimiter other than the one
/// in use.
fn check_delimiter(record: &csv::ByteRecord, delimiter: u8, line: u64) -> Result<(), String> {
    let mut all = fields(record, delimiter);
    let (Some(field), None) = (all.next(), all.next()) else {
        return Ok(());
    };
    let field = field.trim_ascii();
    for (c, name) in [
        (b';', "';'"),
        (b'\t', "a tab"),
        (b'|', "'|'"),
        (b',', "','"),
        (b' ', "a space"),
    ] {
        if c != delimiter && field.contains(&c) {
            let flag = match c {
                b'\t' => "'\\t'".to_string(),
                b' ' => "' '".to_string(),
                _ => name.to_string(),
            };
            return Err(format!(
                "line {line} has one field but contains {name}: the file seems to use {name} \
                 as its delimiter; pass --delimiter {flag}"
            ));
        }
    }
    Ok(())
}

/// Whether a record has nothing but white space.
pub(crate) fn blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|f| f.trim_ascii().is_empty())
}

/// A field's number, white space around it allowed.
fn parse(field: &[u8]) -> Option<f32> {
    let field = field.trim_ascii();
    std::str::from_utf8(field).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pseudo-random CSV text: a header or not, rows of `d + 1` numbers, with blank and
    /// comment lines, spaces, CRLF line ends, quoted fields (some holding a line break), and
    /// perhaps a bad field or a short row.
    fn text(seed: u64) -> String {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move |m: u64| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s % m
        };
        let (d, rows) = (1 + next(4) as usize, next(300) as usize);
        let end = if next(3) == 0 { "\r\n" } else { "\n" };
        let mut t = String::new();
        if next(4) == 0 {
            t += &format!("# made by a test{end}{end}");
        }
        if next(2) == 0 {
            let names: Vec<String> = (0..=d).map(|j| format!("c{j}")).collect();
            t += &(names.join(",") + end);
        }
        for _ in 0..rows {
            match next(40) {
                0 => t += end,
                1 => t += &format!("# a comment, with a comma{end}"),
                _ => {}
            }
            let fields: Vec<String> = (0..=d)
                .map(|_| match next(2000) {
                    0 => "five".into(),
                    1 => "NaN".into(),
                    2 => "\"2.5\"".into(),
                    3..=5 => format!("\"{end}3.5\""),
                    v => format!(" {}.{} ", v as i64 - 1000, next(1000)),
                })
                .collect();
            let keep = if next(1000) == 0 { d } else { d + 1 };
            t += &(fields[..keep].join(",") + end);
        }
        t
    }

    /// The bits of `x` and `y` and the feature names.
    type Bits = (Vec<u32>, Vec<u32>, Vec<String>);

    /// Every outcome, bit for bit: values, names, or the error's text.
    fn outcome(r: Result<Table, String>) -> Result<Bits, String> {
        r.map(|t| {
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect();
            (bits(&t.x), bits(&t.y), t.names)
        })
    }

    /// Blocks of any size, in pieces on any number of threads, read what one reader line by
    /// line reads, errors and their line numbers included.
    #[test]
    fn blocks_on_any_threads_read_as_line_by_line() {
        let format = Format {
            delimiter: b',',
            header: None,
        };
        let (mut errors, mut quoted) = (0, 0);
        let pools: Vec<_> = [1, 2, 3, 5, 2]
            .map(|t| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .unwrap()
            })
            .into();
        for seed in 0..120 {
            let t = text(seed);
            let want = outcome(read_blocks(
                t.as_bytes(),
                &format,
                &Target::Column(None),
                usize::MAX,
                false,
            ));
            errors += usize::from(want.is_err());
            quoted += usize::from(t.contains('"'));
            for (pool, block) in pools.iter().zip([300, 97, 1000, 4096, 1 << 20]) {
                let threads = pool.current_num_threads();
                let got = pool.install(|| {
                    read_blocks(t.as_bytes(), &format, &Target::Column(None), block, true)
                });
                assert_eq!(
                    outcome(got),
                    want,
                    "seed {seed}, {threads} threads, blocks of {block}"
                );
            }
            // Spaces for the commas, next to the spaces around the numbers: runs of spaces
            // are one separator, and the text reads as its comma-separated self.
            let spaced = t.replace(',', " ");
            let by_space = Format {
                delimiter: b' ',
                header: None,
            };
            for (pool, block) in pools.iter().zip([usize::MAX, 97, 1000]) {
                let got = pool.install(|| {
                    read_blocks(
                        spaced.as_bytes(),
                        &by_space,
                        &Target::Column(None),
                        block,
                        true,
                    )
                });
                assert_eq!(outcome(got), want, "seed {seed}, spaces, blocks of {block}");
            }
        }
        // The texts reach every kind of outcome.
        assert!((10..110).contains(&errors), "{errors} errors");
        assert!(quoted > 10, "{quoted} texts with quotes");
    }

    /// Errors name the line of the file, counting blank and comment lines and line breaks
    /// inside quotes, however the text is split.
    #[test]
    fn errors_name_the_line_of_the_file() {
        let format = Format {
            delimiter: b',',
            header: None,
        };
        for (t, want) in [
            (
                "a,b\n1,2\n\n# c\n3,x\n",
                "line 5, column 2: 'x' is not a number",
            ),
            (
                "a,b\r\n1,2\r\n\r\n# c\r\n3,x\r\n",
                "line 5, column 2: 'x' is not a number",
            ),
            (
                "a,b\n1,2\n  \n3,4,5\n",
                "line 4: 3 fields, but the lines before have 2",
            ),
            (
                "# c\n\na,b\n\"1\n\",2\n\n3,x\n",
                "line 7, column 2: 'x' is not a number",
            ),
            (
                "a,b\n\"1\",\"2\n\n\"\n3,4,5\n",
                "line 5: 3 fields, but the lines before have 2",
            ),
            (
                "\n\n1,2\n\n# c\n3\n",
                "line 6: 1 field, but the lines before have 2",
            ),
            ("\n# c\n1,x\n3,4\n", "line 3, column 2: 'x' is not a number"),
        ] {
            for (block, split) in [
                (usize::MAX, false),
                (1, true),
                (5, true),
                (usize::MAX, true),
            ] {
                let got = read_blocks(t.as_bytes(), &format, &Target::Column(None), block, split);
                assert_eq!(got.err().as_deref(), Some(want), "{t:?}, blocks of {block}");
            }
        }
    }

    /// Any bytes of a few kinds: split or not, the same outcome, and no panic.
    #[test]
    fn any_bytes_read_the_same_split_or_not() {
        let format = Format {
            delimiter: b',',
            header: None,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        for case in 0..3000 {
            let mut t = Vec::new();
            for _ in 0..(case % 200) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                t.push(b"0123456789,,,\n\n\r\" #.-ae"[(s % 22) as usize]);
            }
            let want = outcome(read_blocks(
                &t[..],
                &format,
                &Target::Column(None),
                usize::MAX,
                false,
            ));
            for block in [1, 16, 64] {
                let got = pool
                    .install(|| read_blocks(&t[..], &format, &Target::Column(None), block, true));
                assert_eq!(
                    outcome(got),
                    want,
                    "{:?}, blocks of {block}",
                    String::from_utf8_lossy(&t)
                );
            }
        }
    }
}
