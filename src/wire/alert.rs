//! Alert records (RFC 8446 §6): a level byte and a description byte.
//!
//! Plaintext alerts are what a failed handshake leaves on the wire before encryption starts,
//! so the description here is often the whole diagnosis (`protocol_version`,
//! `handshake_failure`, `unknown_ca`). Several alerts may share a record; a trailing odd byte
//! is reported as malformed.

use super::info::{AlertInfo, MessageInfo};
use super::names::{alert_level_name, alert_name};

/// Decodes one alert from its two bytes.
pub fn decode_alert(level: u8, description: u8) -> AlertInfo {
    AlertInfo {
        level: alert_level_name(level),
        description: alert_name(description),
        code: description,
    }
}

/// Decodes every alert in a plaintext alert record payload.
pub fn decode_alert_record(payload: &[u8]) -> Vec<MessageInfo> {
    let mut out: Vec<MessageInfo> = payload
        .chunks_exact(2)
        .filter_map(|pair| match *pair {
            [level, description] => Some(MessageInfo::Alert(decode_alert(level, description))),
            _ => None,
        })
        .collect();
    if payload.is_empty() || !payload.len().is_multiple_of(2) {
        out.push(MessageInfo::Malformed {
            reason: format!(
                "alert record of {} bytes (alerts are 2 bytes)",
                payload.len()
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(level: &str, description: &str, code: u8) -> MessageInfo {
        MessageInfo::Alert(AlertInfo {
            level: level.into(),
            description: description.into(),
            code,
        })
    }

    #[test]
    fn alert_records() {
        let malformed = |n: usize| MessageInfo::Malformed {
            reason: format!("alert record of {n} bytes (alerts are 2 bytes)"),
        };
        let cases: Vec<(&[u8], Vec<MessageInfo>)> = vec![
            (&[2, 40], vec![alert("fatal", "handshake_failure", 40)]),
            (&[2, 70], vec![alert("fatal", "protocol_version", 70)]),
            (&[1, 0], vec![alert("warning", "close_notify", 0)]),
            (&[2, 48], vec![alert("fatal", "unknown_ca", 48)]),
            (&[9, 250], vec![alert("unknown(9)", "unknown(250)", 250)]),
            (
                &[1, 0, 2, 80],
                vec![
                    alert("warning", "close_notify", 0),
                    alert("fatal", "internal_error", 80),
                ],
            ),
            (&[2], vec![malformed(1)]),
            (&[], vec![malformed(0)]),
            (
                &[2, 42, 1],
                vec![alert("fatal", "bad_certificate", 42), malformed(3)],
            ),
        ];
        for (payload, want) in cases {
            assert_eq!(decode_alert_record(payload), want, "{payload:?}");
        }
    }
}
