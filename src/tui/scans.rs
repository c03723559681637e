//! Server-profile scans from the TUI, the pure part: which part of the scan a diagnosis
//! points to (`focused`), the jobs the scan keys ask for, and the picture the profile view
//! shows — every scan of an attempt merged into one profile, legacy probes kept apart
//! because they answer one narrow question ("does the server answer this ClientHello?").
//! Running a job is `scan_task`'s business.

use crate::diagnose::Cause;
use crate::plan::{Plan, TlsVersion};
use crate::scan::catalog::suite_value;
use crate::scan::verdict::verdict;
use crate::scan::{Profile, ScanPlan, ScanVersion, profile::overlap};
use crate::session::attempt::ScanRecord;
use crate::session::{Attempt, Session};

/// Which part of the server's profile to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanKind {
    /// Which versions are accepted (one or a few connections per version).
    Versions,
    /// Every suite of these versions, in the server's order.
    Suites(Vec<ScanVersion>),
    /// The groups of TLS 1.2 and 1.3.
    Groups,
    /// Everything: versions, suites and groups.
    Full,
    /// Each sender profile's default ClientHello (`scan --senders`).
    Senders,
    /// A legacy retry as a scanner probe: a ClientHello for this version, or one suite in a
    /// TLS 1.2 ClientHello (the server may answer with an older version).
    Legacy {
        version: ScanVersion,
        suite: Option<String>,
    },
}

/// Prefix of every legacy probe's label (the profile view lists them by it).
pub const LEGACY: &str = "legacy probe";

/// What legacy probes are, in the words the screen uses.
pub const LEGACY_NOTE: &str = "the server's answer to the ClientHello, not a full handshake";

impl ScanKind {
    /// Words for the status line and the record (`ScanFinished::what`).
    pub fn label(&self) -> String {
        match self {
            ScanKind::Versions => "versions".into(),
            ScanKind::Suites(vs) => {
                let names: Vec<&str> = vs.iter().map(|v| v.words()).collect();
                format!("suites of {}", names.join(" and "))
            }
            ScanKind::Groups => "groups".into(),
            ScanKind::Full => "full profile".into(),
            ScanKind::Senders => "sender profiles".into(),
            ScanKind::Legacy {
                version,
                suite: None,
            } => format!("{LEGACY}: {} ClientHello", version.words()),
            ScanKind::Legacy {
                version,
                suite: Some(s),
            } => format!("{LEGACY}: {s} in a {} ClientHello", version.words()),
        }
    }

    pub fn is_legacy(&self) -> bool {
        matches!(self, ScanKind::Legacy { .. })
    }
}

/// A scan to run for an attempt; `id` tells its updates from a cancelled one's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanJob {
    pub id: u64,
    pub attempt: u32,
    /// The attempt's last time: the `ScanFinished` event's `at_us`.
    pub at_us: u64,
    pub kind: ScanKind,
    pub plan: ScanPlan,
}

/// The focused part of the scan for a diagnosis' cause: versions for no-shared-version and
/// for a peer that closed or reset during the handshake, the suites of the versions the
/// attempt offered for no-shared-cipher, groups for no-shared-group, else everything.
pub fn focused(cause: Option<Cause>, plan: &Plan) -> ScanKind {
    match cause {
        Some(
            Cause::NoSharedVersion
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
            ScanKind::Suites(vs)
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

/// The scans (legacy probes left out) as one profile: per version the latest result, unless
/// an earlier one listed every suite and the later one only probed the version; groups per
/// version, the latest; connections and time added up; overlap and verdict recomputed.
pub fn merge(records: &[ScanRecord]) -> Option<Profile> {
    let mut scans = records
        .iter()
        .filter(|r| !r.what.starts_with(LEGACY))
        .map(|r| &r.profile);
    let mut out = scans.next()?.clone();
    for p in scans {
        for v in &p.versions {
            match out.versions.iter_mut().find(|o| o.version == v.version) {
                Some(o) if o.complete && o.accepted && !v.complete => {}
                Some(o) => *o = v.clone(),
                None => out.versions.push(v.clone()),
            }
        }
        for g in &p.groups {
            match out.groups.iter_mut().find(|o| o.version == g.version) {
                Some(o) => *o = g.clone(),
                None => out.groups.push(g.clone()),
            }
        }
        if p.stopped.is_some() {
            out.stopped.clone_from(&p.stopped);
        }
        if !p.senders.is_empty() {
            out.senders.clone_from(&p.senders); // the latest run of the senders wins
        }
        out.address = p.address.or(out.address);
        out.connections = out.connections.saturating_add(p.connections);
        out.elapsed_ms = out.elapsed_ms.saturating_add(p.elapsed_ms);
    }
    out.versions.sort_by_key(|v| v.scan_version());
    out.groups.sort_by(|a, b| a.version.cmp(&b.version));
    out.overlap = overlap(&out.versions, &out.groups);
    out.verdict = verdict(
        out.stopped.as_deref(),
        &out.versions,
        &out.groups,
        &out.overlap,
    );
    Some(out)
}

/// What a merged profile has not looked at yet, for "partial scan" labels: versions never
/// probed, accepted versions whose suites were not all listed, accepted TLS 1.2/1.3 without
/// their groups.
pub fn missing(p: &Profile) -> Vec<String> {
    let mut out = Vec::new();
    let unprobed: Vec<&str> = ScanVersion::ALL
        .iter()
        .filter(|v| !p.versions.iter().any(|r| r.version == v.name()))
        .map(|v| v.words())
        .collect();
    if !unprobed.is_empty() {
        out.push(format!("{} not probed", unprobed.join(", ")));
    }
    let partial: Vec<&str> = p
        .versions
        .iter()
        .filter(|v| v.accepted && !v.complete)
        .map(|v| crate::scan::evidence::version_words(&v.version))
        .collect();
    if !partial.is_empty() {
        out.push(format!("suites of {} not all listed", partial.join(", ")));
    }
    let no_groups: Vec<&str> = p
        .versions
        .iter()
        .filter(|v| v.accepted && matches!(v.version.as_str(), "TLSv1.2" | "TLSv1.3"))
        .filter(|v| !p.groups.iter().any(|g| g.version == v.version))
        .map(|v| crate::scan::evidence::version_words(&v.version))
        .collect();
    if !no_groups.is_empty() {
        out.push(format!("groups of {} not scanned", no_groups.join(", ")));
    }
    out
}
