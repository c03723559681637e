//! Fuzzes certificate and key loading, both ways a certificate reaches tlsdive: DER a
//! server sent, decoded by `cert::describe` for the chain view, and the PEM files the user
//! names (`--ca-file`, `--cert`, `--key`), parsed as `engine::tls` does: every CERTIFICATE
//! block through `CertificateDer::pem_slice_iter` into a `RootCertStore`, and the first
//! private key through `PrivateKeyDer::from_pem_slice` and the crypto provider. Nothing may
//! panic, and what `describe` returns must be escaped for display.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tlsdive::cert;

/// No raw control character; a tab may stay, as `sanitize` keeps it.
fn escaped(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\t')
}

fn check(info: &cert::CertInfo) {
    for s in [
        &info.subject,
        &info.issuer,
        &info.not_before,
        &info.not_after,
        &info.key,
    ]
    .into_iter()
    .chain(&info.sans)
    {
        assert!(escaped(s), "raw control in {s:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    // As received from a server.
    check(&cert::describe(data));

    // As read from a file.
    let mut store = RootCertStore::empty();
    for der in CertificateDer::pem_slice_iter(data).take(16) {
        let Ok(der) = der else { break };
        check(&cert::describe(&der));
        let _ = store.add(der);
    }
    if let Ok(key) = PrivateKeyDer::from_pem_slice(data) {
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let _ = provider.key_provider.load_private_key(key);
    }
});
