//! tlsdive: watch an SMTP STARTTLS negotiation step by step and name why it fails.
//!
//! The pipeline is plan → engine → events → session → front ends; see `DESIGN.md`.

pub mod case;
pub mod cert;
pub mod cli;
pub mod diagnose;
pub mod engine;
pub mod event;
pub mod exporter;
pub mod files;
pub mod lab;
pub mod net;
pub mod pcap;
pub mod plan;
pub mod policy;
pub mod profile;
pub mod recording;
pub mod repeat;
pub mod report;
pub mod runs;
pub mod sanitize;
pub mod scan;
pub mod session;
pub mod sweep;
pub mod target;
pub mod tlsrpt;
pub mod triage;
pub mod tui;
pub mod units;
pub mod wire;
