//! Reports of an attempt: readable text and the stable JSON of DESIGN.md. Both are rendered
//! from the `Session` model, so a live run and a replayed recording print the same thing.

pub mod case;
pub mod json;
pub mod pem;
pub mod policy;
pub mod text;
pub mod units;

pub use units::{human_duration, human_micros, plural};

use crate::event::ConnectionEnd;

/// How a connection ended, in words.
pub fn end_words(how: ConnectionEnd) -> &'static str {
    match how {
        ConnectionEnd::Fin => "closed by the server (FIN)",
        ConnectionEnd::Rst => "reset (RST)",
        ConnectionEnd::Timeout => "timed out waiting for the server",
        ConnectionEnd::ClosedByUs => "closed by us",
    }
}
