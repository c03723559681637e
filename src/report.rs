//! Reports of an attempt: readable text and the stable JSON of DESIGN.md. Both are rendered
//! from the `Session` model, so a live run and a replayed recording print the same thing.

pub mod caps;
pub mod case;
pub mod document;
pub mod json;
pub mod pem;
pub mod policy;
pub mod text;
// Figures in words are shared with the diagnosis and the TUI, below all of them.
pub use crate::units::{self, human_duration, human_micros, plural};
