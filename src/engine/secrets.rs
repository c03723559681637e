//! The attempt's TLS secrets, kept in memory only: rustls hands them to this `KeyLog` during
//! the handshake, the tap reads them to decrypt the TLS 1.3 timeline, and `--pcap` writes them
//! into its capture. They never enter an event, a recording or a report.

use std::sync::{Arc, Mutex};

/// One NSS key-log entry: label, the ClientHello random, the secret.
#[derive(Clone)]
pub struct Secret {
    pub label: String,
    pub client_random: Vec<u8>,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "Secret({} ..)", self.label)
    }
}

impl Secret {
    /// The NSS key-log line (`LABEL <client_random hex> <secret hex>`), without newline.
    pub fn nss_line(&self) -> String {
        format!(
            "{} {} {}",
            self.label,
            hex(&self.client_random),
            hex(&self.secret)
        )
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A shared, append-only list of one attempt's secrets.
#[derive(Clone, Default)]
pub struct Secrets {
    all: Arc<Mutex<Vec<Secret>>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} kept)", self.with(|v| v.len()))
    }
}

impl Secrets {
    pub fn new() -> Secrets {
        Secrets::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Vec<Secret>) -> T) -> T {
        // A poisoned lock only means a panic elsewhere; the list is still whole.
        let mut guard = self.all.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// The secrets logged after the first `seen`.
    pub fn since(&self, seen: usize) -> Vec<Secret> {
        self.with(|v| v.get(seen..).map(<[Secret]>::to_vec).unwrap_or_default())
    }

    /// Every secret as NSS key-log text, one line each.
    pub fn key_log(&self) -> String {
        self.with(|v| v.iter().map(|s| s.nss_line() + "\n").collect())
    }

    pub fn is_empty(&self) -> bool {
        self.with(|v| v.is_empty())
    }
}

/// Keeps every secret in `keep`, and also hands it to the user's key log, if any.
#[derive(Debug)]
pub struct KeyLogs {
    pub keep: Secrets,
    pub also: Option<Arc<dyn rustls::KeyLog>>,
}

impl rustls::KeyLog for KeyLogs {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.keep.with(|v| {
            v.push(Secret {
                label: label.to_owned(),
                client_random: client_random.to_vec(),
                secret: secret.to_vec(),
            })
        });
        if let Some(also) = &self.also {
            also.log(label, client_random, secret);
        }
    }

    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::KeyLog;

    #[test]
    fn kept_in_order_and_never_printed() {
        let keep = Secrets::new();
        let logs = KeyLogs {
            keep: keep.clone(),
            also: None,
        };
        logs.log("CLIENT_HANDSHAKE_TRAFFIC_SECRET", &[1, 2], &[0xab; 4]);
        logs.log("SERVER_HANDSHAKE_TRAFFIC_SECRET", &[1, 2], &[0xcd; 4]);
        assert_eq!(keep.since(1).len(), 1);
        assert_eq!(
            keep.key_log(),
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET 0102 abababab\nSERVER_HANDSHAKE_TRAFFIC_SECRET 0102 cdcdcdcd\n"
        );
        let shown = format!("{keep:?} {logs:?} {:?}", keep.since(0));
        assert!(
            !shown.contains("abab") && !shown.contains("cdcd"),
            "{shown}"
        );
    }
}
