//! The retries a diagnosis can suggest. Each plan change is a `PlanEdit` (written once, in
//! `plan::edit`); front ends bind retries to keys, the report prints them as words.

use serde::Serialize;

use crate::plan::{Plan, PlanEdit, Sni, TlsMode, TlsVersion};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "retry", content = "value", rename_all = "kebab-case")]
pub enum Retry {
    Same,
    Tls12Only,
    Tls13Only,
    BothVersions,
    /// Offer the classic groups only (drop X25519MLKEM768).
    WithoutPostQuantum,
    DefaultGroups,
    NoVerify,
    Sni(String),
    ImplicitTls,
    LongerTimeout,
    /// Needs user input (the TUI opens its editor).
    EditEhlo,
    /// Run the server-profile scanner instead of a handshake.
    Scan,
}

impl Retry {
    /// The plan change this retry is, or None when it is not one (scan, edit).
    pub fn edit(&self) -> Option<PlanEdit> {
        Some(match self {
            Retry::Same => PlanEdit::Same,
            Retry::Tls12Only => PlanEdit::Versions(vec![TlsVersion::Tls12]),
            Retry::Tls13Only => PlanEdit::Versions(vec![TlsVersion::Tls13]),
            Retry::BothVersions => PlanEdit::Versions(vec![]),
            Retry::WithoutPostQuantum => PlanEdit::WithoutPostQuantum,
            Retry::DefaultGroups => PlanEdit::Groups(vec![]),
            Retry::NoVerify => PlanEdit::Verify(false),
            Retry::Sni(name) => PlanEdit::Sni(Sni::Name(name.clone())),
            Retry::ImplicitTls => PlanEdit::Mode(TlsMode::Implicit),
            Retry::LongerTimeout => PlanEdit::LongerTimeout,
            Retry::EditEhlo | Retry::Scan => return None,
        })
    }

    /// The changed plan, or None when the retry is not a plan change (scan, edit) or the
    /// change cannot work with this plan.
    pub fn apply(&self, plan: &Plan) -> Option<Plan> {
        self.edit()?.apply(plan).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Target;

    #[test]
    fn each_retry_changes_one_thing() {
        let base = Plan::new(Target::Host("mx.example.net".into()));
        let p = Retry::Tls12Only.apply(&base).unwrap();
        assert_eq!(p.tls.versions, vec![TlsVersion::Tls12]);
        assert_eq!(
            Plan {
                tls: base.tls.clone(),
                ..p.clone()
            },
            base
        );
        let p = Retry::WithoutPostQuantum.apply(&base).unwrap();
        assert!(!p.tls.groups.is_empty());
        assert!(p.tls.groups.iter().all(|g| !g.contains("MLKEM")));
        assert!(p.tls.groups.iter().any(|g| g == "X25519"));
        let p = Retry::ImplicitTls.apply(&base).unwrap();
        assert_eq!((p.mode, p.port), (TlsMode::Implicit, 465));
        assert!(!Retry::NoVerify.apply(&base).unwrap().tls.verify);
        assert_eq!(Retry::Scan.apply(&base), None);
        let p = Retry::LongerTimeout.apply(&base).unwrap();
        assert_eq!(p.timeouts.reply, base.timeouts.reply * 4);
    }
}
