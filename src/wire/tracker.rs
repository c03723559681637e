//! Placeholder until the wire branch lands: reports nothing.
use super::{Dir, RecordInfo};

#[derive(Default)]
pub struct Tracker;

impl Tracker {
    pub fn new() -> Tracker {
        Tracker
    }
    pub fn feed(&mut self, _dir: Dir, _bytes: &[u8]) -> Vec<RecordInfo> {
        Vec::new()
    }
}
