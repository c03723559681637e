//! The one host-name matcher with a `*.` wildcard: MTA-STS `mx` patterns (RFC 8461 §4.1) and
//! certificate names (RFC 6125 §6.4.3) follow the same rule, `*` standing for exactly one
//! left-most label.

/// Whether `host` matches `pattern`: exact (case-insensitive, a trailing dot ignored) or
/// `*.` followed by the rest, where `*` stands for exactly one non-empty left-most label.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    let (pattern, host) = (norm(pattern), norm(host));
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_stands_for_exactly_one_leftmost_label() {
        // RFC 8461 §4.1: "*.example.com" matches "mx1.example.com" but not
        // "mx1.mx2.example.com" nor "example.com".
        assert!(host_matches("*.example.com", "mx1.example.com"));
        assert!(host_matches("*.example.com", "MX1.Example.COM."));
        assert!(!host_matches("*.example.com", "mx1.mx2.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", ".example.com"));
        assert!(host_matches("mail.example.com", "mail.example.com."));
        assert!(!host_matches("mail.example.com", "mail2.example.com"));
        // A certificate name written with a trailing dot names the same host.
        assert!(host_matches("MX.Example.NET.", "mx.example.net"));
        assert!(!host_matches("*.example.net", "*.example.net.x"));
    }
}
