//! One attempt's facts: its plan, the SMTP transcript, the TLS timeline, what was resolved,
//! negotiated and verified, and how it ended. `Attempt::apply` is the only way they change.

use std::net::SocketAddr;

use crate::cert::{CertInfo, CertVerdict};
use crate::event::{
    ConnectionEnd, EventKind, Failure, LimitHit, MxHost, Negotiated, Phase, ProbeEvent,
};
use crate::plan::Plan;
use crate::profile::kind::ScanKind;
use crate::wire::{Dir, MessageInfo, RecordInfo};

use super::log::{Events, Logged, Ref, Undecrypted, at};

/// The longest SMTP line kept, in characters: the engine keeps 2,048 bytes of a line
/// (`net::smtp::MAX_LINE`), each at most four characters once escaped.
pub const MAX_LINE_CHARS: usize = 4 * 2048;
/// SMTP lines kept per attempt: a few replies of at most 500 lines each.
pub const MAX_TRANSCRIPT: usize = 4000;
/// Notes kept per attempt.
pub const MAX_NOTES: usize = 200;

/// What [`Attempt::recap`] makes of an event.
enum Recap {
    Keep,
    Cut(ProbeEvent),
    Drop,
}

/// `line` cut to [`MAX_LINE_CHARS`] bytes (at a character boundary), marked as cut.
fn cut(line: &str) -> String {
    let mut end = MAX_LINE_CHARS;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} more bytes]", &line[..end], line.len() - end)
}

/// The index of the last element of a field `len` long, as logged.
fn at_last(len: usize) -> u32 {
    at(len.saturating_sub(1))
}

/// One SMTP line in the transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptLine {
    pub at_us: u64,
    pub dir: Dir,
    pub line: String,
    pub tls: bool,
    pub truncated: bool,
}

/// One row of the TLS timeline.
#[derive(Debug, Clone, PartialEq)]
pub enum TimelineRow {
    Record {
        at_us: u64,
        dir: Dir,
        record: RecordInfo,
    },
    Ended {
        at_us: u64,
        how: ConnectionEnd,
    },
}

impl TimelineRow {
    pub fn at_us(&self) -> u64 {
        match self {
            TimelineRow::Record { at_us, .. } | TimelineRow::Ended { at_us, .. } => *at_us,
        }
    }
}

pub use crate::profile::ScanRecord;

/// The TCP connection as seen from the socket: when it opened and every payload byte, in
/// order (`TcpData` events), for a pcapng export.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TcpFlow {
    /// When the connection attempt began (our SYN), attempt time.
    pub syn_us: Option<u64>,
    /// When it was established (attempt time), and the wall clock then (µs since the epoch).
    pub connected: Option<(u64, Option<u64>)>,
    /// (attempt time, direction, bytes) of each read or write.
    pub data: Vec<(u64, Dir, Vec<u8>)>,
    /// Payload bytes kept.
    pub bytes: usize,
}

/// The scan running for an attempt, and how far it got.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningScan {
    pub scan: u32,
    pub kind: ScanKind,
    pub progress: Option<crate::profile::Progress>,
}

/// How resolution went.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resolution {
    pub mx: Option<(String, Vec<MxHost>)>,
    pub implicit_mx: Option<String>,
    pub addresses: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: u32,
    pub plan: Option<Plan>,
    /// Every event applied, in order; those whose payload a field below keeps are logged as
    /// a reference to it (read them with [`Attempt::events`]).
    log: Vec<Logged>,
    /// Phases in the order they started, with their start time.
    pub phases: Vec<(Phase, u64)>,
    pub resolution: Resolution,
    /// (address, host) of every connection tried.
    pub tried: Vec<(SocketAddr, Option<String>)>,
    pub peer: Option<SocketAddr>,
    pub local: Option<SocketAddr>,
    pub transcript: Vec<TranscriptLine>,
    pub timeline: Vec<TimelineRow>,
    pub certificates: Vec<CertInfo>,
    pub verdict: Option<CertVerdict>,
    pub negotiated: Option<Negotiated>,
    /// Set when the handshake was completed past our failed strict verification: how the
    /// TLS dialogue went on from there (`None`: it worked), i.e. what an opportunistic
    /// sender gets.
    pub past_failed_verification: Option<Option<Failure>>,
    pub injected: Option<(usize, String)>,
    pub reply_cut: Option<(usize, usize)>,
    /// Limits of ours that ended a wait (deadlines, the bounded drain), with their time.
    pub limits: Vec<(u64, LimitHit)>,
    /// An SMTP reply that reached TLS after the 220 to STARTTLS: (preview, µs after the 220).
    pub late_reply: Option<(String, u64)>,
    pub notes: Vec<(u64, String)>,
    /// The server asked for a client certificate: `Some(true)` we sent one, `Some(false)` we
    /// had none.
    pub client_cert_requested: Option<bool>,
    pub ended: Option<(ConnectionEnd, u64)>,
    pub paused: Option<String>,
    /// Step mode: the ClientHello rustls prepared, parsed from its bytes before they were
    /// sent (shown while the attempt is paused before it).
    pub hello_preview: Option<Box<crate::wire::ClientHelloInfo>>,
    /// Set when the attempt is over: the failure (None = success) and the phase it ended in.
    pub finished: Option<(Option<Failure>, Phase, u64)>,
    /// Time of the latest event.
    pub last_us: u64,
    /// Server-profile scans run for this attempt, in the order they finished.
    pub scans: Vec<ScanRecord>,
    /// The scan running for this attempt, if one is.
    pub scan_running: Option<RunningScan>,
    /// What the routing-policy lookups found (DNSSEC, TLSA, MTA-STS, TLS-RPT).
    pub policy: PolicyFacts,
    /// The raw TCP payload, for a pcapng.
    pub tcp: TcpFlow,
}

/// The routing-policy facts of an attempt, as the engine reported them; judged by
/// `diagnose::policy`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyFacts {
    pub dnssec: Vec<crate::policy::DnsAnswer>,
    pub tlsa: Vec<crate::policy::TlsaLookup>,
    pub sts_record: Option<crate::policy::TxtLookup>,
    pub sts_policy: Option<crate::policy::PolicyFetch>,
    pub tls_rpt: Option<crate::policy::TxtLookup>,
}

impl PolicyFacts {
    /// Whether any policy lookup was reported.
    pub fn any(&self) -> bool {
        !self.dnssec.is_empty()
            || !self.tlsa.is_empty()
            || self.sts_record.is_some()
            || self.tls_rpt.is_some()
    }
}

impl Attempt {
    pub fn new(id: u32, plan: Option<Plan>) -> Attempt {
        Attempt {
            id,
            plan,
            log: Vec::new(),
            phases: Vec::new(),
            resolution: Resolution::default(),
            tried: Vec::new(),
            peer: None,
            local: None,
            transcript: Vec::new(),
            timeline: Vec::new(),
            certificates: Vec::new(),
            verdict: None,
            negotiated: None,
            injected: None,
            reply_cut: None,
            limits: Vec::new(),
            late_reply: None,
            notes: Vec::new(),
            client_cert_requested: None,
            past_failed_verification: None,
            ended: None,
            paused: None,
            hello_preview: None,
            finished: None,
            last_us: 0,
            scans: Vec::new(),
            scan_running: None,
            policy: PolicyFacts::default(),
            tcp: TcpFlow::default(),
        }
    }

    pub fn apply(&mut self, ev: &ProbeEvent) {
        // A recording is untrusted: the caps of live capture apply again here.
        let capped;
        let ev = match self.recap(ev) {
            Recap::Keep => ev,
            Recap::Cut(c) => {
                capped = c;
                &capped
            }
            Recap::Drop => return,
        };
        if let EventKind::ScanProgressed { scan, progress } = &ev.kind {
            // Progress is state of the moment: not kept with the events, so recordings and
            // exports hold what was found, not every step of finding it.
            if let Some(r) = self.scan_running.as_mut().filter(|r| r.scan == *scan) {
                r.progress = Some(progress.clone());
            }
            return;
        }
        if let EventKind::TlsRecord { dir, record } = &ev.kind
            && self.fold_record(*dir, record, ev.at_us)
        {
            return;
        }
        let at = ev.at_us;
        self.last_us = self.last_us.max(at);
        if !matches!(ev.kind, EventKind::Paused { .. }) {
            self.paused = None;
        }
        let what = self.fold_in(ev);
        // An event of another attempt (applied to this one by hand) is kept whole: a
        // reference would be rebuilt with this attempt's id.
        let logged = match what {
            Some(what) if ev.attempt == self.id => Logged::Ref { at_us: at, what },
            _ => Logged::Whole(Box::new(ev.clone())),
        };
        self.log.push(logged);
        if matches!(ev.kind, EventKind::AttemptFinished { .. }) {
            self.shrink();
        }
    }

    /// A finished attempt grows little more (a scan, a late lookup): its lists give back the
    /// room they kept for growth, which a 1,000-attempt session would hold 1,000 times.
    fn shrink(&mut self) {
        self.log.shrink_to_fit();
        self.phases.shrink_to_fit();
        self.tcp.data.shrink_to_fit();
        self.transcript.shrink_to_fit();
        self.timeline.shrink_to_fit();
        self.notes.shrink_to_fit();
        self.limits.shrink_to_fit();
    }

    /// Fold `ev`'s facts into the typed fields; where one of them now holds its payload,
    /// say which (the log keeps that reference instead of a second copy).
    fn fold_in(&mut self, ev: &ProbeEvent) -> Option<Ref> {
        let at = ev.at_us;
        match &ev.kind {
            EventKind::AttemptStarted { plan } => {
                let old = self.plan.replace((**plan).clone());
                self.materialize(
                    |r| matches!(r, Ref::Plan),
                    |_| {
                        Some(EventKind::AttemptStarted {
                            plan: Box::new(old?),
                        })
                    },
                );
                return Some(Ref::Plan);
            }
            EventKind::PhaseStarted { phase } => {
                self.phases.push((*phase, at));
                return Some(Ref::Phase(at_last(self.phases.len())));
            }
            EventKind::MxResolved { domain, hosts } => {
                self.resolution.mx = Some((domain.clone(), hosts.clone()))
            }
            EventKind::ImplicitMx { domain, addresses } => {
                self.resolution.implicit_mx = Some(domain.clone());
                self.resolution.addresses = addresses.clone();
            }
            EventKind::HostResolved { addresses, .. } => {
                self.resolution.addresses = addresses.clone()
            }
            EventKind::ConnectStarted { peer, host } => self.tried.push((*peer, host.clone())),
            EventKind::Connected {
                local,
                peer,
                unix_us,
            } => {
                self.local = Some(*local);
                self.peer = Some(*peer);
                self.tcp.connected = Some((at, *unix_us));
                // The SYN left when this connection was started.
                self.tcp.syn_us = self.log.iter().rev().find_map(|l| match l {
                    Logged::Whole(e) => {
                        matches!(e.kind, EventKind::ConnectStarted { .. }).then_some(e.at_us)
                    }
                    Logged::Ref { .. } => None,
                });
            }
            EventKind::TcpData { dir, bytes } => {
                // Bounded by the engine; a hand-edited recording is capped here too.
                if self.tcp.bytes + bytes.len() <= crate::event::MAX_TCP_BYTES {
                    self.tcp.bytes += bytes.len();
                    self.tcp.data.push((at, *dir, bytes.clone()));
                    return Some(Ref::Tcp(at_last(self.tcp.data.len())));
                }
            }
            EventKind::SmtpSent { line, tls } => {
                self.transcript.push(TranscriptLine {
                    at_us: at,
                    dir: Dir::Client,
                    line: line.clone(),
                    tls: *tls,
                    truncated: false,
                });
                return Some(Ref::Line(at_last(self.transcript.len())));
            }
            EventKind::SmtpReceived {
                line,
                tls,
                truncated,
            } => {
                self.transcript.push(TranscriptLine {
                    at_us: at,
                    dir: Dir::Server,
                    line: line.clone(),
                    tls: *tls,
                    truncated: *truncated,
                });
                return Some(Ref::Line(at_last(self.transcript.len())));
            }
            EventKind::SmtpReplyCut { lines, bytes } => self.reply_cut = Some((*lines, *bytes)),
            EventKind::PlaintextInjected { bytes, preview } => {
                self.injected = Some((*bytes, preview.clone()))
            }
            EventKind::TlsRecord { dir, record } => {
                self.timeline.push(TimelineRow::Record {
                    at_us: at,
                    dir: *dir,
                    record: record.clone(),
                });
                return Some(Ref::Record {
                    row: at_last(self.timeline.len()),
                    before: None,
                });
            }
            EventKind::TlsDecrypted {
                dir,
                record,
                content_type,
                messages,
            } => return self.decrypted(*dir, *record, content_type, messages),
            EventKind::CertificatesReceived { chain, verdict } => {
                let old_chain = std::mem::replace(&mut self.certificates, chain.clone());
                let old_verdict = self.verdict.replace(verdict.clone());
                self.materialize(
                    |r| matches!(r, Ref::Certificates),
                    |_| {
                        Some(EventKind::CertificatesReceived {
                            chain: old_chain,
                            verdict: old_verdict?,
                        })
                    },
                );
                return Some(Ref::Certificates);
            }
            EventKind::TlsEstablished { negotiated } => self.negotiated = Some(negotiated.clone()),
            EventKind::PastFailedVerification { failure } => {
                self.past_failed_verification = Some(failure.clone())
            }
            EventKind::ConnectionEnded { how } => {
                if self.ended.is_none() {
                    self.ended = Some((*how, at));
                    self.timeline.push(TimelineRow::Ended {
                        at_us: at,
                        how: *how,
                    });
                }
            }
            EventKind::LimitReached { hit } => {
                self.limits.push((at, hit.clone()));
                return Some(Ref::Limit(at_last(self.limits.len())));
            }
            EventKind::SmtpReplyInTls {
                preview,
                after_220_us,
            } => self.late_reply = Some((preview.clone(), *after_220_us)),
            EventKind::ClientHelloPrepared { hello } => self.hello_preview = Some(hello.clone()),
            EventKind::Paused { before } => self.paused = Some(before.clone()),
            EventKind::Note { text } => {
                self.notes.push((at, text.clone()));
                return Some(Ref::Note(at_last(self.notes.len())));
            }
            EventKind::ClientCertRequested { issuers, offered } => {
                self.client_cert_requested = Some(*offered);
                self.notes.push((
                    at,
                    format!(
                        "the server asked for a client certificate ({issuers} acceptable issuer name{}); {}",
                        if *issuers == 1 { "" } else { "s" },
                        if *offered {
                            "sending the one from --cert"
                        } else {
                            "we have none to send (--cert/--key)"
                        }
                    ),
                ));
            }
            EventKind::AttemptFinished { failure, phase } => {
                self.finished = Some((failure.clone(), *phase, at))
            }
            EventKind::ScanStarted { scan, kind } => {
                self.scan_running = Some(RunningScan {
                    scan: *scan,
                    kind: kind.clone(),
                    progress: None,
                })
            }
            EventKind::ScanProgressed { .. } => {}
            EventKind::ScanFinished {
                scan,
                kind,
                profile,
            } => {
                self.end_scan(*scan);
                self.scans.push(ScanRecord {
                    kind: kind.clone(),
                    profile: (**profile).clone(),
                });
                return Some(Ref::Scan {
                    scan: *scan,
                    i: at_last(self.scans.len()),
                });
            }
            EventKind::ScanCancelled { scan } => self.end_scan(*scan),
            EventKind::DnssecChecked { answer } => {
                self.policy.dnssec.push(answer.clone());
                return Some(Ref::Dnssec(at_last(self.policy.dnssec.len())));
            }
            EventKind::TlsaFound { lookup } => {
                self.policy.tlsa.push(lookup.clone());
                return Some(Ref::Tlsa(at_last(self.policy.tlsa.len())));
            }
            EventKind::MtaStsRecordFound { lookup } => {
                self.policy.sts_record = Some(lookup.clone())
            }
            EventKind::MtaStsPolicyFetched { fetch } => {
                self.policy.sts_policy = Some(fetch.clone())
            }
            EventKind::TlsRptFound { lookup } => self.policy.tls_rpt = Some(lookup.clone()),
        }
        None
    }

    /// A decryption note: it fills in the record it opens (found by its index among the
    /// records of its direction, folded ones included) and is logged as a reference to it.
    fn decrypted(
        &mut self,
        dir: Dir,
        index: usize,
        content_type: &str,
        messages: &[MessageInfo],
    ) -> Option<Ref> {
        let mut first = 0usize;
        let row = self
            .timeline
            .iter_mut()
            .enumerate()
            .find_map(|(i, r)| match r {
                TimelineRow::Record { dir: d, record, .. } if *d == dir => {
                    let n = 1 + record.repeated as usize;
                    let hit = (first..first + n).contains(&index);
                    first += n;
                    hit.then_some((i, record))
                }
                _ => None,
            });
        // A recording edited by hand may point nowhere, or into a folded run (never a
        // decryptable record): nothing to annotate then, and the note is kept whole.
        let (row, record) = row.filter(|(_, r)| r.repeated == 0)?;
        let before = Undecrypted {
            decrypted: record.decrypted.replace(content_type.to_string()),
            messages: std::mem::replace(&mut record.messages, messages.to_vec()),
        };
        let row = at(row);
        // An earlier decryption of the same record (only a hand-made recording has one) is
        // kept whole, as it was.
        let earlier = before.clone();
        self.materialize(
            |r| matches!(r, Ref::Decrypted { row: r, .. } if *r == row),
            |r| match r {
                Ref::Decrypted { index, .. } => Some(EventKind::TlsDecrypted {
                    dir,
                    record: *index,
                    content_type: earlier.decrypted?,
                    messages: earlier.messages,
                }),
                _ => None,
            },
        );
        // The record's own event rebuilds what it carried before its first decryption.
        if let Some(Logged::Ref {
            what: Ref::Record { before: b, .. },
            ..
        }) = self.log.iter_mut().rev().find(
            |l| matches!(l, Logged::Ref { what: Ref::Record { row: r, .. }, .. } if *r == row),
        ) && b.is_none()
        {
            *b = Some(Box::new(before));
        }
        Some(Ref::Decrypted { row, index })
    }
    /// What the caps of live capture make of `ev` (the engine never exceeds them; a
    /// recording made or edited by hand may): an SMTP line is cut at [`MAX_LINE_CHARS`], a
    /// transcript stops at [`MAX_TRANSCRIPT`] lines, a timeline at `MAX_RECORDS` records.
    fn recap(&self, ev: &ProbeEvent) -> Recap {
        match &ev.kind {
            EventKind::SmtpSent { .. } | EventKind::SmtpReceived { .. }
                if self.transcript.len() >= MAX_TRANSCRIPT =>
            {
                Recap::Drop
            }
            EventKind::SmtpSent { line, tls } if line.len() > MAX_LINE_CHARS => {
                Recap::Cut(ProbeEvent {
                    kind: EventKind::SmtpSent {
                        line: cut(line),
                        tls: *tls,
                    },
                    ..ev.clone()
                })
            }
            EventKind::SmtpReceived { line, tls, .. } if line.len() > MAX_LINE_CHARS => {
                Recap::Cut(ProbeEvent {
                    kind: EventKind::SmtpReceived {
                        line: cut(line),
                        tls: *tls,
                        truncated: true,
                    },
                    ..ev.clone()
                })
            }
            EventKind::TlsRecord { .. } if self.timeline.len() >= crate::wire::MAX_RECORDS => {
                Recap::Drop
            }
            EventKind::Note { .. } if self.notes.len() >= MAX_NOTES => Recap::Drop,
            // An attempt sends one ClientHello: a recording with more is not believed twice.
            EventKind::ClientHelloPrepared { .. } if self.hello_preview.is_some() => Recap::Drop,
            _ => Recap::Keep,
        }
    }

    /// Fold a record identical to the one just before it (same direction, only raw-byte
    /// events between them) into that one: its event and timeline row count it. Only
    /// records that can never be decrypted later are folded (plaintext ones and empty
    /// ones), so decryption notes still find their record. A flood of warning alerts or
    /// empty records is then one row and one event, not thousands.
    fn fold_record(&mut self, dir: Dir, record: &RecordInfo, at_us: u64) -> bool {
        if (record.encrypted && record.length > 0) || record.decrypted.is_some() {
            return false;
        }
        let Some(TimelineRow::Record {
            dir: last_dir,
            record: last,
            ..
        }) = self.timeline.last_mut()
        else {
            return false;
        };
        let same = *last_dir == dir
            && last.decrypted.is_none()
            && last.content_type == record.content_type
            && last.version == record.version
            && last.length == record.length
            && last.encrypted == record.encrypted
            && last.messages == record.messages;
        if !same {
            return false;
        }
        // The record's event is the last one but raw bytes: logged as a reference to the
        // row (which counts the fold), or whole (then it counts it too).
        let n = 1 + record.repeated;
        match self.log.iter_mut().rev().find(|l| {
            !matches!(
                l,
                Logged::Ref {
                    what: Ref::Tcp(_),
                    ..
                }
            ) && !matches!(l, Logged::Whole(e) if matches!(e.kind, EventKind::TcpData { .. }))
        }) {
            Some(Logged::Ref {
                what: Ref::Record { .. },
                ..
            }) => {}
            Some(Logged::Whole(e)) => match &mut e.kind {
                EventKind::TlsRecord { record: stored, .. } => {
                    stored.repeated = stored.repeated.saturating_add(n)
                }
                _ => return false,
            },
            _ => return false,
        }
        last.repeated = last.repeated.saturating_add(n);
        self.last_us = self.last_us.max(at_us);
        true
    }

    /// The latest logged reference that `pick` chooses is about to point at a changed
    /// field: log it whole, as `make` rebuilds it from the value it had (or leave it when
    /// `make` cannot).
    fn materialize(
        &mut self,
        pick: impl Fn(&Ref) -> bool,
        make: impl FnOnce(&Ref) -> Option<EventKind>,
    ) {
        let Some(entry) = self
            .log
            .iter_mut()
            .rev()
            .find(|l| matches!(l, Logged::Ref { what, .. } if pick(what)))
        else {
            return;
        };
        let Logged::Ref { at_us, what } = &*entry else {
            return;
        };
        if let Some(kind) = make(what) {
            *entry = Logged::Whole(Box::new(ProbeEvent {
                attempt: self.id,
                at_us: *at_us,
                kind,
            }));
        }
    }

    /// Every event applied, in order: borrowed when logged whole, rebuilt from the typed
    /// fields otherwise (the same event that was applied).
    pub fn events(&self) -> Events<'_> {
        Events::new(self, &self.log)
    }

    fn end_scan(&mut self, scan: u32) {
        if self.scan_running.as_ref().is_some_and(|r| r.scan == scan) {
            self.scan_running = None;
        }
    }

    pub fn is_running(&self) -> bool {
        self.finished.is_none()
    }

    pub fn failure(&self) -> Option<&Failure> {
        self.finished.as_ref().and_then(|(f, _, _)| f.as_ref())
    }

    /// The phase the attempt is in (running) or ended in (finished).
    pub fn phase(&self) -> Phase {
        match &self.finished {
            Some((_, p, _)) => *p,
            None => self
                .phases
                .last()
                .map(|(p, _)| *p)
                .unwrap_or(Phase::Resolve),
        }
    }

    /// Each phase with how long it took (the running one up to `now_us`).
    pub fn phase_durations(&self, now_us: u64) -> Vec<(Phase, u64)> {
        let end = self.finished.as_ref().map(|f| f.2).unwrap_or(now_us);
        self.phases
            .iter()
            .enumerate()
            .map(|(i, (p, start))| {
                let stop = self.phases.get(i + 1).map(|n| n.1).unwrap_or(end);
                (*p, stop.saturating_sub(*start))
            })
            .collect()
    }

    /// The records with their direction, in order.
    pub fn records(&self) -> impl Iterator<Item = (u64, Dir, &RecordInfo)> {
        self.timeline.iter().filter_map(|r| match r {
            TimelineRow::Record { at_us, dir, record } => Some((*at_us, *dir, record)),
            TimelineRow::Ended { .. } => None,
        })
    }

    /// Every decoded message with its time and direction.
    pub fn messages(&self) -> impl Iterator<Item = (u64, Dir, &MessageInfo)> {
        self.records()
            .flat_map(|(at, dir, r)| r.messages.iter().map(move |m| (at, dir, m)))
    }

    /// The host the attempt connected to (MX exchange or target), for display.
    pub fn host(&self) -> Option<&str> {
        self.tried.last().and_then(|(_, h)| h.as_deref())
    }

    /// The EHLO keywords of the last EHLO reply before (tls=false) or after (tls=true) TLS.
    pub fn capabilities(&self, tls: bool) -> Vec<String> {
        let mut caps = Vec::new();
        let mut in_ehlo = false;
        for l in &self.transcript {
            if l.tls != tls {
                continue;
            }
            match l.dir {
                Dir::Client => {
                    in_ehlo = l.line.to_ascii_uppercase().starts_with("EHLO ");
                    if in_ehlo {
                        caps.clear();
                    }
                }
                Dir::Server if in_ehlo && l.line.starts_with("250") => {
                    caps.push(l.line.get(4..).unwrap_or("").to_string());
                }
                Dir::Server => {}
            }
        }
        if !caps.is_empty() {
            caps.remove(0);
        }
        caps
    }
}
