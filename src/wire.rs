//! Pure TLS wire parsing: records across split reads, handshake messages, hellos and alerts.
//! No I/O here; the engine's tap feeds bytes in and gets `RecordInfo` summaries out.

pub mod info;
pub mod names;
pub mod reader;

pub use info::{AlertInfo, ClientHelloInfo, Dir, MessageInfo, RecordInfo, ServerHelloInfo};
pub use names::{alert_name, group_by_name, group_name, suite_by_name, suite_name, version_name};
