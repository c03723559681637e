//! `probe DOMAIN --all`, the engine half: the domain is probed as usual first (routing,
//! DNSSEC and policy lookups), then every other MX × address pair pinned, a few at a time and
//! never two connections at once to one address. Every event goes to the same channel.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::engine::{Emitter, EventSender, Stepper, attempt};
use crate::plan::Plan;
use crate::session::Session;
use crate::sweep::{Pair, pairs};

/// Most connections a sweep has open at once.
pub const CONCURRENCY: usize = 4;

/// How many attempt ids a sweep may use, from its first.
pub const MAX_IDS: u32 = crate::sweep::MAX_PAIRS as u32 + 1;

/// Run the sweep of `plan`'s domain with attempt ids `first`, `first + 1`, ...
pub async fn run(plan: Plan, tx: EventSender, first: u32) {
    let mut session = Session::new();
    let (inner_tx, mut inner_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(attempt::run(
        plan.clone(),
        Emitter::new(first, inner_tx),
        Arc::new(Stepper::default()),
    ));
    while let Some(ev) = inner_rx.recv().await {
        session.apply(&ev);
        let _ = tx.send(ev);
    }
    let _ = task.await;
    let Some(head) = session.attempt(first) else {
        return;
    };
    let todo: Vec<(u32, Pair)> = pairs(head, plan.port)
        .into_iter()
        .filter(|(_, todo)| *todo)
        .zip(first + 1..first + MAX_IDS)
        .map(|((p, _), id)| (id, p))
        .collect();
    // One queue per address: its pairs go one after another.
    let mut by_addr: BTreeMap<SocketAddr, Vec<(u32, Pair)>> = BTreeMap::new();
    for (id, p) in todo {
        by_addr.entry(p.addr).or_default().push((id, p));
    }
    futures_util::stream::iter(by_addr.into_values())
        .for_each_concurrent(CONCURRENCY, |queue| {
            let tx = tx.clone();
            let plan = plan.clone();
            async move {
                for (id, p) in queue {
                    let mut pinned = plan.clone();
                    pinned.address = Some(p.addr);
                    pinned.address_host = Some(p.host);
                    attempt::run(pinned, Emitter::new(id, tx.clone()), Arc::default()).await;
                }
            }
        })
        .await;
}
