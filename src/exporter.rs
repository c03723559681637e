//! `tlsdive exporter`: a Prometheus exporter in the multi-target style of blackbox_exporter.
//! `/probe?target=…&module=…&port=…` runs one normal probe through the engine and answers
//! with tlsdive's verdicts as OpenMetrics; `/metrics` is the exporter's own health. Only
//! targets its allow-list admits are probed; everything else is refused before any lookup.

pub mod config;
pub mod metrics;
pub mod serve;

pub use config::{Config, ConfigError, Module};
pub use serve::{Exporter, serve};
