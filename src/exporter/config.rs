//! The exporter's configuration: named modules (the plan of a probe, as `probe` flags would
//! give it) and the allow-list. Read from TOML, in the style of blackbox_exporter's modules:
//!
//! ```toml
//! allow = ["example.com", "*.example.net", "127.0.0.0/8"]
//! max_concurrent = 4
//!
//! [modules.default]
//! port = 25
//! ehlo = "probe.example.org"
//! timeout = "10s"
//!
//! [modules.lab]
//! port = 2525
//! ca_file = "lab-ca.pem"
//! resolver = "127.0.0.1:5353"
//! trust_anchor = "lab-root.key"
//! ```
//!
//! A module is turned into `probe` arguments and read by the same parser, so a module means
//! exactly what those flags mean on the command line and fails with the same messages.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Parser;
use serde::Deserialize;

use crate::cli::ProbeArgs;
use crate::plan::Plan;
use crate::triage::only::Pattern;

/// Most probes running at once unless the configuration says otherwise.
pub const DEFAULT_CONCURRENT: usize = 4;

/// One named plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    pub port: Option<u16>,
    #[serde(default)]
    pub implicit_tls: bool,
    pub ehlo: Option<String>,
    pub sni: Option<String>,
    /// `false`: complete the handshake despite a bad certificate (as `--no-verify`).
    pub verify: Option<bool>,
    pub verify_name: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub trust_anchor: Option<PathBuf>,
    pub resolver: Option<String>,
    /// Per reply and TLS flight, e.g. "10s" (a scrape's own timeout bounds the whole probe).
    pub timeout: Option<String>,
    pub connect_timeout: Option<String>,
    #[serde(default)]
    pub tls_versions: Vec<String>,
    #[serde(default)]
    pub ciphers: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Skip DNSSEC, DANE, MTA-STS and TLS-RPT lookups.
    #[serde(default)]
    pub no_policy: bool,
    /// The MTA-STS policy host's port (443; another for labs).
    pub mta_sts_port: Option<u16>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    allow: Vec<String>,
    max_concurrent: Option<usize>,
    #[serde(default)]
    modules: BTreeMap<String, Module>,
}

/// The exporter's whole configuration, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub allow: Vec<Pattern>,
    pub max_concurrent: usize,
    pub modules: BTreeMap<String, Module>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read --config {path}: {source}")]
    Read {
        path: String,
        source: crate::files::FileError,
    },
    #[error("--config {path}: {detail}")]
    Toml { path: String, detail: String },
    #[error(
        "{what} {pattern:?}: use a name (mx.example.com), *.domain, an address (127.0.0.1) or a network (127.0.0.0/8)"
    )]
    Pattern { what: &'static str, pattern: String },
    #[error("module {name:?}: {detail}")]
    Module { name: String, detail: String },
    #[error(
        "no --allow pattern and no `allow` in the configuration: the exporter would probe nothing (give the domains, names or networks it may probe)"
    )]
    NothingAllowed,
    #[error("max_concurrent must be 1 to 64, not {0}")]
    Concurrency(usize),
}

impl Config {
    /// The configuration from `file` (if any) and the `--allow` patterns, every module
    /// checked by building its plan once for a placeholder target.
    pub fn load(file: Option<&std::path::Path>, allow: &[String]) -> Result<Config, ConfigError> {
        let parsed = match file {
            None => FileConfig::default(),
            Some(path) => {
                let shown = path.display().to_string();
                let bytes =
                    crate::files::read_capped("--config", path, 1024 * 1024).map_err(|source| {
                        ConfigError::Read {
                            path: shown.clone(),
                            source,
                        }
                    })?;
                let text = String::from_utf8_lossy(&bytes);
                toml::from_str(&text).map_err(|e| ConfigError::Toml {
                    path: shown,
                    detail: e.to_string(),
                })?
            }
        };
        let mut patterns = Vec::new();
        for (what, p) in parsed
            .allow
            .iter()
            .map(|p| ("allow", p))
            .chain(allow.iter().map(|p| ("--allow", p)))
        {
            patterns.push(p.parse::<Pattern>().map_err(|_| ConfigError::Pattern {
                what,
                pattern: crate::sanitize::escape_str(p),
            })?);
        }
        if patterns.is_empty() {
            return Err(ConfigError::NothingAllowed);
        }
        let max_concurrent = parsed.max_concurrent.unwrap_or(DEFAULT_CONCURRENT);
        if !(1..=64).contains(&max_concurrent) {
            return Err(ConfigError::Concurrency(max_concurrent));
        }
        let mut modules = parsed.modules;
        modules.entry("default".into()).or_default();
        for (name, m) in &modules {
            m.plan("example.org", None)
                .map_err(|detail| ConfigError::Module {
                    name: name.clone(),
                    detail,
                })?;
        }
        Ok(Config {
            allow: patterns,
            max_concurrent,
            modules,
        })
    }
}

/// The `probe` command line a module stands for.
#[derive(Debug, Parser)]
#[command(name = "module", no_binary_name = true)]
struct ModuleArgs {
    #[command(flatten)]
    probe: ProbeArgs,
}

impl Module {
    /// The `probe` arguments this module stands for, aimed at `target` (`port` overrides
    /// the module's).
    pub fn args(&self, target: &str, port: Option<u16>) -> Vec<String> {
        let mut a = vec![target.to_string()];
        let mut flag = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                a.push(format!("--{name}={v}"));
            }
        };
        flag("port", port.or(self.port).map(|p| p.to_string()));
        flag("ehlo", self.ehlo.clone());
        flag("sni", self.sni.clone());
        flag("verify-name", self.verify_name.clone());
        flag(
            "ca-file",
            self.ca_file.as_ref().map(|p| p.display().to_string()),
        );
        flag(
            "trust-anchor",
            self.trust_anchor.as_ref().map(|p| p.display().to_string()),
        );
        flag("resolver", self.resolver.clone());
        flag("timeout", self.timeout.clone());
        flag("connect-timeout", self.connect_timeout.clone());
        flag("mta-sts-port", self.mta_sts_port.map(|p| p.to_string()));
        for v in &self.tls_versions {
            flag("tls-version", Some(v.clone()));
        }
        for c in &self.ciphers {
            flag("cipher", Some(c.clone()));
        }
        for g in &self.groups {
            flag("group", Some(g.clone()));
        }
        if self.implicit_tls {
            a.push("--implicit-tls".into());
        }
        if self.verify == Some(false) {
            a.push("--no-verify".into());
        }
        if self.no_policy {
            a.push("--no-policy".into());
        }
        a
    }

    /// The plan for `target`, with every file read and every name checked, or the message
    /// `probe` would print.
    pub fn plan(&self, target: &str, port: Option<u16>) -> Result<Plan, String> {
        let args = ModuleArgs::try_parse_from(self.args(target, port)).map_err(|e| {
            // clap's message without its usage lines.
            e.to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string()
        })?;
        args.probe.plan().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn modules_mean_what_probe_flags_mean() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = write(
            dir.path(),
            "x.toml",
            "allow = [\"*.example.net\"]\nmax_concurrent = 2\n\
             [modules.submission]\nport = 465\nimplicit_tls = true\nehlo = \"probe.example.org\"\n\
             verify = false\ntimeout = \"5s\"\ntls_versions = [\"1.2\"]\n",
        );
        let c = Config::load(Some(&cfg), &["127.0.0.1".into()]).expect("config");
        assert_eq!(c.allow.len(), 2);
        assert_eq!(c.max_concurrent, 2);
        assert!(c.modules.contains_key("default"));
        let plan = c.modules["submission"]
            .plan("mx.example.net", None)
            .unwrap();
        assert_eq!(plan.port, 465);
        assert_eq!(plan.mode, crate::plan::TlsMode::Implicit);
        assert!(!plan.tls.verify);
        assert_eq!(plan.ehlo, "probe.example.org");
        assert_eq!(plan.timeouts.reply, std::time::Duration::from_secs(5));
        // The scrape's port wins over the module's.
        let plan = c.modules["submission"]
            .plan("mx.example.net", Some(2525))
            .unwrap();
        assert_eq!(plan.port, 2525);
    }

    #[test]
    fn bad_configurations_say_what_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        let err = |text: &str, allow: &[&str]| {
            let p = write(dir.path(), "c.toml", text);
            let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
            Config::load(Some(&p), &allow).unwrap_err().to_string()
        };
        assert!(err("", &[]).contains("no --allow pattern"));
        assert!(err("allow = [\"not a host!\"]", &[]).contains("\"not a host!\""));
        assert!(err("[modules.x]\nprot = 25\n", &["a.test"]).contains("unknown field"));
        let missing = err(
            "[modules.lab]\nca_file = \"/nonexistent/ca.pem\"\n",
            &["a.test"],
        );
        assert!(missing.starts_with("module \"lab\": "), "{missing}");
        assert!(missing.contains("--ca-file"), "{missing}");
        assert!(err("[modules.x]\ntimeout = \"forever\"\n", &["a.test"]).contains("forever"));
        assert!(err("max_concurrent = 0\n", &["a.test"]).contains("1 to 64"));
        let unreadable = Config::load(Some(&dir.path().join("none.toml")), &["a.test".into()])
            .unwrap_err()
            .to_string();
        assert!(
            unreadable.starts_with("cannot read --config"),
            "{unreadable}"
        );
    }
}
