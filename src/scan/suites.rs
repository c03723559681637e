//! One version's pipeline: is it accepted, which suites, in whose order, which groups.
//!
//! The first hello of a version (the first [`CHUNK`](super::catalog::CHUNK) suites of the
//! catalog, most likely ones first) doubles as the version probe. `protocol_version`, a
//! ServerHello for another version, FIN, RST or a timeout end the version at one
//! connection; a `handshake_failure` (no shared suite in that chunk) sends the scan on to the
//! other chunks. The chunks' eliminations then run side by side.

use futures_util::future::try_join_all;

use super::answer::Answer;
use super::catalog::{ScanVersion, chunks, ecdhe_suites, groups_for, suites_for};
use super::hello::HelloSpec;
use super::pace::{Ctx, Stopped};
use super::profile::{Ending, GroupResult, VersionResult};
use super::search::{Found, Search};
use crate::wire::names::{group_name, suite_name};

/// What to find out about a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
    /// Every suite and the server's order (else: only whether the version is accepted).
    pub suites: bool,
    /// The groups (TLS 1.2 and 1.3 only).
    pub groups: bool,
}

/// Alerts that mean "no shared suite in this hello", not "no such version".
fn try_other_chunks(a: &Answer) -> bool {
    // handshake_failure, insufficient_security
    matches!(
        a,
        Answer::Alert {
            description: 40 | 71,
            ..
        }
    )
}

/// Scans one version to `depth`.
pub async fn scan_version(
    ctx: &Ctx<'_>,
    version: ScanVersion,
    depth: Depth,
) -> Result<(VersionResult, Option<GroupResult>), Stopped> {
    let catalog = suites_for(version);
    let chunks = chunks(&catalog);
    let search = Search::Suites(version);
    let Some(first_chunk) = chunks.first() else {
        return Ok((
            VersionResult::refused(version, "nothing to offer", Ending::NotAsked),
            None,
        ));
    };
    let first = search.probe(ctx, first_chunk).await?;
    let rest = chunks.get(1..).unwrap_or_default();
    let mut found: Vec<Found> = Vec::new();
    if search.pick(&first, first_chunk).is_none() && !try_other_chunks(&first) {
        ctx.step_done(version.name());
        return Ok((
            VersionResult::refused(version, &first.describe(), first.ending()),
            None,
        ));
    }
    if depth.suites {
        let runs = chunks.iter().enumerate().map(|(i, c)| {
            let known = (i == 0).then(|| first.clone());
            search.eliminate(ctx, c, known)
        });
        found = try_join_all(runs).await?;
    } else {
        found.push(search.eliminate_one(first_chunk, first.clone()));
        for c in rest {
            if found.iter().any(|f| !f.picks.is_empty()) {
                break;
            }
            let a = search.probe(ctx, c).await?;
            found.push(search.eliminate_one(c, a));
        }
    }
    let lists: Vec<Vec<u16>> = found.iter().map(|f| f.picks.clone()).collect();
    let accepted = found.iter().find(|f| !f.picks.is_empty());
    let Some(answer) = accepted.and_then(|f| f.first.clone()) else {
        ctx.step_done(version.name());
        return Ok((
            VersionResult::refused(version, &first.describe(), first.ending()),
            None,
        ));
    };
    let (order, suites) = if depth.suites {
        let order = search.server_order(ctx, &lists, &catalog).await?;
        let suites = if order == Some(true) {
            search.merge(ctx, lists).await?
        } else {
            let mut all: Vec<u16> = lists.into_iter().flatten().collect();
            all.sort_by_key(|v| catalog.iter().position(|c| c == v));
            all
        };
        (order, suites)
    } else {
        (None, lists.into_iter().flatten().collect())
    };
    ctx.step_done(version.name());
    let mut result =
        VersionResult::accepted(version, &answer.describe(), &suites, order, depth.suites);
    if depth.groups {
        result.dhe_prime_bits = dhe_prime_bits(ctx, version, &suites).await?;
    }
    let groups = if depth.groups && version >= ScanVersion::Tls12 {
        Some(scan_groups(ctx, version, depth.suites.then_some(&suites)).await?)
    } else {
        None
    };
    Ok((result, groups))
}

/// With DHE suites among `accepted`: one more hello offering only those, read to the
/// ServerKeyExchange for the size of the server's prime (1024 bits is Logjam territory).
async fn dhe_prime_bits(
    ctx: &Ctx<'_>,
    version: ScanVersion,
    accepted: &[u16],
) -> Result<Option<u16>, Stopped> {
    let dhe: Vec<u16> = accepted
        .iter()
        .copied()
        .filter(|s| suite_name(*s).starts_with("TLS_DHE_"))
        .collect();
    if dhe.is_empty() || version == ScanVersion::Tls13 {
        return Ok(None);
    }
    let spec = HelloSpec {
        version,
        suites: dhe,
        groups: groups_for(ScanVersion::Tls12),
        key_shares: Vec::new(),
        sni: ctx.sni.clone(),
    };
    Ok(match ctx.probe(&spec, true).await? {
        Answer::Hello(c) => c.dh_bits,
        _ => None,
    })
}

impl Search {
    /// A "found" made of one answer, without further probes.
    fn eliminate_one(&self, offered: &[u16], answer: Answer) -> Found {
        Found {
            picks: self.pick(&answer, offered).into_iter().collect(),
            first: Some(answer),
        }
    }
}

/// The groups a version accepts, with `suites` (those found accepted) to offer alongside.
pub async fn scan_groups(
    ctx: &Ctx<'_>,
    version: ScanVersion,
    suites: Option<&Vec<u16>>,
) -> Result<GroupResult, Stopped> {
    let offer: Vec<u16> = match (version, suites) {
        (ScanVersion::Tls13, Some(s)) if !s.is_empty() => s.clone(),
        (ScanVersion::Tls13, _) => suites_for(version),
        (_, Some(s)) => s
            .iter()
            .copied()
            .filter(|v| suite_name(*v).starts_with("TLS_ECDHE_"))
            .collect(),
        (_, None) => ecdhe_suites(),
    };
    if offer.is_empty() {
        ctx.step_done("groups");
        return Ok(GroupResult {
            version,
            groups: Vec::new(),
            server_order: None,
            answer: "no ECDHE suite accepted: no group to negotiate".into(),
        });
    }
    let search = Search::Groups(version, offer);
    let catalog = groups_for(version);
    let found = search.eliminate(ctx, &catalog, None).await?;
    let lists = vec![found.picks.clone()];
    let order = search.server_order(ctx, &lists, &catalog).await?;
    let mut groups = found.picks;
    if order != Some(true) {
        groups.sort_by_key(|v| catalog.iter().position(|c| c == v));
    }
    ctx.step_done("groups");
    Ok(GroupResult {
        version,
        groups: groups.into_iter().map(group_name).collect(),
        server_order: order,
        answer: found.first.map(|a| a.describe()).unwrap_or_default(),
    })
}
