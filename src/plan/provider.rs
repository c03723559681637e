//! What this build can offer: the cipher suites and key-exchange groups of the rustls
//! provider, by name. Plan edits, the pickers, the scanner and the engine's config all ask
//! here, so a name the TUI offers is one the engine accepts. Names come from
//! `wire::names`, the one table keyed by the code point.

use rustls::crypto::CryptoProvider;

use crate::wire::names::{group_by_name, group_name, suite_by_name, suite_name};

/// The cipher-suite names this client can offer, IANA spelling.
pub fn suite_names() -> Vec<String> {
    provider_base()
        .cipher_suites
        .iter()
        .map(|s| suite_name(u16::from(s.suite())))
        .collect()
}

/// The key-exchange group names this client can offer.
pub fn group_names() -> Vec<String> {
    provider_base()
        .kx_groups
        .iter()
        .map(|g| group_name(u16::from(g.name())))
        .collect()
}

/// The code point of a suite name as a user gives it (IANA or rustls spelling, any case).
pub fn suite_code(name: &str) -> Option<u16> {
    suite_by_name(name)
}

/// The code point of a group name as a user gives it (any case).
pub fn group_code(name: &str) -> Option<u16> {
    group_by_name(name)
}

/// The groups without a post-quantum share (what "retry without PQ" offers).
pub fn classic_group_names() -> Vec<String> {
    group_names()
        .into_iter()
        .filter(|g| !crate::wire::names::is_post_quantum(g))
        .collect()
}

/// The full provider before a plan narrows it.
pub fn provider_base() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}
