//! An attempt's event list without second copies: an event whose payload the attempt keeps in
//! a typed field (raw bytes, a record, a transcript line, a scan profile, ...) is logged as a
//! reference to it and rebuilt, exactly as it arrived, when the events are read back.

use std::borrow::Cow;

use super::attempt::{Attempt, TimelineRow};
use crate::event::{EventKind, ProbeEvent};
use crate::wire::{Dir, MessageInfo};

/// One logged event.
#[derive(Debug, Clone)]
pub(super) enum Logged {
    /// Kept whole: small, or nothing in a typed field holds it. Boxed, so the many
    /// references are not each as large as the largest event.
    Whole(Box<ProbeEvent>),
    /// Rebuilt from the attempt's typed fields (the event's attempt is the attempt's id).
    Ref { at_us: u64, what: Ref },
}

/// Where an event's payload is kept.
#[derive(Debug, Clone)]
pub(super) enum Ref {
    /// `AttemptStarted`: the plan.
    Plan,
    /// `PhaseStarted`: `phases[i]`.
    Phase(u32),
    /// `TcpData`: `tcp.data[i]`.
    Tcp(u32),
    /// `SmtpSent` / `SmtpReceived`: `transcript[i]`.
    Line(u32),
    /// `TlsRecord`: `timeline[row]`, with what it carried before a decryption changed it.
    Record {
        row: u32,
        before: Option<Box<Undecrypted>>,
    },
    /// `TlsDecrypted` of the record numbered `index` in its direction: `timeline[row]`'s
    /// decryption.
    Decrypted { row: u32, index: usize },
    /// `CertificatesReceived`: `certificates` and `verdict`.
    Certificates,
    /// `Note`: `notes[i]`.
    Note(u32),
    /// `LimitReached`: `limits[i]`.
    Limit(u32),
    /// `ScanFinished` of scan `scan`: `scans[i]`.
    Scan { scan: u32, i: u32 },
    /// `DnssecChecked`: `policy.dnssec[i]`.
    Dnssec(u32),
    /// `TlsaFound`: `policy.tlsa[i]`.
    Tlsa(u32),
}

/// What a record carried as reported, before its decryption was filled in.
#[derive(Debug, Clone)]
pub(super) struct Undecrypted {
    pub decrypted: Option<String>,
    pub messages: Vec<MessageInfo>,
}

/// An index into a typed field, as logged (an attempt holds far fewer than 2³² of anything).
pub(super) fn at(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl Logged {
    /// The event, borrowed when kept whole, else rebuilt from `a`.
    pub(super) fn event<'a>(&'a self, a: &'a Attempt) -> Cow<'a, ProbeEvent> {
        match self {
            Logged::Whole(ev) => Cow::Borrowed(ev),
            Logged::Ref { at_us, what } => Cow::Owned(ProbeEvent {
                attempt: a.id,
                at_us: *at_us,
                kind: what.rebuild(a).unwrap_or_else(|| EventKind::Note {
                    text: "(an event whose facts were changed after it was applied)".into(),
                }),
            }),
        }
    }
}

impl Ref {
    fn rebuild(&self, a: &Attempt) -> Option<EventKind> {
        let get = |i: &u32| usize::try_from(*i).unwrap_or(usize::MAX);
        Some(match self {
            Ref::Plan => EventKind::AttemptStarted {
                plan: Box::new(a.plan.clone()?),
            },
            Ref::Phase(i) => EventKind::PhaseStarted {
                phase: a.phases.get(get(i))?.0,
            },
            Ref::Tcp(i) => {
                let (_, dir, bytes) = a.tcp.data.get(get(i))?;
                EventKind::TcpData {
                    dir: *dir,
                    bytes: bytes.clone(),
                }
            }
            Ref::Line(i) => {
                let l = a.transcript.get(get(i))?;
                match l.dir {
                    Dir::Client => EventKind::SmtpSent {
                        line: l.line.clone(),
                        tls: l.tls,
                    },
                    Dir::Server => EventKind::SmtpReceived {
                        line: l.line.clone(),
                        tls: l.tls,
                        truncated: l.truncated,
                    },
                }
            }
            Ref::Record { row, before } => {
                let TimelineRow::Record { dir, record, .. } = a.timeline.get(get(row))? else {
                    return None;
                };
                let mut record = record.clone();
                if let Some(b) = before {
                    record.decrypted = b.decrypted.clone();
                    record.messages = b.messages.clone();
                }
                EventKind::TlsRecord { dir: *dir, record }
            }
            Ref::Decrypted { row, index } => {
                let TimelineRow::Record { dir, record, .. } = a.timeline.get(get(row))? else {
                    return None;
                };
                EventKind::TlsDecrypted {
                    dir: *dir,
                    record: *index,
                    content_type: record.decrypted.clone()?,
                    messages: record.messages.clone(),
                }
            }
            Ref::Certificates => EventKind::CertificatesReceived {
                chain: a.certificates.clone(),
                verdict: a.verdict.clone()?,
            },
            Ref::Note(i) => EventKind::Note {
                text: a.notes.get(get(i))?.1.clone(),
            },
            Ref::Limit(i) => EventKind::LimitReached {
                hit: a.limits.get(get(i))?.1.clone(),
            },
            Ref::Scan { scan, i } => {
                let s = a.scans.get(get(i))?;
                EventKind::ScanFinished {
                    scan: *scan,
                    kind: s.kind.clone(),
                    profile: Box::new(s.profile.clone()),
                }
            }
            Ref::Dnssec(i) => EventKind::DnssecChecked {
                answer: a.policy.dnssec.get(get(i))?.clone(),
            },
            Ref::Tlsa(i) => EventKind::TlsaFound {
                lookup: a.policy.tlsa.get(get(i))?.clone(),
            },
        })
    }
}

/// An attempt's events in the order they were applied (see [`Attempt::events`]).
pub struct Events<'a> {
    attempt: &'a Attempt,
    log: std::slice::Iter<'a, Logged>,
}

impl<'a> Events<'a> {
    pub(super) fn new(attempt: &'a Attempt, log: &'a [Logged]) -> Events<'a> {
        Events {
            attempt,
            log: log.iter(),
        }
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Cow<'a, ProbeEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        self.log.next().map(|l| l.event(self.attempt))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.log.size_hint()
    }

    /// Counting rebuilds nothing.
    fn count(self) -> usize {
        self.log.len()
    }

    fn last(self) -> Option<Self::Item> {
        let attempt = self.attempt;
        self.log.last().map(|l| l.event(attempt))
    }
}

impl DoubleEndedIterator for Events<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.log.next_back().map(|l| l.event(self.attempt))
    }
}

impl ExactSizeIterator for Events<'_> {}

#[cfg(test)]
mod tests {
    use crate::event::{EventKind, ProbeEvent};
    use crate::session::Session;
    use crate::wire::{Dir, RecordInfo};

    fn json(
        events: impl Iterator<Item = impl std::ops::Deref<Target = ProbeEvent>>,
    ) -> Vec<String> {
        events
            .map(|e| serde_json::to_string(&*e).expect("an event serialises"))
            .collect()
    }

    /// Every recorded scenario comes back out of the session event for event, as recorded.
    #[test]
    fn the_events_read_back_are_the_events_applied() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("the scenarios") {
            let path = entry.expect("an entry").path();
            if path.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a scenario");
            let events: Vec<ProbeEvent> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).expect("an event"))
                .collect();
            let mut s = Session::new();
            for ev in &events {
                s.apply(ev);
            }
            let kept: Vec<&ProbeEvent> = events
                .iter()
                .filter(|e| !matches!(e.kind, EventKind::ScanProgressed { .. }))
                .collect();
            assert_eq!(
                json(s.events()),
                json(kept.into_iter()),
                "{}",
                path.display()
            );
            assert_eq!(s.event_count(), s.events().count());
            checked += 1;
        }
        assert!(checked >= 10, "{checked} scenarios");
    }

    fn ev(at_us: u64, kind: EventKind) -> ProbeEvent {
        ProbeEvent {
            attempt: 1,
            at_us,
            kind,
        }
    }

    fn record(content_type: &str, length: usize, encrypted: bool) -> RecordInfo {
        RecordInfo {
            content_type: content_type.into(),
            version: "TLSv1.2".into(),
            length,
            encrypted,
            messages: Vec::new(),
            decrypted: None,
            repeated: 0,
        }
    }

    /// A record is reported before its decryption fills it in, a decryption may come twice
    /// (a hand-made recording), folded records count once: each event reads back as applied.
    #[test]
    fn decrypted_refolded_and_repeated_events_read_back_as_applied() {
        let alert = || record("alert", 2, false);
        let events = vec![
            ev(
                1,
                EventKind::TlsRecord {
                    dir: Dir::Server,
                    record: record("application_data", 40, true),
                },
            ),
            ev(
                2,
                EventKind::TcpData {
                    dir: Dir::Server,
                    bytes: vec![1, 2, 3],
                },
            ),
            ev(
                3,
                EventKind::TlsDecrypted {
                    dir: Dir::Server,
                    record: 0,
                    content_type: "handshake".into(),
                    messages: Vec::new(),
                },
            ),
            ev(
                4,
                EventKind::TlsDecrypted {
                    dir: Dir::Server,
                    record: 0,
                    content_type: "alert".into(),
                    messages: Vec::new(),
                },
            ),
            ev(
                5,
                EventKind::TlsRecord {
                    dir: Dir::Server,
                    record: alert(),
                },
            ),
            ev(
                6,
                EventKind::TcpData {
                    dir: Dir::Server,
                    bytes: vec![4],
                },
            ),
            ev(
                7,
                EventKind::TlsRecord {
                    dir: Dir::Server,
                    record: alert(),
                },
            ),
            ev(
                8,
                EventKind::Note {
                    text: "a note".into(),
                },
            ),
            ev(
                9,
                EventKind::TlsDecrypted {
                    dir: Dir::Client,
                    record: 7,
                    content_type: "nowhere".into(),
                    messages: Vec::new(),
                },
            ),
        ];
        let mut s = Session::new();
        for e in &events {
            s.apply(e);
        }
        let back: Vec<ProbeEvent> = s.events().map(|e| e.into_owned()).collect();
        let mut want = events.clone();
        // The second alert is folded into the first: one event that says so.
        want.remove(6);
        if let EventKind::TlsRecord { record, .. } = &mut want[4].kind {
            record.repeated = 1;
        }
        assert_eq!(json(back.iter()), json(want.iter()));
        let a = &s.attempts[0];
        assert_eq!(
            a.records().next().map(|r| r.2.decrypted.clone()),
            Some(Some("alert".into()))
        );
    }
}
