//! `--only PATTERN`: the allow-list that keeps a triage on the hosts the user means (a lab, a
//! staging network). A pattern is a name (`mx.example.com`), every name under a domain
//! (`*.example.com`), an address (`127.0.0.1`, `::1`) or a network (`127.0.0.0/8`).

use std::net::IpAddr;
use std::str::FromStr;

use super::Destination;
use crate::plan::Target;

/// One `--only` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Exactly this name (a typed domain or host, or the relay name a log gave).
    Name(String),
    /// Names under this domain (not the domain itself).
    Under(String),
    /// This address, or this network when the prefix is shorter than the address.
    Net(IpAddr, u8),
}

impl FromStr for Pattern {
    type Err = String;

    fn from_str(s: &str) -> Result<Pattern, String> {
        let bad = || {
            format!(
                "{:?} is not an --only pattern: use a name (mx.example.com), *.domain, an \
                 address (127.0.0.1) or a network (127.0.0.0/8)",
                crate::sanitize::cap(&crate::sanitize::escape_str(s), 80)
            )
        };
        let t = s.trim();
        if let Some((ip, len)) = t.split_once('/') {
            let ip: IpAddr = ip.parse().map_err(|_| bad())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len: u8 = len.parse().ok().filter(|&n| n <= max).ok_or_else(bad)?;
            return Ok(Pattern::Net(ip, len));
        }
        if let Ok(ip) = t.trim_start_matches('[').trim_end_matches(']').parse() {
            let len = if matches!(ip, IpAddr::V4(_)) { 32 } else { 128 };
            return Ok(Pattern::Net(ip, len));
        }
        let (under, name) = match t.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let name = crate::plan::check::host_name("--only", name).map_err(|_| bad())?;
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        Ok(if under {
            Pattern::Under(name)
        } else {
            Pattern::Name(name)
        })
    }
}

impl Pattern {
    fn name_matches(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        match self {
            Pattern::Name(n) => name == *n,
            Pattern::Under(d) => name
                .strip_suffix(d.as_str())
                .is_some_and(|head| head.ends_with('.')),
            Pattern::Net(..) => false,
        }
    }

    fn address_matches(&self, addr: IpAddr) -> bool {
        let Pattern::Net(net, len) = self else {
            return false;
        };
        match (net, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix(&n.octets(), &a.octets(), *len),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix(&n.octets(), &a.octets(), *len),
            _ => false,
        }
    }
}

/// Whether the first `len` bits of `a` and `b` are the same.
fn prefix(a: &[u8], b: &[u8], len: u8) -> bool {
    let len = usize::from(len);
    let (whole, bits) = (len / 8, len % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    bits == 0 || {
        let mask = 0xffu8 << (8 - bits);
        a[whole] & mask == b[whole] & mask
    }
}

/// Whether `patterns` admit `d` (no patterns: every destination). A destination the log
/// pinned to an address is admitted by a pattern matching that address or its relay name;
/// a typed name by a pattern matching the name.
pub fn admits(patterns: &[Pattern], d: &Destination) -> bool {
    if patterns.is_empty() {
        return true;
    }
    let name = match &d.target {
        Target::Domain(n) | Target::Host(n) => Some(n.as_str()),
        Target::Ip(_) => None,
    };
    let address = d.address.map(|a| a.ip()).or(match d.target {
        Target::Ip(ip) => Some(ip),
        _ => None,
    });
    patterns.iter().any(|p| {
        address.is_some_and(|a| p.address_matches(a))
            || name.is_some_and(|n| p.name_matches(n))
            || d.relay_host.as_deref().is_some_and(|n| p.name_matches(n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(s: &str) -> Destination {
        Destination::from_target(s).unwrap()
    }

    fn pats(s: &[&str]) -> Vec<Pattern> {
        s.iter().map(|p| p.parse().unwrap()).collect()
    }

    #[test]
    fn names_subdomains_addresses_and_networks() {
        let p = pats(&["mx.example.com", "*.lab.test", "127.0.0.0/8", "::1"]);
        assert!(admits(&p, &dest("mx.example.com")));
        assert!(admits(&p, &dest("MX.Example.com:2525")));
        assert!(!admits(&p, &dest("example.com")));
        assert!(admits(&p, &dest("a.b.lab.test")));
        assert!(!admits(&p, &dest("lab.test")));
        assert!(!admits(&p, &dest("evillab.test")));
        assert!(admits(&p, &dest("127.9.9.9:25")));
        assert!(!admits(&p, &dest("128.0.0.1:25")));
        assert!(admits(&p, &dest("[::1]:25")));
        assert!(!admits(&p, &dest("[::2]:25")));
        let relay = Destination::relay(Some("x.lab.test".into()), "192.0.2.1:25".parse().unwrap());
        assert!(admits(&p, &relay));
        assert!(admits(&[], &dest("anything.example")));
    }

    #[test]
    fn bad_patterns_are_refused() {
        for bad in ["", "*.", "10.0.0.0/33", "a b", "x/8", "\u{1b}[2J"] {
            assert!(bad.parse::<Pattern>().is_err(), "{bad:?}");
        }
    }
}
