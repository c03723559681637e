//! One probe's verdicts as OpenMetrics, with stable names and help texts. Labels only ever
//! hold values from tlsdive's own tables (cause codes, phase names, policy verdict codes,
//! sender kinds, negotiated names), never free text from the server, so their cardinality
//! stays low; the encoder escapes them. Pure: a finished attempt in, text out.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::diagnose::{self, policy::assess};
use crate::session::Attempt;

type FloatGauge = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CauseLabels {
    cause: String,
    phase: String,
    /// RFC 8460 `result-type`, empty when TLS-RPT has none.
    tlsrpt_result_type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabels {
    phase: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TlsLabels {
    version: String,
    cipher_suite: String,
    group: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SenderLabels {
    sender: String,
}

/// The OpenMetrics text for one probe. `elapsed` is the probe's whole time as the exporter
/// measured it (the attempt's own time is in the phase metrics); `deadline_hit`: the
/// scrape's timeout cut the probe short.
pub fn probe_metrics(
    attempt: Option<&Attempt>,
    elapsed_secs: f64,
    deadline_hit: bool,
) -> Result<String, std::fmt::Error> {
    let mut reg = Registry::with_prefix("tlsdive");
    let success = FloatGauge::default();
    reg.register(
        "probe_success",
        "1 when the probe found the server working (SMTP, STARTTLS, handshake, certificate verified against the module's trust), else 0",
        success.clone(),
    );
    let duration = FloatGauge::default();
    duration.set(elapsed_secs);
    reg.register_with_unit(
        "probe_duration",
        "Time the whole probe took, lookups included",
        Unit::Seconds,
        duration,
    );
    let timed_out = FloatGauge::default();
    timed_out.set(if deadline_hit { 1.0 } else { 0.0 });
    reg.register(
        "probe_deadline_exceeded",
        "1 when the scrape timeout ended the probe before it finished",
        timed_out,
    );
    let Some(a) = attempt else {
        return text(&reg);
    };
    let d = diagnose::diagnose(a);
    success.set(if d.ok && !deadline_hit { 1.0 } else { 0.0 });

    let cause = Family::<CauseLabels, FloatGauge>::default();
    cause
        .get_or_create(&CauseLabels {
            cause: d.cause.code().into(),
            phase: d.phase.name().into(),
            tlsrpt_result_type: diagnose::tlsrpt::result_type_on(a, d.cause)
                .map(|r| r.code().to_string())
                .unwrap_or_default(),
        })
        .set(1.0);
    reg.register(
        "probe_cause",
        "The cause tlsdive names for the probe (ok when it works), with the phase it is in and its RFC 8460 result-type; always 1",
        cause,
    );

    let phases = Family::<PhaseLabels, FloatGauge>::default();
    let end = a.finished.as_ref().map_or(a.last_us, |f| f.2);
    for (i, (phase, start)) in a.phases.iter().enumerate() {
        let stop = a.phases.get(i + 1).map_or(end, |n| n.1);
        phases
            .get_or_create(&PhaseLabels {
                phase: phase.name().into(),
            })
            .set(stop.saturating_sub(*start) as f64 / 1e6);
    }
    reg.register_with_unit(
        "probe_phase_duration",
        "Time spent in each phase of the attempt, as the server paced it",
        Unit::Seconds,
        phases,
    );

    if let Some(n) = &a.negotiated {
        let tls = Family::<TlsLabels, FloatGauge>::default();
        tls.get_or_create(&TlsLabels {
            version: n.version.clone(),
            cipher_suite: n.cipher_suite.clone(),
            group: n.group.clone().unwrap_or_default(),
        })
        .set(1.0);
        reg.register(
            "tls",
            "The negotiated TLS version, cipher suite and key-exchange group; always 1",
            tls,
        );
    }

    if let Some(expiry) = a
        .certificates
        .first()
        .and_then(|c| crate::cert::unix_time(&c.not_after))
    {
        let g = FloatGauge::default();
        g.set(expiry as f64);
        reg.register_with_unit(
            "certificate_expiry_timestamp",
            "When the server's certificate (the first one it sent) expires, as a Unix time",
            Unit::Seconds,
            g,
        );
    }

    if let Some(s) = assess(a) {
        let status = |name: &str, help: &str, code: &str, reg: &mut Registry| {
            let f = Family::<StatusLabels, FloatGauge>::default();
            f.get_or_create(&StatusLabels {
                status: code.into(),
            })
            .set(1.0);
            reg.register(name, help, f);
        };
        status(
            "dane",
            "The DANE verdict for the probed MX (valid, dane-mismatch, dane-unusable, dnssec-bogus, dnssec-indeterminate, insecure, none, unchecked); always 1",
            s.dane.verdict.code(),
            &mut reg,
        );
        status(
            "mta_sts",
            "The MTA-STS verdict for the probed MX (enforce-ok, testing, mta-sts-mx-mismatch, mta-sts-policy-unavailable, mta-sts-cert-invalid, none); always 1",
            s.sts.verdict.code(),
            &mut reg,
        );
        let rpt = FloatGauge::default();
        rpt.set(if s.rua.is_empty() { 0.0 } else { 1.0 });
        reg.register(
            "tls_rpt_published",
            "1 when the domain publishes a TLS-RPT record with at least one reporting address",
            rpt,
        );
        let senders = Family::<SenderLabels, FloatGauge>::default();
        for r in &s.senders {
            if let Some(ok) = r.delivers {
                senders
                    .get_or_create(&SenderLabels {
                        sender: r.policy.to_ascii_lowercase(),
                    })
                    .set(if ok { 1.0 } else { 0.0 });
            }
        }
        reg.register(
            "sender_delivers",
            "Whether a kind of sending MTA (opportunistic, mandatory-verified, dane, mta-sts) would deliver to the probed MX: 1 yes, 0 no; absent when it cannot be told",
            senders,
        );
    }
    text(&reg)
}

fn text(reg: &Registry) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    encode(&mut out, reg)?;
    Ok(out)
}
