//! How two plans differ, field by field: the one comparison that the case's step words
//! ("TLS 1.2 only, without the post-quantum key share") and the TUI's plan comparison
//! ("versions: TLSv1.2+1.3 → TLSv1.2") are both written from.

use super::{Family, Plan, Sni, TlsMode};

/// A field of a plan that an attempt can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Target,
    Port,
    Mode,
    Family,
    Address,
    Versions,
    Suites,
    Groups,
    Sni,
    Verify,
    Ehlo,
    Timeouts,
}

impl Field {
    /// Every field, in the order differences are listed.
    pub const ALL: [Field; 12] = [
        Field::Target,
        Field::Family,
        Field::Versions,
        Field::Groups,
        Field::Suites,
        Field::Sni,
        Field::Verify,
        Field::Mode,
        Field::Port,
        Field::Ehlo,
        Field::Address,
        Field::Timeouts,
    ];

    /// Whether `a` and `b` differ in this field.
    pub fn differs(self, a: &Plan, b: &Plan) -> bool {
        match self {
            Field::Target => a.target != b.target,
            Field::Port => a.port != b.port,
            Field::Mode => a.mode != b.mode,
            Field::Family => a.family != b.family,
            Field::Address => a.address != b.address,
            Field::Versions => a.tls.versions != b.tls.versions,
            Field::Suites => a.tls.cipher_suites != b.tls.cipher_suites,
            Field::Groups => a.tls.groups != b.tls.groups,
            Field::Sni => a.tls.sni != b.tls.sni,
            Field::Verify => a.tls.verify != b.tls.verify,
            Field::Ehlo => a.ehlo != b.ehlo,
            Field::Timeouts => a.timeouts != b.timeouts,
        }
    }

    /// The field's name in a comparison.
    pub fn name(self) -> &'static str {
        match self {
            Field::Target => "target",
            Field::Port => "port",
            Field::Mode => "mode",
            Field::Family => "family",
            Field::Address => "address",
            Field::Versions => "versions",
            Field::Suites => "suites",
            Field::Groups => "groups",
            Field::Sni => "sni",
            Field::Verify => "verify",
            Field::Ehlo => "ehlo",
            Field::Timeouts => "timeout",
        }
    }

    /// The field's value in `p`, in a few words.
    pub fn value(self, p: &Plan) -> String {
        let list = |v: &[String]| {
            if v.is_empty() {
                "default".to_string()
            } else {
                v.join(",")
            }
        };
        match self {
            Field::Target => p.target.display_name(),
            Field::Port => p.port.to_string(),
            Field::Mode => match p.mode {
                TlsMode::Starttls => "STARTTLS".into(),
                TlsMode::Implicit => "implicit TLS".into(),
            },
            Field::Family => match p.family {
                Family::Any => "any".into(),
                Family::V4 => "IPv4".into(),
                Family::V6 => "IPv6".into(),
            },
            Field::Address => p
                .address
                .map_or_else(|| "resolve".into(), |s| s.to_string()),
            Field::Versions if p.tls.versions.is_empty() => "TLSv1.2+1.3".into(),
            Field::Versions => {
                let names: Vec<&str> = p.tls.versions.iter().map(|v| v.name()).collect();
                names.join("+")
            }
            Field::Suites => list(&p.tls.cipher_suites),
            Field::Groups => list(&p.tls.groups),
            Field::Sni => match &p.tls.sni {
                Sni::Auto => "auto".into(),
                Sni::Off => "off".into(),
                Sni::Name(n) => n.clone(),
            },
            Field::Verify => if p.tls.verify { "strict" } else { "off" }.into(),
            Field::Ehlo => p.ehlo.clone(),
            Field::Timeouts => crate::units::human_duration(p.timeouts.reply),
        }
    }
}

/// The fields in which `b` differs from `a`, in [`Field::ALL`] order.
pub fn diff(a: &Plan, b: &Plan) -> Vec<Field> {
    Field::ALL.into_iter().filter(|f| f.differs(a, b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Target, TlsVersion};

    #[test]
    fn only_what_changed_in_order() {
        let a = Plan::new(Target::Host("mx.example.net".into()));
        assert!(diff(&a, &a).is_empty());
        let mut b = a.clone();
        b.tls.versions = vec![TlsVersion::Tls12];
        b.tls.sni = Sni::Off;
        b.mode = TlsMode::Implicit;
        assert_eq!(diff(&a, &b), [Field::Versions, Field::Sni, Field::Mode]);
        assert_eq!(Field::Versions.value(&a), "TLSv1.2+1.3");
        assert_eq!(Field::Versions.value(&b), "TLSv1.2");
        // No Debug spelling leaks into the words.
        assert_eq!(Field::Sni.value(&b), "off");
        assert_eq!(Field::Mode.value(&b), "implicit TLS");
    }
}
