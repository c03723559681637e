//! Evidence lines for a diagnosis, quoted from the attempt's events with their times
//! ("+3 ms S alert fatal handshake_failure"), so every claim points at what was seen.

use crate::session::{Attempt, TimelineRow, TranscriptLine};
use crate::wire::{ClientHelloInfo, Dir, MessageInfo, ServerHelloInfo};

/// Read-only views over one attempt that the diagnosis rules share.
pub struct Facts<'a> {
    a: &'a Attempt,
}

pub fn ms(us: u64) -> String {
    crate::units::human_micros(us)
}

fn arrow(d: Dir) -> &'static str {
    match d {
        Dir::Client => "C→S",
        Dir::Server => "S→C",
    }
}

/// Thousands separators for byte counts (`units::thousands`, for `usize` counts).
pub fn bytes(n: usize) -> String {
    crate::units::thousands(n as u64)
}

/// An alert other than a plain close_notify (which a decrypted TLS 1.3 session ends with):
/// what the timeline and the report show as trouble.
pub fn is_trouble(m: &MessageInfo) -> bool {
    matches!(m, MessageInfo::Alert(a) if !(a.code == 0 && a.level == "warning"))
}

/// How a record's row starts: decrypted rows say so.
pub fn decrypted_label(r: &crate::wire::RecordInfo) -> &'static str {
    if r.decrypted.is_some() {
        "[decrypted] "
    } else {
        ""
    }
}

/// One message in a few words.
pub fn message_words(m: &MessageInfo) -> String {
    match m {
        MessageInfo::ClientHello(ch) => {
            // A TLS 1.2-only hello has no key_share extension: say nothing rather than "".
            let shares = if ch.key_shares.is_empty() {
                String::new()
            } else {
                let list: Vec<String> = ch
                    .key_shares
                    .iter()
                    .map(|(g, n)| format!("{g} {n} B"))
                    .collect();
                format!("; key shares {}", list.join(", "))
            };
            format!(
                "ClientHello {} bytes ({}; {} suites; groups {}{shares})",
                bytes(ch.size),
                ch.versions.join(", "),
                ch.cipher_suites.len(),
                ch.groups.join(", "),
            )
        }
        MessageInfo::ServerHello(sh) => format!(
            "ServerHello {} {}{}",
            sh.version,
            sh.cipher_suite,
            sh.group
                .as_ref()
                .map(|g| format!(" {g}"))
                .unwrap_or_default()
        ),
        MessageInfo::HelloRetryRequest(sh) => format!(
            "HelloRetryRequest (asks for {})",
            sh.group.clone().unwrap_or_else(|| "another group".into())
        ),
        MessageInfo::Certificate { count: 0, .. } => "Certificate (empty: no certificate)".into(),
        MessageInfo::Certificate {
            count,
            sizes,
            ocsp_staple: Some(staple),
        } => format!(
            "Certificate ({count} certificates: {} B; {})",
            sizes
                .iter()
                .map(|n| bytes(*n))
                .collect::<Vec<_>>()
                .join(" + "),
            if *staple {
                "OCSP staple"
            } else {
                "no OCSP staple"
            }
        ),
        MessageInfo::Certificate { count, .. } => format!("Certificate ({count} certificates)"),
        MessageInfo::EncryptedExtensions {
            alpn,
            server_name_ack,
            record_size_limit,
            ..
        } => {
            let mut said = Vec::new();
            if let Some(p) = alpn {
                said.push(format!("ALPN {p}"));
            }
            if *server_name_ack {
                said.push("server name acknowledged".to_string());
            }
            if let Some(n) = record_size_limit {
                said.push(format!("record size limit {}", bytes(usize::from(*n))));
            }
            if said.is_empty() {
                "EncryptedExtensions".into()
            } else {
                format!("EncryptedExtensions ({})", said.join("; "))
            }
        }
        MessageInfo::CertificateVerify { algorithm, .. } => {
            format!("CertificateVerify ({algorithm})")
        }
        MessageInfo::ApplicationData {
            length,
            carries,
            lines,
        } => match carries {
            Some(first) => format!(
                "application data {} B (carries: {first}{})",
                bytes(*length),
                match lines {
                    0 | 1 => String::new(),
                    n => format!(" + {} more lines", n - 1),
                }
            ),
            None => format!("application data {} B", bytes(*length)),
        },
        MessageInfo::ServerKeyExchange { group, .. } => format!(
            "ServerKeyExchange{}",
            group.as_ref().map(|g| format!(" {g}")).unwrap_or_default()
        ),
        MessageInfo::CertificateRequest {
            authorities,
            signature_algorithms,
            ..
        } => format!(
            "CertificateRequest ({}; {})",
            match authorities.as_slice() {
                [] => "no CA names".to_string(),
                [one] => format!("acceptable CA: {one}"),
                many => format!("{} acceptable CAs", many.len()),
            },
            crate::units::plural(
                u64::try_from(signature_algorithms.len()).unwrap_or(u64::MAX),
                "signature algorithm"
            )
        ),
        MessageInfo::ServerHelloDone => "ServerHelloDone".into(),
        MessageInfo::ClientKeyExchange { .. } => "ClientKeyExchange".into(),
        MessageInfo::Finished { .. } => "Finished".into(),
        MessageInfo::NewSessionTicket { .. } => "NewSessionTicket".into(),
        MessageInfo::ChangeCipherSpec => "ChangeCipherSpec".into(),
        MessageInfo::Alert(al) => format!("alert {} {}", al.level, al.description),
        MessageInfo::Encrypted { length } => format!("encrypted record ({} bytes)", bytes(*length)),
        MessageInfo::Handshake { name, .. } => name.clone(),
        MessageInfo::Malformed { reason } => format!("malformed: {reason}"),
    }
}

impl<'a> Facts<'a> {
    pub fn of(a: &'a Attempt) -> Facts<'a> {
        Facts { a }
    }

    pub fn client_hello(&self) -> Option<&'a ClientHelloInfo> {
        self.a.messages().find_map(|(_, _, m)| match m {
            MessageInfo::ClientHello(ch) => Some(ch),
            _ => None,
        })
    }

    pub fn server_hello(&self) -> Option<&'a ServerHelloInfo> {
        self.a.messages().find_map(|(_, _, m)| match m {
            MessageInfo::ServerHello(sh) => Some(sh),
            _ => None,
        })
    }

    pub fn offered_versions(&self) -> String {
        self.client_hello()
            .map(|c| c.versions.join(", "))
            .unwrap_or_else(|| "?".into())
    }

    pub fn offered_groups(&self) -> String {
        self.client_hello()
            .map(|c| c.groups.join(", "))
            .unwrap_or_else(|| "?".into())
    }

    pub fn server_version_words(&self) -> String {
        self.server_hello()
            .map(|s| format!("it chose {}", s.version))
            .unwrap_or_else(|| "no ServerHello seen".into())
    }

    pub fn server_sent_non_tls(&self) -> bool {
        self.a
            .messages()
            .any(|(_, d, m)| d == Dir::Server && matches!(m, MessageInfo::Malformed { .. }))
    }

    pub fn non_tls_words(&self) -> String {
        self.a
            .messages()
            .find_map(|(_, d, m)| match m {
                MessageInfo::Malformed { reason } if d == Dir::Server => Some(reason.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// "3 ms after our 1,350-byte ClientHello" / "after the server's Certificate".
    pub fn after_last_record(&self) -> String {
        let end = self.a.ended.map(|(_, at)| at).unwrap_or(self.a.last_us);
        // Only what came before the end: a FIN seen during a step-mode pause precedes the
        // ClientHello we sent after it.
        let last = self
            .a
            .messages()
            .filter(|(at, _, m)| *at <= end && !matches!(m, MessageInfo::Alert(_)))
            .last();
        match last {
            Some((at, Dir::Client, MessageInfo::ClientHello(ch))) => format!(
                "{} after our {}-byte ClientHello",
                ms(end.saturating_sub(at)),
                bytes(ch.size)
            ),
            Some((at, dir, m)) => format!(
                "{} after {} {}",
                ms(end.saturating_sub(at)),
                if dir == Dir::Client { "our" } else { "its" },
                message_words(m)
            ),
            None => "before any TLS record".into(),
        }
    }

    /// The handshake as evidence: every record, and how the connection ended.
    pub fn handshake_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for row in &self.a.timeline {
            match row {
                TimelineRow::Record { at_us, dir, record } => {
                    for m in &record.messages {
                        out.push(format!(
                            "+{} {} {}{}",
                            ms(*at_us),
                            arrow(*dir),
                            decrypted_label(record),
                            message_words(m)
                        ));
                    }
                }
                TimelineRow::Ended { at_us, how } => {
                    out.push(format!("+{} connection ended: {}", ms(*at_us), how.words()))
                }
            }
        }
        if out.len() > 12 {
            let tail = out.split_off(out.len() - 8);
            out.truncate(3);
            out.push("…".into());
            out.extend(tail);
        }
        out
    }

    pub fn negotiated_line(&self) -> String {
        self.a
            .negotiated
            .as_ref()
            .map(|n| {
                format!(
                    "negotiated {} {} {} ({} handshake)",
                    n.version,
                    n.cipher_suite,
                    n.group.clone().unwrap_or_default(),
                    n.handshake_kind
                )
            })
            .unwrap_or_default()
    }

    pub fn verdict_line(&self) -> Option<String> {
        self.a
            .verdict
            .as_ref()
            .map(|v| format!("certificate: {}", v.detail))
    }

    pub fn chain_lines(&self) -> Vec<String> {
        self.a
            .certificates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "#{i} {} issued by {} valid {} to {}",
                    c.subject, c.issuer, c.not_before, c.not_after
                )
            })
            .collect()
    }

    pub fn caps_change(&self) -> String {
        let before = self.a.capabilities(false);
        let after = self.a.capabilities(true);
        if after.is_empty() {
            return String::new();
        }
        let added: Vec<&String> = after.iter().filter(|c| !before.contains(c)).collect();
        // Implicit TLS has no EHLO before TLS: nothing was "added" to compare with.
        if added.is_empty() || before.is_empty() {
            format!("EHLO over TLS: {}", after.join(", "))
        } else {
            format!(
                "EHLO over TLS adds: {}",
                added
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }

    pub fn last_server_line(&self) -> String {
        self.a
            .transcript
            .iter()
            .rev()
            .find(|l| l.dir == Dir::Server)
            .map(|l| l.line.clone())
            .unwrap_or_default()
    }

    /// The reply that failed: the server lines answering the last command before our QUIT
    /// (or the banner, when no command was sent), so a refusal is quoted, not the 221 to QUIT.
    pub fn failed_reply(&self) -> Vec<&'a TranscriptLine> {
        let t = &self.a.transcript;
        let quit = t
            .iter()
            .rposition(|l| l.dir == Dir::Client && l.line.eq_ignore_ascii_case("QUIT"));
        let before = &t[..quit.unwrap_or(t.len())];
        let start = before
            .iter()
            .rposition(|l| l.dir == Dir::Client)
            .map(|i| i + 1)
            .unwrap_or(0);
        before[start..]
            .iter()
            .filter(|l| l.dir == Dir::Server)
            .collect()
    }

    /// The failed reply as one quote ("454 4.7.0 TLS not available due to local problem").
    pub fn failed_reply_text(&self) -> String {
        let lines = self.failed_reply();
        match lines.as_slice() {
            [] => self.last_server_line(),
            [one] => one.line.clone(),
            many => many
                .iter()
                .map(|l| l.line.as_str())
                .collect::<Vec<_>>()
                .join(" / "),
        }
    }

    /// The command that failed and its reply, as evidence lines.
    pub fn failed_exchange(&self) -> Vec<String> {
        let replies = self.failed_reply();
        let Some(first) = replies.first() else {
            return self.transcript_tail(2);
        };
        let t = &self.a.transcript;
        let at = t.iter().position(|l| std::ptr::eq(l, *first)).unwrap_or(0);
        let command = t[..at].iter().rev().find(|l| l.dir == Dir::Client);
        command
            .into_iter()
            .chain(replies.iter().copied())
            .map(|l| {
                format!(
                    "+{} {} {}",
                    ms(l.at_us),
                    if l.dir == Dir::Client { "C:" } else { "S:" },
                    l.line
                )
            })
            .collect()
    }

    pub fn transcript_tail(&self, n: usize) -> Vec<String> {
        let t = &self.a.transcript;
        t[t.len().saturating_sub(n)..]
            .iter()
            .map(|l| {
                format!(
                    "+{} {} {}",
                    ms(l.at_us),
                    if l.dir == Dir::Client { "C:" } else { "S:" },
                    l.line
                )
            })
            .collect()
    }

    pub fn tried_lines(&self) -> Vec<String> {
        self.a
            .tried
            .iter()
            .map(|(addr, host)| match host {
                Some(h) => format!("tried {h} at {addr}"),
                None => format!("tried {addr}"),
            })
            .collect()
    }

    pub fn mx_lines(&self) -> Vec<String> {
        match &self.a.resolution.mx {
            Some((_, hosts)) => hosts
                .iter()
                .map(|h| format!("MX {} {} {:?}", h.preference, h.exchange, h.addresses))
                .collect(),
            None => vec![],
        }
    }

    pub fn peer_words(&self) -> String {
        match self.a.tried.last() {
            Some((addr, Some(h))) => format!("{h} ({addr})"),
            Some((addr, None)) => addr.to_string(),
            None => "the server".into(),
        }
    }
}
