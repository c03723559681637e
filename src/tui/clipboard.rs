//! `y`: text for the clipboard, and the OSC 52 sequence that puts it there. OSC 52 asks the
//! terminal itself (xterm, kitty, iTerm2, WezTerm, tmux with `set-clipboard on`, and over
//! ssh) to set its clipboard, so it works where no clipboard program does; the text travels
//! base64-encoded, so nothing in it can act as a terminal control.
//!
//! What is copied is what the screen shows, escaped the same way: a diagnosis pasted into
//! an incident ticket must not carry a server's control bytes along.

use crate::cert::{CertInfo, base64};
use crate::diagnose::Diagnosis;
use crate::sanitize::neutralize;

/// The OSC 52 "set clipboard" sequence for `text` (BEL-terminated, as tmux and xterm accept).
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

/// The diagnosis as plain text: cause, summary, next steps, evidence (and the scans' lines).
pub fn diagnosis_text(d: &Diagnosis, scan_evidence: &[String]) -> String {
    let mut out = format!(
        "{} (phase {}): {}\n",
        d.cause,
        d.phase.name(),
        neutralize(&d.summary)
    );
    for s in &d.next_steps {
        out.push_str(&format!("next: {}\n", neutralize(&s.text)));
    }
    for e in d.evidence.iter().chain(scan_evidence) {
        out.push_str(&format!("  · {}\n", neutralize(e)));
    }
    out
}

/// One certificate of the chain as text: the fields the certificates view shows.
pub fn cert_text(c: &CertInfo) -> String {
    let fields = [
        ("subject", c.subject.clone()),
        ("issuer", c.issuer.clone()),
        ("names (SAN)", c.sans.join(", ")),
        ("not before", c.not_before.clone()),
        ("not after", c.not_after.clone()),
        ("key", c.key.clone()),
        ("signature", c.signature_algorithm.clone()),
        ("serial", c.serial.clone()),
        ("SHA-256", c.sha256.clone()),
    ];
    fields
        .iter()
        .map(|(k, v)| format!("{k}: {}\n", neutralize(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_the_text_encoded() {
        let s = osc52("a\x1b[2Jb");
        assert_eq!(s, "\x1b]52;c;YRtbMkpi\x07");
        // Only the frame is a control sequence; the payload is plain base64.
        assert!(!s[1..s.len() - 1].contains('\x1b'));
    }
}
