//! The text of a CSV file in blocks of whole records, and a block's records parsed in
//! pieces on all threads.

use std::io::Read;

use rayon::prelude::*;

use crate::table::{COMMENT, Format, Plan, Rows, blank, reader};

/// Text read and parsed at a time, per thread: whole lines, split between the threads.
pub(crate) const BLOCK_PER_THREAD: usize = 1 << 21;
/// The most text read at a time (two blocks are held: one parsed, the next read).
pub(crate) const BLOCK_MAX: usize = 1 << 26;
/// Pieces of a block per thread, so that a thread that is slowed leaves work to others.
pub(crate) const PIECES_PER_THREAD: usize = 4;

/// The input in blocks of about `size` bytes or more, each ending at a line break (or the
/// input's end).
pub(crate) struct Blocks<R> {
    input: R,
    /// Bytes read past the last block's last line break.
    carry: Vec<u8>,
    eof: bool,
    size: usize,
}

impl<R: Read> Blocks<R> {
    /// Blocks of about `size` bytes (at least one) of `input`.
    pub(crate) fn new(input: R, size: usize) -> Self {
        Blocks {
            input,
            carry: Vec::new(),
            eof: false,
            size: size.max(1),
        }
    }

    /// Extends `text` (whole lines from a record's start) with the next blocks until it ends
    /// where a record ends (a quoted field may hold a line break), and returns where its
    /// `count` pieces start ([`piece_starts`]).
    pub(crate) fn complete(
        &mut self,
        text: &mut Vec<u8>,
        count: usize,
        delimiter: u8,
    ) -> Result<Vec<usize>, String> {
        loop {
            let (starts, whole) = piece_starts(text, count, delimiter);
            if whole || self.eof {
                return Ok(starts);
            }
            let more = self.next()?;
            text.extend_from_slice(&more);
        }
    }

    /// Whether the input has been read to its end.
    pub(crate) fn at_end(&self) -> bool {
        self.eof
    }

    /// The next block: empty at the end of the input.
    pub(crate) fn next(&mut self) -> Result<Vec<u8>, String> {
        let mut text = std::mem::take(&mut self.carry);
        let mut size = self.size;
        loop {
            while !self.eof && text.len() < size {
                let want = (size - text.len()) as u64;
                let got = (&mut self.input)
                    .take(want)
                    .read_to_end(&mut text)
                    .map_err(|e| format!("cannot read: {e}"))?;
                self.eof = got == 0;
            }
            if self.eof {
                return Ok(text);
            }
            if let Some(i) = text.iter().rposition(|&c| c == b'\n') {
                self.carry = text.split_off(i + 1);
                return Ok(text);
            }
            // A line longer than a block: read on to its end.
            size = size.saturating_mul(2);
        }
    }
}

/// A record that cannot be read: where it starts in its block, and what is wrong with it
/// (the message after "line N").
pub(crate) struct Bad {
    pub(crate) at: usize,
    pub(crate) what: String,
}

/// The records of `text` (whole records), in the pieces that start at `starts` (the first
/// at 0), on the current thread pool, each piece's rows in order; or the first record in
/// `text` that cannot be read.
pub(crate) fn parse_pieces(
    text: &[u8],
    starts: &[usize],
    format: &Format,
    plan: &Plan,
) -> Result<Vec<Rows>, Bad> {
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([text.len()]).collect();
    let parsed: Vec<Result<Rows, Bad>> = starts
        .par_iter()
        .zip(ends)
        .map(|(&from, to)| {
            let piece = &text[from..to];
            let mut rows = Rows {
                breaks: line_breaks(piece),
                ..Rows::default()
            };
            let mut reader = reader(format, piece);
            let mut record = csv::ByteRecord::new();
            let bad = |at: u64, what| Bad {
                at: from.saturating_add(byte_of(at)),
                what,
            };
            loop {
                match reader.read_byte_record(&mut record) {
                    Ok(true) => {}
                    Ok(false) => return Ok(rows),
                    Err(e) => {
                        return Err(bad(
                            e.position().map_or(0, csv::Position::byte),
                            e.to_string(),
                        ));
                    }
                }
                if blank(&record) {
                    continue;
                }
                let at = record.position().map_or(0, csv::Position::byte);
                rows.push(&record, plan).map_err(|what| bad(at, what))?;
            }
        })
        .collect();
    // The first in file order (rayon's collect into a `Result` keeps any one).
    parsed.into_iter().collect()
}

/// Where the `count` pieces of `text` (which starts where a record starts) start: 0, then
/// the end of the first record that ends at or after each `k/count` of the text; and whether
/// `text` ends where a record ends. Without a quote character every line break ends a
/// record (or a blank or comment line); with one, [`record_ends`] decides.
pub(crate) fn piece_starts(text: &[u8], count: usize, delimiter: u8) -> (Vec<usize>, bool) {
    let aims: Vec<usize> = (1..count).map(|k| text.len() * k / count).collect();
    let mut starts = vec![0];
    if text.contains(&b'"') {
        let (ends, whole) = record_ends(text, delimiter, &aims);
        starts.extend(ends);
        return (starts, whole);
    }
    for aim in aims {
        let from = starts.last().copied().unwrap_or(0).max(aim);
        if let Some(i) = text[from..].iter().position(|&c| c == b'\n') {
            starts.push(from + i + 1);
        }
    }
    starts.dedup();
    (starts, text.last().is_none_or(|&c| c == b'\n'))
}

/// Where records end in `text`, which starts where a record starts: for each of `aims`
/// (in increasing order) the end of the first record that ends at or after it, and whether
/// `text` ends where a record ends. The csv reader's own state machine decides, with the
/// tool's settings: a quote character starts a quoted field only at a field's start.
pub(crate) fn record_ends(text: &[u8], delimiter: u8, aims: &[usize]) -> (Vec<usize>, bool) {
    let mut core = csv_core::ReaderBuilder::new()
        .delimiter(delimiter)
        .comment(Some(COMMENT))
        .build();
    // The fields' bytes are not kept: each call may reuse the buffers from their start.
    let (mut out, mut ends) = ([0u8; 4096], [0usize; 64]);
    let (mut at, mut cuts) = (0, Vec::new());
    let mut aims = aims.iter().peekable();
    while let Some(rest) = text.get(at..).filter(|r| !r.is_empty()) {
        let (result, read, ..) = core.read_record(rest, &mut out, &mut ends);
        at += read;
        if result == csv_core::ReadRecordResult::Record {
            if aims.next_if(|&&aim| aim <= at).is_some() {
                cuts.push(at);
                while aims.next_if(|&&aim| aim <= at).is_some() {}
            }
        } else if read == 0 && result == csv_core::ReadRecordResult::InputEmpty {
            break;
        }
    }
    // Told that the input has ended, the reader ends a record only if one is under way.
    let (last, ..) = core.read_record(&[], &mut out, &mut ends);
    (cuts, last == csv_core::ReadRecordResult::End)
}

/// Where the record that a reader's position `at` stands before starts: past the empty and
/// comment lines that the reader skips (`at` clamped to `text`).
pub(crate) fn record_start(text: &[u8], mut at: usize) -> usize {
    at = at.min(text.len());
    loop {
        match text.get(at) {
            Some(b'\n' | b'\r') => at += 1,
            Some(&COMMENT) => {
                at = text[at..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(text.len(), |i| at + i + 1);
            }
            _ => return at,
        }
    }
}

/// Line breaks in `text`.
pub(crate) fn line_breaks(text: &[u8]) -> u64 {
    text.iter().filter(|&&c| c == b'\n').count() as u64
}

/// A byte position of the reader as an index into its text.
pub(crate) fn byte_of(at: u64) -> usize {
    usize::try_from(at).unwrap_or(usize::MAX)
}

/// A record's position as an index into its reader's text.
pub(crate) fn byte(p: &csv::Position) -> usize {
    byte_of(p.byte())
}
