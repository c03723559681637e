//! The network edge shared by the probe engine and the scanner: resolving a target (MX,
//! A/AAAA), opening the TCP connection, and reading SMTP replies with their caps. Below both,
//! so the scanner never depends on the engine that runs it.

mod connect;
pub mod resolve;
pub mod smtp;

pub use connect::{AckNow, connect};
