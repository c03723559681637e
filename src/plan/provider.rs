//! What this build can offer: the cipher suites and key-exchange groups of the rustls
//! provider, by name. Plan edits, the pickers, the scanner and the engine's config all ask
//! here, so a name the TUI offers is one the engine accepts.

use rustls::crypto::CryptoProvider;

/// The cipher-suite names this client can offer (rustls names; IANA TLS 1.3 names accepted).
pub fn suite_names() -> Vec<String> {
    provider_base()
        .cipher_suites
        .iter()
        .map(|s| format!("{:?}", s.suite()))
        .collect()
}

/// The key-exchange group names this client can offer.
pub fn group_names() -> Vec<String> {
    provider_base()
        .kx_groups
        .iter()
        .map(|g| format!("{:?}", g.name()))
        .collect()
}

/// The groups without a post-quantum share (what "retry without PQ" offers).
pub fn classic_group_names() -> Vec<String> {
    group_names()
        .into_iter()
        .filter(|g| !crate::wire::names::is_post_quantum(g))
        .collect()
}

/// rustls' name for a suite given in IANA spelling (`TLS_AES_128_GCM_SHA256` is rustls'
/// `TLS13_AES_128_GCM_SHA256`), upper case, so either spelling and any case is accepted.
pub fn rustls_suite_name(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    match upper.strip_prefix("TLS_") {
        Some(rest) if !rest.contains("_WITH_") => format!("TLS13_{rest}"),
        _ => upper,
    }
}

/// The full provider before a plan narrows it.
pub fn provider_base() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}
