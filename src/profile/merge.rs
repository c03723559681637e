//! Several scans of one attempt as one picture: per version the latest result, groups per
//! version, connections and time added up (legacy probes kept apart, they answer one narrow
//! question), and what the picture has not looked at yet.

use super::ScanRecord;
use super::catalog::ScanVersion;
use super::verdict::verdict;
use super::{Profile, overlap};

/// The scans (legacy probes left out) as one profile: per version the latest result, unless
/// an earlier one listed every suite and the later one only probed the version; groups per
/// version, the latest; connections and time added up; overlap and verdict recomputed.
pub fn merge(records: &[ScanRecord]) -> Option<Profile> {
    let mut scans = records
        .iter()
        .filter(|r| !r.kind.is_legacy())
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
    out.versions.sort_by_key(|v| v.version);
    out.groups.sort_by_key(|g| g.version);
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
        .filter(|v| !p.versions.iter().any(|r| r.version == **v))
        .map(|v| v.words())
        .collect();
    if !unprobed.is_empty() {
        out.push(format!("{} not probed", unprobed.join(", ")));
    }
    let partial: Vec<&str> = p
        .versions
        .iter()
        .filter(|v| v.accepted && !v.complete)
        .map(|v| v.version.words())
        .collect();
    if !partial.is_empty() {
        out.push(format!("suites of {} not all listed", partial.join(", ")));
    }
    let no_groups: Vec<&str> = p
        .versions
        .iter()
        .filter(|v| v.accepted && v.version.is_modern())
        .filter(|v| !p.groups.iter().any(|g| g.version == v.version))
        .map(|v| v.version.words())
        .collect();
    if !no_groups.is_empty() {
        out.push(format!("groups of {} not scanned", no_groups.join(", ")));
    }
    out
}
