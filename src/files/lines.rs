//! The one line reader for input a user names (triage input, `--merge` JSONL, recordings):
//! a line is cut at a cap and the caller says what a longer line means, so `/dev/zero` or a
//! file with no newline never grows a buffer past the cap. Sync and async drivers share
//! one step function.

use std::io::BufRead;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// How a line read by [`next`] ended. The line's bytes (without the `\n`) are in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A whole line; `newline` is false only for a last line without one.
    Whole { newline: bool },
    /// Longer than the cap: the buffer holds its first `max` bytes, the rest is unread
    /// ([`skip_rest`] drops it).
    TooLong,
    /// The end of the input: nothing was read.
    End,
}

impl Line {
    /// Bytes this line took from the input (for `Whole`: the line and its `\n`).
    pub fn bytes_read(self, buf: &[u8]) -> usize {
        match self {
            Line::Whole { newline } => buf.len() + usize::from(newline),
            Line::TooLong => buf.len(),
            Line::End => 0,
        }
    }
}

/// What one chunk of buffered input did to the line: bytes to consume, and the line's end
/// if it was reached.
fn step(buf: &mut Vec<u8>, chunk: &[u8], max: usize) -> (usize, Option<Line>) {
    if chunk.is_empty() {
        let end = if buf.is_empty() {
            Line::End
        } else {
            Line::Whole { newline: false }
        };
        return (0, Some(end));
    }
    let room = max.saturating_sub(buf.len());
    match chunk.iter().position(|&b| b == b'\n') {
        Some(i) if i <= room => {
            buf.extend_from_slice(&chunk[..i]);
            (i + 1, Some(Line::Whole { newline: true }))
        }
        _ if chunk.len() > room => {
            buf.extend_from_slice(&chunk[..room]);
            (room, Some(Line::TooLong))
        }
        _ => {
            buf.extend_from_slice(chunk);
            (chunk.len(), None)
        }
    }
}

/// Read the next line into `buf` (cleared first), at most `max` bytes of it.
pub fn next<R: BufRead>(r: &mut R, max: usize, buf: &mut Vec<u8>) -> std::io::Result<Line> {
    buf.clear();
    loop {
        let chunk = r.fill_buf()?;
        let (used, end) = step(buf, chunk, max);
        r.consume(used);
        if let Some(end) = end {
            return Ok(end);
        }
    }
}

/// Drop the rest of a line that was [`Line::TooLong`], through its `\n`; the bytes dropped.
pub fn skip_rest<R: BufRead>(r: &mut R) -> std::io::Result<u64> {
    let mut dropped = 0u64;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(dropped);
        }
        let (used, end) = skip_step(chunk);
        r.consume(used);
        dropped = dropped.saturating_add(used as u64);
        if end {
            return Ok(dropped);
        }
    }
}

/// How much of `chunk` the rest of a too-long line takes, and whether its `\n` was in it.
fn skip_step(chunk: &[u8]) -> (usize, bool) {
    match chunk.iter().position(|&b| b == b'\n') {
        Some(i) => (i + 1, true),
        None => (chunk.len(), false),
    }
}

/// [`next`] for async input.
pub async fn next_async<R: AsyncBufRead + Unpin>(
    r: &mut R,
    max: usize,
    buf: &mut Vec<u8>,
) -> std::io::Result<Line> {
    buf.clear();
    loop {
        let chunk = r.fill_buf().await?;
        let (used, end) = step(buf, chunk, max);
        r.consume(used);
        if let Some(end) = end {
            return Ok(end);
        }
    }
}

/// [`skip_rest`] for async input.
pub async fn skip_rest_async<R: AsyncBufRead + Unpin>(r: &mut R) -> std::io::Result<u64> {
    let mut dropped = 0u64;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(dropped);
        }
        let (used, end) = skip_step(chunk);
        r.consume(used);
        dropped = dropped.saturating_add(used as u64);
        if end {
            return Ok(dropped);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max: usize) -> Vec<(String, Line)> {
        let mut r = std::io::BufReader::with_capacity(3, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let l = next(&mut r, max, &mut buf).unwrap();
            out.push((String::from_utf8_lossy(&buf).into_owned(), l));
            match l {
                Line::End => return out,
                Line::TooLong => {
                    skip_rest(&mut r).unwrap();
                }
                Line::Whole { .. } => {}
            }
        }
    }

    #[test]
    fn lines_are_cut_at_the_cap_across_chunks() {
        let w = |newline| Line::Whole { newline };
        assert_eq!(
            all(b"ab\nabcdef\nabcd\n\nxy", 4),
            [
                ("ab".into(), w(true)),
                ("abcd".into(), Line::TooLong),
                ("abcd".into(), w(true)),
                ("".into(), w(true)),
                ("xy".into(), w(false)),
                ("".into(), Line::End),
            ]
        );
    }

    #[test]
    fn endless_input_stops_at_the_cap() {
        let mut r = std::io::BufReader::new(std::io::repeat(0));
        let mut buf = Vec::new();
        assert_eq!(next(&mut r, 1000, &mut buf).unwrap(), Line::TooLong);
        assert_eq!(buf.len(), 1000);
    }
}
