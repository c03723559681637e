//! The elimination search shared by suites and groups: offer a list, the server picks one,
//! remove it, offer the rest, until the server refuses. Each connection finds one accepted
//! value, plus one final refusal per list — the fewest connections a ClientHello allows.
//!
//! Preference order comes out of the same picks. A client-preference server picks in our
//! offered order; a pick that jumps ahead proves server order at no cost. When the picks
//! happen to follow our order, one more hello offering the first two in reverse settles it.
//! A server-order server's picks from separate lists (chunks) are merged by offering the
//! lists' heads together: the server names the next one each time.

use super::answer::Answer;
use super::catalog::{ScanVersion, groups_for};
use super::hello::{HelloSpec, default_key_shares};
use super::pace::{Ctx, Stopped};

/// What is being searched for in one version.
#[derive(Debug, Clone)]
pub enum Search {
    /// Cipher suites.
    Suites(ScanVersion),
    /// Groups, offered with these suites (ECDHE ones for TLS 1.2).
    Groups(ScanVersion, Vec<u16>),
}

/// The picks of one elimination run.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Accepted values, in the order the server picked them.
    pub picks: Vec<u16>,
    /// The first answer (the one that tells whether the version is accepted at all).
    pub first: Option<Answer>,
}

impl Search {
    fn version(&self) -> ScanVersion {
        match self {
            Search::Suites(v) | Search::Groups(v, _) => *v,
        }
    }

    /// The hello offering `offered`, and whether to read on to the ServerKeyExchange.
    fn spec(&self, ctx: &Ctx<'_>, offered: &[u16]) -> (HelloSpec, bool) {
        let version = self.version();
        let tls13 = version == ScanVersion::Tls13;
        let (suites, groups, key_shares, want_kx) = match self {
            Search::Suites(_) => {
                let shares = if tls13 {
                    default_key_shares()
                } else {
                    Vec::new()
                };
                let groups = groups_for(if tls13 { version } else { ScanVersion::Tls12 });
                (offered.to_vec(), groups, shares, false)
            }
            // An empty key_share makes a TLS 1.3 server name its group in an HRR.
            Search::Groups(_, suites) => (suites.clone(), offered.to_vec(), Vec::new(), !tls13),
        };
        let spec = HelloSpec {
            version,
            suites,
            groups,
            key_shares,
            sni: ctx.sni.clone(),
        };
        (spec, want_kx)
    }

    /// The offered value the answer picked, if it is an acceptance at this version.
    pub fn pick(&self, answer: &Answer, offered: &[u16]) -> Option<u16> {
        let Answer::Hello(c) = answer else {
            return None;
        };
        if c.version != self.version().wire() {
            return None;
        }
        let value = match self {
            Search::Suites(_) => Some(c.suite),
            Search::Groups(..) => c.group,
        }?;
        offered.contains(&value).then_some(value)
    }

    /// One probe offering `offered`.
    pub async fn probe(&self, ctx: &Ctx<'_>, offered: &[u16]) -> Result<Answer, Stopped> {
        let (spec, want_kx) = self.spec(ctx, offered);
        ctx.probe(&spec, want_kx).await
    }

    /// Eliminates over `candidates`; `first` is an answer already received for all of them.
    pub async fn eliminate(
        &self,
        ctx: &Ctx<'_>,
        candidates: &[u16],
        first: Option<Answer>,
    ) -> Result<Found, Stopped> {
        let mut left = candidates.to_vec();
        let mut found = Found::default();
        let mut next = first;
        while !left.is_empty() {
            let answer = match next.take() {
                Some(a) => a,
                None => self.probe(ctx, &left).await?,
            };
            let pick = self.pick(&answer, &left);
            found.first.get_or_insert(answer);
            let Some(pick) = pick else { break };
            found.picks.push(pick);
            left.retain(|v| *v != pick);
        }
        Ok(found)
    }

    /// Whether the server orders by its own preference; `None` with fewer than two picks.
    /// `lists` are the picks of each elimination run, `catalog` our offered order.
    pub async fn server_order(
        &self,
        ctx: &Ctx<'_>,
        lists: &[Vec<u16>],
        catalog: &[u16],
    ) -> Result<Option<bool>, Stopped> {
        let index = |v: &u16| catalog.iter().position(|c| c == v).unwrap_or(usize::MAX);
        if lists
            .iter()
            .any(|l| l.windows(2).any(|w| index(&w[0]) > index(&w[1])))
        {
            return Ok(Some(true));
        }
        let mut all: Vec<u16> = lists.iter().flatten().copied().collect();
        all.sort_by_key(index);
        let [a, b, ..] = all[..] else {
            return Ok(None);
        };
        let answer = self.probe(ctx, &[b, a]).await?;
        Ok(match self.pick(&answer, &[a, b]) {
            Some(p) if p == a => Some(true),
            Some(_) => Some(false),
            None => None,
        })
    }

    /// The server's overall order from per-list orders, by offering the lists' heads.
    pub async fn merge(&self, ctx: &Ctx<'_>, lists: Vec<Vec<u16>>) -> Result<Vec<u16>, Stopped> {
        let mut lists: Vec<std::collections::VecDeque<u16>> = lists
            .into_iter()
            .filter(|l| !l.is_empty())
            .map(Into::into)
            .collect();
        let mut out = Vec::new();
        while lists.len() > 1 {
            let heads: Vec<u16> = lists.iter().filter_map(|l| l.front().copied()).collect();
            let answer = self.probe(ctx, &heads).await?;
            let Some(pick) = self.pick(&answer, &heads) else {
                break; // no clear answer: keep the rest in list order
            };
            out.push(pick);
            for l in &mut lists {
                if l.front() == Some(&pick) {
                    l.pop_front();
                }
            }
            lists.retain(|l| !l.is_empty());
        }
        out.extend(lists.into_iter().flatten());
        Ok(out)
    }
}
