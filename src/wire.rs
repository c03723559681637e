//! Pure TLS wire parsing: records across split reads, handshake messages, hellos and alerts.
//! No I/O here; the engine's tap feeds bytes in and gets `RecordInfo` summaries out.

pub mod info;

pub use info::{AlertInfo, ClientHelloInfo, Dir, MessageInfo, RecordInfo, ServerHelloInfo};
pub mod tracker;
pub use tracker::Tracker;
pub mod names;
