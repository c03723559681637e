//! The lists the pickers offer: cipher suites and groups this client can offer (checked as
//! the plan has them), the addresses the attempt resolved (to pin one), and lab scenarios.

use super::app::item;
use super::app::{Mode, Picker, PickerKind};
use super::keymap;
use super::verbs::Command;
use crate::plan::Plan;
use crate::session::Attempt;

use crate::plan::provider::{group_code, suite_code};

fn picker(kind: PickerKind, title: &str, items: Vec<super::app::PickItem>, multi: bool) -> Picker {
    Picker {
        kind,
        title: title.into(),
        items,
        header: None,
        cursor: 0,
        multi,
    }
}

/// The key that applies a picker, as its title names it.
fn confirm() -> String {
    keymap::name(Mode::Picker, Command::Confirm)
}

/// "space checks, Enter retries", in the keys the table binds.
fn check_and_retry() -> String {
    format!(
        "{} checks, {} retries",
        keymap::name(Mode::Picker, Command::Toggle),
        confirm()
    )
}

pub fn suites(plan: Option<&Plan>) -> Picker {
    // The plan may spell a suite either way: compare code points.
    let chosen: Vec<Option<u16>> = plan
        .map(|p| p.tls.cipher_suites.iter().map(|s| suite_code(s)).collect())
        .unwrap_or_default();
    let items = crate::engine::tls::suite_names()
        .into_iter()
        .map(|s| {
            let on = chosen.is_empty() || chosen.contains(&suite_code(&s));
            item(s.clone(), vec![s], on)
        })
        .collect();
    picker(
        PickerKind::Suites,
        &format!("cipher suites to offer ({})", check_and_retry()),
        items,
        true,
    )
}

/// Groups, with every post-quantum hybrid folded into one toggle.
pub fn groups(plan: Option<&Plan>) -> Picker {
    let chosen: Vec<Option<u16>> = plan
        .map(|p| p.tls.groups.iter().map(|g| group_code(g)).collect())
        .unwrap_or_default();
    let on = |g: &str| chosen.is_empty() || chosen.contains(&group_code(g));
    let (pq, classic): (Vec<String>, Vec<String>) = crate::engine::tls::group_names()
        .into_iter()
        .partition(|g| crate::wire::names::is_post_quantum(g));
    let mut items = Vec::new();
    if !pq.is_empty() {
        let checked = pq.iter().any(|g| on(g));
        items.push(item(
            format!("post-quantum key share ({})", pq.join(", ")),
            pq,
            checked,
        ));
    }
    items.extend(classic.into_iter().map(|g| {
        let c = on(&g);
        item(g.clone(), vec![g], c)
    }));
    picker(
        PickerKind::Groups,
        &format!("key-exchange groups to offer ({})", check_and_retry()),
        items,
        true,
    )
}

/// Every address the attempt's resolution found, by MX host, plus "resolve again".
pub fn addresses(a: &Attempt) -> Picker {
    let mut items = vec![item("resolve again (no pinned address)", vec![], false)];
    let r = &a.resolution;
    if let Some((_, hosts)) = &r.mx {
        for h in hosts {
            for ip in &h.addresses {
                items.push(item(
                    format!("MX {:>3} {} {ip}", h.preference, h.exchange),
                    vec![ip.to_string(), h.exchange.clone()],
                    false,
                ));
            }
        }
    }
    if items.len() == 1 {
        let host = r
            .implicit_mx
            .clone()
            .or_else(|| a.host().map(str::to_string));
        let mut ips = r.addresses.clone();
        for (addr, _) in &a.tried {
            if !ips.contains(&addr.ip()) {
                ips.push(addr.ip());
            }
        }
        for ip in ips {
            let family = if ip.is_ipv4() { "IPv4" } else { "IPv6" };
            let mut v = vec![ip.to_string()];
            v.extend(host.clone());
            items.push(item(format!("{family} {ip}"), v, false));
        }
    }
    let pinned = a.plan.as_ref().and_then(|p| p.address).map(|s| s.ip());
    let cursor = items
        .iter()
        .position(|i| {
            i.values.first().map(String::as_str) == pinned.map(|p| p.to_string()).as_deref()
        })
        .unwrap_or(0);
    let mut p = picker(
        PickerKind::Address,
        &format!("connect to ({} retries there)", confirm()),
        items,
        false,
    );
    p.cursor = cursor;
    p
}

/// Legacy suites to probe one at a time in a TLS 1.2 ClientHello (the server may answer
/// with an older version): the scanner's probe, not a handshake.
pub fn legacy_suites() -> Picker {
    let items = crate::tui::scans::legacy_suites()
        .into_iter()
        .map(|s| {
            let what = crate::scan::verdict::describe_suites(&[s.to_string()]);
            item(format!("{s:<42} {what}"), vec![s.to_string()], false)
        })
        .collect();
    picker(
        PickerKind::LegacySuite,
        &format!(
            "legacy suite to probe ({}: the server's answer to the ClientHello, not a full handshake)",
            confirm()
        ),
        items,
        false,
    )
}

/// Every lab scenario with what is wrong with its server, as `tlsdive lab` lists them; the
/// cursor starts on `current` (the scenario on screen).
pub fn scenarios(current: Option<crate::lab::Scenario>) -> Picker {
    let all = crate::lab::Scenario::ALL;
    let items = all
        .iter()
        .map(|s| {
            item(
                format!("{:<25} {}", s.name(), s.describe()),
                vec![s.name().to_string()],
                false,
            )
        })
        .collect();
    let mut p = picker(
        PickerKind::Scenario,
        &format!(
            "lab scenario ({} probes it; {} closes)",
            confirm(),
            keymap::names(Mode::Picker, Command::Back)
        ),
        items,
        false,
    );
    p.header = Some(format!(
        "{:<25} {}",
        "scenario", "what is wrong with its server"
    ));
    p.cursor = current
        .and_then(|c| all.iter().position(|s| *s == c))
        .unwrap_or(0);
    p
}
