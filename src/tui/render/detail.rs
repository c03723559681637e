//! The decoded fields of the selected timeline row: for a ClientHello the offered versions,
//! suites, groups, key shares, SNI and size; for a ServerHello what was chosen; for an alert
//! its level and code; for the connection's end, how it ended.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::View;
use super::text::{safe_owned, wrap};
use super::timeline::{arrow, end_words, selected};
use crate::diagnose::evidence::{bytes, message_words};
use crate::session::TimelineRow;
use crate::tui::theme::Theme;
use crate::units::human_micros;
use crate::wire::MessageInfo;

pub fn render(f: &mut Frame, v: &View, area: Rect) {
    let block = v.block("selected row", false);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows = v.attempt().map(|a| a.timeline.as_slice()).unwrap_or(&[]);
    let width = usize::from(inner.width);
    let Some(row) = selected(v.app.main.timeline_row, rows).and_then(|i| rows.get(i)) else {
        // Step mode, before the ClientHello: its long lists (the timeline shows the rest).
        if let Some(ch) = v.attempt().and_then(super::timeline::pending_hello) {
            let lines: Vec<Line> = hello_preview(v.theme, ch)
                .1
                .into_iter()
                .flat_map(|l| wrap(l, width, 14))
                .collect();
            f.render_widget(Paragraph::new(lines), inner);
        }
        return;
    };
    let lines: Vec<Line> = fields(v.theme, row)
        .into_iter()
        .flat_map(|l| wrap(l, width, 14))
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn field(t: Theme, name: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:>12}: "), t.dim()),
        Span::raw(safe_owned(&value)),
    ])
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "(none)".into()
    } else {
        v.join(", ")
    }
}

/// The lines describing one timeline row.
pub fn fields(t: Theme, row: &TimelineRow) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    match row {
        TimelineRow::Ended { at_us, how } => {
            out.push(field(t, "at", human_micros(*at_us)));
            out.push(field(t, "connection", end_words(*how).to_string()));
        }
        TimelineRow::Record { at_us, dir, record } => {
            out.push(field(
                t,
                "record",
                format!(
                    "{} {} {} {}\u{a0}B{}",
                    arrow(*dir),
                    record.content_type,
                    record.version,
                    bytes(record.length),
                    match (&record.decrypted, record.encrypted) {
                        (Some(inner), _) => format!(" (encrypted; decrypted: {inner})"),
                        (None, true) => " (encrypted)".into(),
                        (None, false) => String::new(),
                    }
                ),
            ));
            out.push(field(t, "at", human_micros(*at_us)));
            for m in &record.messages {
                message(t, m, &mut out);
            }
        }
    }
    out
}

/// A ClientHello about to be sent (step mode) in two parts: the short fields a sender's
/// fate turns on first (versions, SNI, ALPN, groups, key shares, size, signature schemes),
/// then the long lists (suites, extensions).
pub fn hello_preview(
    t: Theme,
    ch: &crate::wire::ClientHelloInfo,
) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let shares: Vec<String> = ch
        .key_shares
        .iter()
        .map(|(g, n)| format!("{g} ({} B)", bytes(*n)))
        .collect();
    let short = vec![
        field(t, "versions", list(&ch.versions)),
        field(
            t,
            "SNI",
            ch.sni.clone().unwrap_or_else(|| "(none sent)".into()),
        ),
        field(t, "ALPN", list(&ch.alpn)),
        field(t, "groups", list(&ch.groups)),
        field(t, "key shares", list(&shares)),
        field(t, "size", format!("{} B", bytes(ch.size))),
        field(t, "sig algs", list(&ch.signature_algorithms)),
    ];
    let long = vec![
        field(t, "suites", list(&ch.cipher_suites)),
        field(t, "extensions", list(&ch.extensions)),
    ];
    (short, long)
}

fn message(t: Theme, m: &MessageInfo, out: &mut Vec<Line<'static>>) {
    match m {
        MessageInfo::ClientHello(ch) => {
            out.push(Line::styled("ClientHello", t.title()));
            out.push(field(t, "size", format!("{} B", bytes(ch.size))));
            out.push(field(t, "versions", list(&ch.versions)));
            out.push(field(t, "legacy", ch.legacy_version.clone()));
            out.push(field(t, "suites", list(&ch.cipher_suites)));
            out.push(field(t, "groups", list(&ch.groups)));
            let shares: Vec<String> = ch
                .key_shares
                .iter()
                .map(|(g, n)| format!("{g} ({n} B)"))
                .collect();
            out.push(field(t, "key shares", list(&shares)));
            out.push(field(
                t,
                "SNI",
                ch.sni.clone().unwrap_or_else(|| "(none sent)".into()),
            ));
            out.push(field(t, "ALPN", list(&ch.alpn)));
            out.push(field(t, "sig algs", list(&ch.signature_algorithms)));
            out.push(field(t, "extensions", list(&ch.extensions)));
        }
        MessageInfo::ServerHello(sh) | MessageInfo::HelloRetryRequest(sh) => {
            let name = if matches!(m, MessageInfo::ServerHello(_)) {
                "ServerHello"
            } else {
                "HelloRetryRequest"
            };
            out.push(Line::styled(name, t.title()));
            out.push(field(t, "version", sh.version.clone()));
            out.push(field(t, "suite", sh.cipher_suite.clone()));
            out.push(field(
                t,
                "group",
                sh.group.clone().unwrap_or_else(|| "(none)".into()),
            ));
            out.push(field(t, "size", format!("{} B", bytes(sh.size))));
            out.push(field(t, "extensions", list(&sh.extensions)));
        }
        MessageInfo::Alert(al) => {
            out.push(Line::styled(
                safe_owned(&format!(
                    "alert {} {} (code {})",
                    al.level, al.description, al.code
                )),
                t.bad(),
            ));
        }
        MessageInfo::Certificate {
            count,
            sizes,
            ocsp_staple,
        } => {
            let s: Vec<String> = sizes.iter().map(|n| format!("{} B", bytes(*n))).collect();
            out.push(Line::styled("Certificate", t.title()));
            out.push(field(t, "count", count.to_string()));
            out.push(field(t, "DER sizes", list(&s)));
            if let Some(staple) = ocsp_staple {
                let said = if *staple { "stapled" } else { "none" };
                out.push(field(t, "OCSP", said.to_string()));
            }
        }
        MessageInfo::EncryptedExtensions {
            alpn,
            server_name_ack,
            record_size_limit,
            extensions,
        } => {
            out.push(Line::styled("EncryptedExtensions", t.title()));
            out.push(field(
                t,
                "ALPN",
                alpn.clone().unwrap_or_else(|| "(none)".into()),
            ));
            let ack = if *server_name_ack { "yes" } else { "no" };
            out.push(field(t, "SNI acked", ack.to_string()));
            out.push(field(
                t,
                "record limit",
                record_size_limit.map_or_else(|| "(none)".into(), |n| format!("{n} B")),
            ));
            out.push(field(t, "extensions", list(extensions)));
        }
        MessageInfo::CertificateRequest {
            authorities,
            signature_algorithms,
            ..
        } => {
            out.push(Line::styled("CertificateRequest", t.title()));
            out.push(field(t, "acceptable CAs", list(authorities)));
            out.push(field(t, "sig algs", list(signature_algorithms)));
        }
        other => out.push(Line::raw(safe_owned(&message_words(other)))),
    }
}
