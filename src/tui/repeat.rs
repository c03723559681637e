//! The TUI's repeat mode (like trippy's continuous tracing) is `runs::repeat`, the machine
//! `probe --repeat` runs too; `tui::runs` begins and stops it. The names the views use.

pub use super::runs::{DEFAULT_COUNT, DEFAULT_INTERVAL, MAX_ATTEMPTS};
pub use crate::runs::repeat::{End, Repeat as Repeating};
