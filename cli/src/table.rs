//! Reading a CSV file of numbers straight into f32 columns: one reused record, no `String` or
//! `Vec` per row, so memory is the f32 data (`4·(d + 1)` bytes per row) plus a constant.

use std::io::Read;

use crate::Failure;

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
pub fn read(
    input: impl Read,
    source: &str,
    format: &Format,
    target: Target<'_>,
) -> Result<Table, Failure> {
    let data = |msg: String| Failure::Data(format!("{source}: {msg}"));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(format.delimiter)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .flexible(false)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let mut names: Option<Vec<String>> = None;
    let mut first = true;
    // Columns of the file that go to x (in file order, mapped to feature positions) and y.
    let mut plan: Option<Plan> = None;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(data(csv_error(&e))),
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(<[u8]>::is_empty) {
            continue;
        }
        if first {
            first = false;
            check_delimiter(&record, format.delimiter, line).map_err(data)?;
            let numeric = record.iter().filter(|f| parse(f).is_some()).count();
            let is_header = format.header.unwrap_or(numeric == 0);
            let width = record.len();
            let header: Vec<String> = if is_header {
                record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect()
            } else {
                (0..width).map(|j| format!("x{j}")).collect()
            };
            plan = Some(Plan::new(&header, &target).map_err(data)?);
            names = Some(header);
            if is_header {
                continue;
            }
        }
        let Some(p) = &plan else { continue };
        let base = x.len();
        x.resize(base + p.d, 0.0);
        let row = &mut x[base..];
        for (col, field) in record.iter().enumerate() {
            let Some(v) = parse(field) else {
                let text = String::from_utf8_lossy(field);
                let hint = if text.contains([';', '\t', '|']) && format.delimiter == b',' {
                    " (is the delimiter something other than ','? pass --delimiter)"
                } else {
                    ""
                };
                return Err(data(format!(
                    "line {line}, column {}: '{text}' is not a number{hint}",
                    col + 1
                )));
            };
            if !v.is_finite() {
                return Err(data(format!(
                    "line {line}, column {}: {v} is not a finite number",
                    col + 1
                )));
            }
            match p.role.get(col) {
                Some(Role::Feature(j)) => row[*j] = v,
                Some(Role::Target) => y.push(v),
                Some(Role::Skip) | None => {}
            }
        }
    }
    let (Some(plan), Some(all_names)) = (plan, names) else {
        return Err(data(
            "no data rows: the file is empty or holds only a header".into(),
        ));
    };
    if x.is_empty() && plan.d > 0 {
        return Err(data(
            "no data rows: the file is empty or holds only a header".into(),
        ));
    }
    let feature_names = plan.feature_names(&all_names);
    Ok(Table {
        x,
        y,
        d: plan.d,
        names: feature_names,
        target: plan.target.map(|t| all_names[t].clone()),
    })
}

#[derive(Clone, Copy)]
enum Role {
    Feature(usize),
    Target,
    Skip,
}

struct Plan {
    role: Vec<Role>,
    d: usize,
    target: Option<usize>,
    order: Vec<usize>,
}

impl Plan {
    fn new(header: &[String], target: &Target<'_>) -> Result<Plan, String> {
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
                })
            }
        }
    }

    fn feature_names(&self, header: &[String]) -> Vec<String> {
        self.order.iter().map(|&j| header[j].clone()).collect()
    }
}

/// An error if the first line has one field but holds a likely delimiter other than the one
/// in use.
fn check_delimiter(record: &csv::ByteRecord, delimiter: u8, line: u64) -> Result<(), String> {
    if record.len() != 1 {
        return Ok(());
    }
    let field = record.get(0).unwrap_or(&[]);
    for (c, name) in [
        (b';', "';'"),
        (b'\t', "a tab"),
        (b'|', "'|'"),
        (b',', "','"),
    ] {
        if c != delimiter && field.contains(&c) {
            let flag = if c == b'\t' {
                "'\\t'".to_string()
            } else {
                name.to_string()
            };
            return Err(format!(
                "line {line} has one field but contains {name}: the file seems to use {name} \
                 as its delimiter; pass --delimiter {flag}"
            ));
        }
    }
    Ok(())
}

fn parse(field: &[u8]) -> Option<f32> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "line {}: {len} fields, but the lines before have {expected_len}",
            pos.as_ref().map_or(0, csv::Position::line)
        ),
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => e.to_string(),
    }
}
