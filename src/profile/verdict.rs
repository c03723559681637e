//! The one-line verdict: can a modern (rustls-based, TLS 1.2+) sender agree with this
//! server, and if not, what the server insists on — in the words a mail engineer would
//! put in a ticket ("server accepts only TLS 1.0 with CBC suites (RSA key exchange): no
//! client limited to TLS 1.2+ can negotiate").

use super::{GroupResult, Overlap, VersionResult};

/// The verdict for a finished scan, with a warning when the server's DH prime is weak.
pub fn verdict(
    stopped: Option<&str>,
    versions: &[VersionResult],
    groups: &[GroupResult],
    overlap: &Overlap,
) -> String {
    let mut s = main_verdict(stopped, versions, groups, overlap);
    let weakest = versions.iter().filter_map(|v| v.dhe_prime_bits).min();
    if let Some(bits) = weakest.filter(|b| *b < 2048) {
        s.push_str(&format!(
            "; its DHE suites use a {bits}-bit prime, too weak (Logjam): senders that insist on 2048 bits refuse them"
        ));
    }
    s
}

fn main_verdict(
    stopped: Option<&str>,
    versions: &[VersionResult],
    groups: &[GroupResult],
    overlap: &Overlap,
) -> String {
    let accepted: Vec<&VersionResult> = versions.iter().filter(|v| v.accepted).collect();
    if accepted.is_empty() {
        if let Some(why) = stopped {
            return format!("scan stopped: {why}");
        }
        if versions.is_empty() {
            // A senders-only run (`E`, `--senders`) asks no version: nothing to say here.
            return "no TLS version was scanned".into();
        }
        let answers: Vec<String> = versions
            .iter()
            .map(|v| format!("{}: {}", v.version, v.answer))
            .collect();
        return format!(
            "server accepted none of the versions offered ({}): nothing can negotiate",
            answers.join("; ")
        );
    }
    let legacy: Vec<&str> = accepted
        .iter()
        .filter(|v| !v.version.is_modern())
        .map(|v| v.version.words())
        .collect();
    if overlap.negotiable {
        let best = overlap.best.as_deref().unwrap_or("TLS 1.2+");
        let mut s = format!("a rustls-based sender can negotiate {best}");
        if !legacy.is_empty() {
            s.push_str(&format!("; the server also accepts {}", join(&legacy)));
        }
        return s;
    }
    let modern: Vec<&&VersionResult> = accepted.iter().filter(|v| v.version.is_modern()).collect();
    if modern.is_empty() {
        let all: Vec<String> = accepted
            .iter()
            .flat_map(|v| v.cipher_suites.clone())
            .collect();
        return format!(
            "server accepts only {} with {}: no client limited to TLS 1.2+ can negotiate",
            join(&legacy),
            describe_suites(&all)
        );
    }
    let reasons: Vec<String> = modern
        .iter()
        .map(|v| {
            let shared = v
                .cipher_suites
                .iter()
                .any(|s| overlap.cipher_suites.contains(s));
            if shared {
                let g = groups.iter().find(|g| g.version == v.version);
                let list = g.map(|g| g.groups.join(", ")).unwrap_or_default();
                format!("{} only with groups {list}", v.version.words())
            } else if !v.complete {
                // Only the suites seen in passing: "only with CBC" would be a guess.
                format!(
                    "{} (not every suite probed; seen: {})",
                    v.version.words(),
                    describe_suites(&v.cipher_suites)
                )
            } else {
                format!(
                    "{} only with {}",
                    v.version.words(),
                    describe_suites(&v.cipher_suites)
                )
            }
        })
        .collect();
    format!(
        "server accepts {}: nothing in common with a rustls-based sender (TLS 1.2+1.3, ECDHE with AEAD suites)",
        reasons.join("; ")
    )
}

fn join(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "CBC suites (RSA key exchange)", "GCM and CBC suites", ...
pub fn describe_suites(suites: &[String]) -> String {
    const MODES: [(&str, &str); 7] = [
        ("_GCM_", "GCM"),
        ("CHACHA20", "ChaCha20"),
        ("_CCM", "CCM"),
        ("_CBC_", "CBC"),
        ("RC4", "RC4"),
        ("_NULL_", "NULL"),
        ("EXPORT", "export"),
    ];
    const KX: [(&str, &str); 8] = [
        ("TLS_ECDHE_", "ECDHE"),
        ("TLS_DHE_", "DHE"),
        ("TLS_RSA_", "RSA"),
        ("TLS_ECDH_", "static ECDH"),
        ("TLS_DH_", "static DH"),
        ("PSK", "PSK"),
        ("SRP", "SRP"),
        ("anon", "anonymous"),
    ];
    let pick = |table: &[(&'static str, &'static str)]| -> Vec<&'static str> {
        table
            .iter()
            .filter(|(pat, _)| suites.iter().any(|s| s.contains(pat)))
            .map(|(_, name)| *name)
            .collect()
    };
    let modes = pick(&MODES);
    let kx = pick(&KX);
    let mut s = if modes.is_empty() {
        "unusual suites".to_owned()
    } else {
        format!("{} suites", join(&modes))
    };
    if !kx.is_empty() && !kx.contains(&"ECDHE") {
        s.push_str(&format!(" ({} key exchange)", join(&kx)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::catalog::ScanVersion;

    fn v(version: &str, suites: &[&str]) -> VersionResult {
        VersionResult {
            version: ScanVersion::parse(version).expect("a version name"),
            accepted: !suites.is_empty(),
            answer: String::new(),
            cipher_suites: suites.iter().map(|s| (*s).to_owned()).collect(),
            server_order: None,
            complete: true,
            dhe_prime_bits: None,
            unfinished: None,
            ending: None,
        }
    }

    #[test]
    fn weak_dh_primes_are_named_in_the_verdict() {
        let mut tls12 = v("TLSv1.2", &["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]);
        tls12.dhe_prime_bits = Some(1024);
        let o = super::super::overlap(std::slice::from_ref(&tls12), &[]);
        let s = verdict(None, std::slice::from_ref(&tls12), &[], &o);
        assert!(s.ends_with("its DHE suites use a 1024-bit prime, too weak (Logjam): senders that insist on 2048 bits refuse them"), "{s}");
        tls12.dhe_prime_bits = Some(2048);
        let s = verdict(None, std::slice::from_ref(&tls12), &[], &o);
        assert!(!s.contains("Logjam"), "{s}");
    }

    #[test]
    fn verdicts() {
        let tls10 = [v(
            "TLSv1.0",
            &[
                "TLS_RSA_WITH_AES_128_CBC_SHA",
                "TLS_RSA_WITH_AES_256_CBC_SHA",
            ],
        )];
        let o = super::super::overlap(&tls10, &[]);
        assert_eq!(
            verdict(None, &tls10, &[], &o),
            "server accepts only TLS 1.0 with CBC suites (RSA key exchange): no client limited to TLS 1.2+ can negotiate"
        );
        let rsa12 = [v(
            "TLSv1.2",
            &[
                "TLS_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_RSA_WITH_AES_128_CBC_SHA",
            ],
        )];
        let o = super::super::overlap(&rsa12, &[]);
        assert!(!o.negotiable);
        assert!(verdict(None, &rsa12, &[], &o).starts_with(
            "server accepts TLS 1.2 only with GCM and CBC suites (RSA key exchange): nothing in common"
        ));
        let modern = [
            v("TLSv1.0", &["TLS_RSA_WITH_AES_128_CBC_SHA"]),
            v("TLSv1.3", &["TLS_AES_256_GCM_SHA384"]),
        ];
        let o = super::super::overlap(&modern, &[]);
        assert_eq!(
            verdict(None, &modern, &[], &o),
            "a rustls-based sender can negotiate TLSv1.3 TLS_AES_256_GCM_SHA384; the server also accepts TLS 1.0"
        );
        assert_eq!(
            verdict(Some("STARTTLS is not offered"), &[], &[], &o),
            "scan stopped: STARTTLS is not offered"
        );
        assert_eq!(verdict(None, &[], &[], &o), "no TLS version was scanned");
        let mut partial = rsa12.clone();
        partial[0].complete = false;
        let o = super::super::overlap(&partial, &[]);
        let s = verdict(None, &partial, &[], &o);
        assert!(
            s.starts_with("server accepts TLS 1.2 (not every suite probed; seen: GCM and CBC suites (RSA key exchange))"),
            "{s}"
        );
    }
}
