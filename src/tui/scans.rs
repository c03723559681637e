//! Server-profile scans from the TUI, the pure part: which part of the scan a diagnosis
//! points to (`focused`), the legacy suites the picker offers, and which attempt's scans
//! the profile view shows. Merging them is `profile::merge`; running one is the engine's.

use crate::diagnose::Cause;
use crate::plan::{Plan, TlsVersion};
use crate::profile::ScanRecord;
use crate::profile::catalog::ScanVersion;
use crate::profile::kind::ScanKind;
use crate::scan::catalog::suite_value;
use crate::session::{Attempt, Session};

/// The focused part of the scan for a diagnosis' cause: versions for no-shared-version and
/// for a peer that closed or reset during the handshake, the suites of the versions the
/// attempt offered for no-shared-cipher, groups for no-shared-group, else everything.
pub fn focused(cause: Option<Cause>, plan: &Plan) -> ScanKind {
    match cause {
        Some(
            Cause::NoSharedVersion
            | Cause::NoSharedParameters
            | Cause::PeerClosedDuringHandshake
            | Cause::PeerResetDuringHandshake,
        ) => ScanKind::Versions,
        Some(Cause::NoSharedCipher) => {
            let mut vs: Vec<ScanVersion> = plan
                .tls
                .versions
                .iter()
                .map(|v| match v {
                    TlsVersion::Tls12 => ScanVersion::Tls12,
                    TlsVersion::Tls13 => ScanVersion::Tls13,
                })
                .collect();
            if vs.is_empty() {
                vs = vec![ScanVersion::Tls12, ScanVersion::Tls13];
            }
            vs.sort();
            vs.dedup();
            ScanKind::Suites { versions: vs }
        }
        Some(Cause::NoSharedGroup) => ScanKind::Groups,
        _ => ScanKind::Full,
    }
}

/// Legacy suites the picker offers (IANA names the scanner knows): RSA key exchange, CBC,
/// 3DES and RC4 — what old servers insist on and rustls never offers.
pub fn legacy_suites() -> Vec<&'static str> {
    [
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        "TLS_RSA_WITH_AES_256_CBC_SHA",
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_RSA_WITH_AES_128_CBC_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_RSA_WITH_RC4_128_SHA",
    ]
    .into_iter()
    .filter(|s| suite_value(s).is_some())
    .collect()
}

/// The scans the profile view and the diagnosis show for `a`: its own, else those of the
/// latest attempt at the same target, port and mode (a retry after a scan keeps the picture).
pub fn for_attempt<'s>(session: &'s Session, a: &'s Attempt) -> Option<(u32, &'s [ScanRecord])> {
    if !a.scans.is_empty() {
        return Some((a.id, &a.scans));
    }
    let same = |b: &Attempt| match (&a.plan, &b.plan) {
        (Some(p), Some(q)) => p.target == q.target && p.port == q.port && p.mode == q.mode,
        _ => false,
    };
    session
        .attempts
        .iter()
        .rev()
        .find(|b| !b.scans.is_empty() && same(b))
        .map(|b| (b.id, b.scans.as_slice()))
}
