//! A TLS report out of whatever it arrived in: plain JSON, gzip (`application/tlsrpt+gzip`),
//! a mail message with the report attached (how `rua=mailto:` reports arrive), or an mbox of
//! such messages. Told apart by their first bytes, not by a file name. Every layer is
//! bounded: the gzip stream stops at `max_decompressed`, an mbox at `max_reports`.

use std::io::Read;

use mail_parser::{MessageParser, MimeHeaders};

use super::report::Report;

/// How much one input may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes one report may decompress to (a real daily report is kilobytes).
    pub max_decompressed: usize,
    /// Reports one input (an mbox, a message with several attachments) may hold.
    pub max_reports: usize,
    /// Failure details one report may hold, over all its policies.
    pub max_details: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_decompressed: 16 * 1024 * 1024,
            max_reports: 1_000,
            max_details: 100_000,
        }
    }
}

/// Why a part of an input is not a report. Texts hold no input bytes, only positions and
/// sizes, so they are safe to print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("not an RFC 8460 report: {0}")]
    NotAReport(String),
    #[error("not JSON, gzip, a mail message or an mbox")]
    UnknownFormat,
    #[error("broken or truncated gzip: {0}")]
    Gzip(String),
    #[error("decompresses to more than {limit} bytes: not read further (a compression bomb?)")]
    TooLarge { limit: usize },
    #[error("a zip archive: RFC 8460 reports are gzip; unzip it first")]
    Zip,
    #[error("a mail message with no TLS report attached")]
    NoReportInMessage,
    #[error("more than {limit} reports in one input: the rest were not read")]
    TooManyReports { limit: usize },
    #[error("{found} failure details, more than {limit}: refused")]
    TooManyDetails { found: usize, limit: usize },
}

/// Every report in `bytes`, each read or refused on its own: one broken attachment does not
/// hide the others.
pub fn reports_in(bytes: &[u8], limits: &Limits) -> Vec<Result<Report, ReadError>> {
    let mut out = Vec::new();
    read_into(bytes, limits, 0, &mut out);
    if out.len() > limits.max_reports {
        out.truncate(limits.max_reports);
        out.push(Err(ReadError::TooManyReports {
            limit: limits.max_reports,
        }));
    }
    out
}

fn read_into(bytes: &[u8], limits: &Limits, depth: u8, out: &mut Vec<Result<Report, ReadError>>) {
    let start = skip_blank(bytes);
    match Format::of(start) {
        Format::Json => out.push(json(start, limits)),
        Format::Gzip if depth < 2 => match gunzip(start, limits.max_decompressed) {
            Ok(plain) => read_into(&plain, limits, depth + 1, out),
            Err(e) => out.push(Err(e)),
        },
        Format::Zip => out.push(Err(ReadError::Zip)),
        Format::Mbox if depth == 0 => {
            for message in mail_parser::mailbox::mbox::MessageIterator::new(start) {
                if out.len() > limits.max_reports {
                    return;
                }
                match message {
                    Ok(m) => mail(m.contents(), limits, depth + 1, out),
                    Err(e) => out.push(Err(ReadError::NotAReport(e.to_string()))),
                }
            }
        }
        Format::Mail if depth < 2 => mail(start, limits, depth + 1, out),
        _ => out.push(Err(ReadError::UnknownFormat)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Gzip,
    Zip,
    Mbox,
    Mail,
    Unknown,
}

impl Format {
    fn of(b: &[u8]) -> Format {
        if b.starts_with(b"{") {
            Format::Json
        } else if b.starts_with(&[0x1f, 0x8b]) {
            Format::Gzip
        } else if b.starts_with(b"PK\x03\x04") {
            Format::Zip
        } else if b.starts_with(b"From ") {
            Format::Mbox
        } else if looks_like_header(b) {
            Format::Mail
        } else {
            Format::Unknown
        }
    }
}

/// `Name: value` on the first line, the name made of header characters.
fn looks_like_header(b: &[u8]) -> bool {
    let line = b.split(|&c| c == b'\n').next().unwrap_or_default();
    match line.iter().position(|&c| c == b':') {
        Some(n) if n > 0 => line[..n]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-'),
        _ => false,
    }
}

fn skip_blank(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn json(b: &[u8], limits: &Limits) -> Result<Report, ReadError> {
    let report: Report =
        serde_json::from_slice(b).map_err(|e| ReadError::NotAReport(e.to_string()))?;
    let found: usize = report
        .policies
        .iter()
        .map(|p| p.failure_details.len())
        .sum();
    if found > limits.max_details {
        return Err(ReadError::TooManyDetails {
            found,
            limit: limits.max_details,
        });
    }
    Ok(report)
}

/// Decompress at most `limit` bytes; more is refused rather than read.
fn gunzip(b: &[u8], limit: usize) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::MultiGzDecoder::new(b)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| ReadError::Gzip(e.to_string()))?;
    if out.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(out)
}

/// The reports attached to one message (a `.json`/`.gz` attachment or a `tlsrpt` type).
fn mail(b: &[u8], limits: &Limits, depth: u8, out: &mut Vec<Result<Report, ReadError>>) {
    let Some(message) = MessageParser::default().parse(b) else {
        out.push(Err(ReadError::NoReportInMessage));
        return;
    };
    let before = out.len();
    for part in message.attachments() {
        let subtype = part
            .content_type()
            .and_then(|c| c.subtype())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let name = part
            .attachment_name()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let is_report = subtype.starts_with("tlsrpt")
            || subtype == "json"
            || subtype == "gzip"
            || name.ends_with(".json")
            || name.ends_with(".gz");
        if is_report {
            read_into(part.contents(), limits, depth, out);
        }
    }
    if out.len() == before {
        out.push(Err(ReadError::NoReportInMessage));
    }
}

#[cfg(test)]
mod tests;
