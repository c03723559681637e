//! Pure TLS wire parsing: records across split reads, handshake messages, hellos and alerts.
//! No I/O here; the engine's tap feeds bytes in and gets `RecordInfo` summaries out.
//!
//! `Tracker` is the entry point; the submodules are its layers, bottom up: `reader` (bounds-
//! checked cursor), `record` (framing), `handshake` (reassembly, message decoding), `hello`
//! (ClientHello / ServerHello), `alert`, `names` (IANA names), `decrypt` + `tls13` (TLS 1.3
//! records opened with the attempt's own secrets), `transcript` (the hex capture
//! format of `assets/handshakes/`).

pub mod alert;
pub mod decrypt;
pub mod handshake;
pub mod hello;
pub mod info;
pub mod names;
pub mod reader;
pub mod record;
pub mod tls13;
pub mod tracker;
pub mod transcript;

pub use info::{AlertInfo, ClientHelloInfo, Dir, MessageInfo, RecordInfo, ServerHelloInfo};
pub use names::{
    alert_name, extension_name, group_by_name, group_name, suite_by_name, suite_name, version_name,
};
pub use tracker::Tracker;

/// More records than this in one attempt is a flood, not a handshake: the tap stops
/// reporting them, and the diagnosis knows the timeline was cut.
pub const MAX_RECORDS: usize = 2000;
