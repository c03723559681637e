//! Parsing what the user typed as a target: a mail domain (MX lookup), `[host]` or
//! `host:port` (that host, no MX lookup, as in Postfix's `[host]` notation), `ip`,
//! `ip:port` or `[ipv6]:port`.

use std::net::IpAddr;

use crate::plan::Target;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("empty target")]
    Empty,
    #[error("bad port in {0:?}: a port is a number from 1 to 65535")]
    Port(String),
    #[error("{0:?} is not a valid host name")]
    Name(String),
}

/// Parse a target and the port it names, if any.
pub fn parse(input: &str) -> Result<(Target, Option<u16>), TargetError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(TargetError::Empty);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok((Target::Ip(ip), None));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| TargetError::Name(s.to_string()))?;
        let port = match after {
            "" => None,
            p => Some(port(
                p.strip_prefix(':')
                    .ok_or_else(|| TargetError::Port(s.into()))?,
                s,
            )?),
        };
        let target = match inside.parse::<IpAddr>() {
            Ok(ip) => Target::Ip(ip),
            Err(_) => Target::Host(host(inside)?),
        };
        return Ok((target, port));
    }
    if let Some((h, p)) = s.rsplit_once(':') {
        let port = port(p, s)?;
        let target = match h.parse::<IpAddr>() {
            Ok(ip) => Target::Ip(ip),
            Err(_) => Target::Host(host(h)?),
        };
        return Ok((target, Some(port)));
    }
    Ok((Target::Domain(host(s)?), None))
}

fn port(p: &str, whole: &str) -> Result<u16, TargetError> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(TargetError::Port(whole.to_string())),
    }
}

fn host(h: &str) -> Result<String, TargetError> {
    let h = h.trim_end_matches('.');
    let ok = !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(h.to_ascii_lowercase())
    } else {
        Err(TargetError::Name(h.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_forms() {
        let ip = |s: &str| Target::Ip(s.parse().unwrap());
        type Case = (&'static str, Result<(Target, Option<u16>), TargetError>);
        let cases: &[Case] = &[
            (
                "example.com",
                Ok((Target::Domain("example.com".into()), None)),
            ),
            (
                "Example.COM.",
                Ok((Target::Domain("example.com".into()), None)),
            ),
            (
                "[mx1.example.com]",
                Ok((Target::Host("mx1.example.com".into()), None)),
            ),
            (
                "mx1.example.com:587",
                Ok((Target::Host("mx1.example.com".into()), Some(587))),
            ),
            (
                "[mx1.example.com]:2525",
                Ok((Target::Host("mx1.example.com".into()), Some(2525))),
            ),
            ("192.0.2.1", Ok((ip("192.0.2.1"), None))),
            ("192.0.2.1:25", Ok((ip("192.0.2.1"), Some(25)))),
            ("::1", Ok((ip("::1"), None))),
            ("[::1]:465", Ok((ip("::1"), Some(465)))),
            ("[2001:db8::1]", Ok((ip("2001:db8::1"), None))),
            ("", Err(TargetError::Empty)),
            ("host:0", Err(TargetError::Port("host:0".into()))),
            ("host:99999", Err(TargetError::Port("host:99999".into()))),
            ("bad host", Err(TargetError::Name("bad host".into()))),
            ("-x.example", Err(TargetError::Name("-x.example".into()))),
            ("[::1]x", Err(TargetError::Port("[::1]x".into()))),
        ];
        for (input, want) in cases {
            assert_eq!(&parse(input), want, "{input}");
        }
    }
}
