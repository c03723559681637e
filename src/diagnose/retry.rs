//! The retries a diagnosis can suggest, and what each one changes in a plan: "the same plan
//! with one field changed". Front ends bind them to keys; the report prints them as words.

use serde::Serialize;

use crate::plan::{Plan, Sni, TlsMode, TlsVersion};

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
    /// The changed plan, or None when the retry is not a plan change (scan, edit).
    pub fn apply(&self, plan: &Plan) -> Option<Plan> {
        let mut p = plan.clone();
        match self {
            Retry::Same => {}
            Retry::Tls12Only => p.tls.versions = vec![TlsVersion::Tls12],
            Retry::Tls13Only => p.tls.versions = vec![TlsVersion::Tls13],
            Retry::BothVersions => p.tls.versions = vec![],
            Retry::WithoutPostQuantum => {
                p.tls.groups = crate::engine::tls::group_names()
                    .into_iter()
                    .filter(|g| !crate::wire::names::is_post_quantum(g))
                    .collect()
            }
            Retry::DefaultGroups => p.tls.groups = vec![],
            Retry::NoVerify => p.tls.verify = false,
            Retry::Sni(name) => p.tls.sni = Sni::Name(name.clone()),
            Retry::ImplicitTls => {
                p.mode = TlsMode::Implicit;
                if p.port == 25 {
                    p.port = 465;
                }
            }
            Retry::LongerTimeout => p.timeouts.reply *= 4,
            Retry::EditEhlo | Retry::Scan => return None,
        }
        Some(p)
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
