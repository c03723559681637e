//! One change to a plan, written once: the TUI's keys and editors, the diagnosis' retries
//! and `--investigate` all turn into a `PlanEdit`, and `PlanEdit::apply` gives the changed
//! plan, checked the way the CLI checks its flags. Toggles are resolved by the caller
//! against the plan in view, so an edit always says what the new value is.

use std::net::SocketAddr;

use crate::plan::check::{self, CheckError};
use crate::plan::provider::classic_group_names;
use crate::plan::{Plan, Sni, TlsMode, TlsVersion};

/// One change to a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanEdit {
    /// The same plan again.
    Same,
    /// Offer only these versions (empty: both TLS 1.2 and 1.3).
    Versions(Vec<TlsVersion>),
    /// Offer only these cipher suites (empty: the defaults).
    Suites(Vec<String>),
    /// Offer only these key-exchange groups (empty: the defaults, post-quantum first).
    Groups(Vec<String>),
    /// Offer the classic groups only: no X25519MLKEM768 share, a smaller ClientHello.
    WithoutPostQuantum,
    Sni(Sni),
    Verify(bool),
    Ehlo(String),
    /// Pin to (address, host), or unpin with None.
    Pin(Option<(SocketAddr, Option<String>)>),
    /// STARTTLS or implicit TLS; the well-known port follows (25 ↔ 465), another port stays.
    Mode(TlsMode),
    /// Four times the reply timeout.
    LongerTimeout,
}

impl PlanEdit {
    /// The plan with this change, or why it cannot work (before any connection).
    pub fn apply(&self, plan: &Plan) -> Result<Plan, CheckError> {
        let mut p = plan.clone();
        match self {
            PlanEdit::Same => {}
            PlanEdit::Versions(v) => p.tls.versions.clone_from(v),
            PlanEdit::Suites(s) => p.tls.cipher_suites.clone_from(s),
            PlanEdit::Groups(g) => p.tls.groups.clone_from(g),
            PlanEdit::WithoutPostQuantum => p.tls.groups = classic_group_names(),
            PlanEdit::Sni(Sni::Name(n)) => p.tls.sni = Sni::Name(check::host_name("SNI", n)?),
            PlanEdit::Sni(s) => p.tls.sni = s.clone(),
            PlanEdit::Verify(on) => p.tls.verify = *on,
            PlanEdit::Ehlo(e) => p.ehlo = check::ehlo(e)?,
            PlanEdit::Pin(pin) => {
                p.address = pin.as_ref().map(|(a, _)| *a);
                p.address_host = pin.as_ref().and_then(|(_, h)| h.clone());
            }
            PlanEdit::Mode(mode) => {
                p.port = match (p.mode, *mode, p.port) {
                    (TlsMode::Starttls, TlsMode::Implicit, 25) => 465,
                    (TlsMode::Implicit, TlsMode::Starttls, 465) => 25,
                    (_, _, port) => port,
                };
                p.mode = *mode;
            }
            PlanEdit::LongerTimeout => p.timeouts.reply *= 4,
        }
        check::check(&p)?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Target;

    fn base() -> Plan {
        Plan::new(Target::Host("mx.example.net".into()))
    }

    #[test]
    fn each_edit_changes_one_thing() {
        let b = base();
        assert_eq!(PlanEdit::Same.apply(&b).unwrap(), b);
        let only12 = PlanEdit::Versions(vec![TlsVersion::Tls12])
            .apply(&b)
            .unwrap();
        assert_eq!(only12.tls.versions, vec![TlsVersion::Tls12]);
        assert_eq!(
            Plan {
                tls: b.tls.clone(),
                ..only12.clone()
            },
            b
        );
        let p = PlanEdit::WithoutPostQuantum.apply(&b).unwrap();
        assert!(!p.tls.groups.is_empty());
        assert!(p.tls.groups.iter().all(|g| !g.contains("MLKEM")));
        assert!(p.tls.groups.iter().any(|g| g == "X25519"));
        assert!(!PlanEdit::Verify(false).apply(&b).unwrap().tls.verify);
        let p = PlanEdit::LongerTimeout.apply(&b).unwrap();
        assert_eq!(p.timeouts.reply, b.timeouts.reply * 4);
    }

    #[test]
    fn the_well_known_port_follows_the_mode_and_others_stay() {
        let b = base();
        let i = PlanEdit::Mode(TlsMode::Implicit).apply(&b).unwrap();
        assert_eq!((i.mode, i.port), (TlsMode::Implicit, 465));
        let back = PlanEdit::Mode(TlsMode::Starttls).apply(&i).unwrap();
        assert_eq!((back.mode, back.port), (TlsMode::Starttls, 25));
        let mut on587 = b.clone();
        on587.port = 587;
        let i = PlanEdit::Mode(TlsMode::Implicit).apply(&on587).unwrap();
        assert_eq!((i.mode, i.port), (TlsMode::Implicit, 587));
        // Setting the mode it already has changes nothing.
        assert_eq!(PlanEdit::Mode(TlsMode::Starttls).apply(&b).unwrap(), b);
    }

    #[test]
    fn values_are_checked_before_they_reach_a_plan() {
        let b = base();
        let p = PlanEdit::Sni(Sni::Name("MX.Example.NET.".into()))
            .apply(&b)
            .unwrap();
        assert_eq!(p.tls.sni, Sni::Name("mx.example.net".into()));
        assert!(PlanEdit::Sni(Sni::Name("a\r\nb".into())).apply(&b).is_err());
        assert!(
            PlanEdit::Ehlo("x\r\nMAIL FROM:<a@b>".into())
                .apply(&b)
                .is_err()
        );
        let tls12 = PlanEdit::Versions(vec![TlsVersion::Tls12])
            .apply(&b)
            .unwrap();
        let err = PlanEdit::Suites(vec!["TLS13_AES_128_GCM_SHA256".into()])
            .apply(&tls12)
            .unwrap_err();
        assert!(matches!(err, CheckError::SuitesVersions { .. }), "{err}");
    }
}
