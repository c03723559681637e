//! The routing-policy lab: a signed private DNS tree (root -> `lab.tlsdive.test`, plus an
//! unsigned and a badly signed zone under it) whose domains each show one DANE, DNSSEC,
//! MTA-STS or MX case, an HTTPS MTA-STS policy server, and a second SMTP address for `--all`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::proto::rr::rdata::tlsa::{CertUsage, Matching, Selector};
use hickory_resolver::proto::rr::rdata::{A, AAAA, MX, TLSA, TXT};
use hickory_resolver::proto::rr::{RData, RecordType};

use super::dns::{self, DnsServer, Hostile, Script};
use super::signed_dns::{Signing, Tree};
use super::sts_server::{self, Answer, StsServer};
use super::{LabError, LabServer, Pki, SERVER_NAME, Scenario};

/// The lab's mail domain: every policy scenario is a name under it.
pub const LAB_DOMAIN: &str = "lab.tlsdive.test";

/// The second address of the `--all` sweep's first MX (a healthy server listens there too).
pub const SECOND_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
/// An address of the sweep's second MX where nothing listens.
pub const DEAD_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

/// Each policy scenario: the label under [`LAB_DOMAIN`] and what it shows.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "dane-ee",
        "TLSA 3 1 1 of the served key, signed zone: DANE valid",
    ),
    (
        "dane-ta",
        "TLSA 2 1 1 of the issuing CA, signed zone: DANE valid",
    ),
    (
        "dane-mismatch",
        "TLSA of the key before a rotation: dane-mismatch",
    ),
    (
        "dane-expired",
        "TLSA 3 1 1 of an expired certificate's key: DANE valid, names and dates ignored",
    ),
    (
        "dane-bogus",
        "a secure MX, but the TLSA RRset's zone signatures expired: dnssec-bogus",
    ),
    (
        "dane-unusable",
        "only PKIX-TA/PKIX-EE records (0/1): dane-unusable",
    ),
    (
        "bogus",
        "a zone whose signatures expired a week ago: dnssec-bogus",
    ),
    (
        "unsigned",
        "an unsigned zone with TLSA: insecure, TLSA ignored",
    ),
    ("null-mx", "MX 0 . (RFC 7505): accepts no mail"),
    ("no-mx", "no MX, an A record: the implicit MX"),
    ("sts-enforce", "MTA-STS enforce listing the MX: enforce-ok"),
    (
        "sts-mismatch",
        "MTA-STS enforce without the MX: mta-sts-mx-mismatch",
    ),
    (
        "sts-testing",
        "MTA-STS testing without the MX: senders deliver and report",
    ),
    (
        "sts-unavailable",
        "MTA-STS record, policy fetch 404: mta-sts-policy-unavailable",
    ),
    (
        "sts-webpki",
        "MTA-STS record, the policy host's certificate does not name it: sts-webpki-invalid",
    ),
    (
        "all",
        "2 MX, 4 addresses, the second MX dead: for probe --all",
    ),
    (
        "dead-backup",
        "dane-mismatch's stale TLSA, and a backup MX whose A/AAAA queries are never answered",
    ),
    (
        "ninth-mx",
        "MX 1-8 do not exist, MX 9 has TLSA 3 1 1 of the served key: DANE valid on MX 9",
    ),
    (
        "silent-backups",
        "a working MX and three backups whose queries are never answered",
    ),
    (
        "many-mx",
        "50 MX hosts, each one's addresses answered after 0.4 s",
    ),
    (
        "silent-aaaa",
        "TLSA 3 1 1 of the served key, but the MX host's AAAA query is never answered",
    ),
    ("no-address", "an MX host without A or AAAA records: no-mx"),
    ("dns-timeout", "the MX query is never answered: dns-failed"),
    ("malformed", "the MX reply does not parse: dns-failed"),
];

/// How many MX hosts `many-mx` lists, and how late each one's addresses come.
pub const MANY_MX: usize = 50;
pub const MANY_MX_DELAY: Duration = Duration::from_millis(400);

/// The domain of scenario `label`.
pub fn domain(label: &str) -> String {
    format!("{label}.{LAB_DOMAIN}")
}

/// A running policy lab; dropping it stops every server.
#[derive(Debug)]
pub struct PolicyLab {
    pub dns: DnsServer,
    pub sts: StsServer,
    /// The root's DNSKEY in zone-file format, for `--trust-anchor`.
    pub anchor: String,
    /// Where the other single-purpose servers listen.
    pub ports: Ports,
    _servers: Vec<LabServer>,
}

/// The ports of the servers that share the host the certificate names, each with TLSA owners
/// (`_PORT._tcp.HOST`) of its own.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// The healthy server with the DANE-TA record.
    pub main: u16,
    /// The healthy server whose TLSA record is stale (`dane-mismatch`).
    pub mismatch: u16,
    /// A server with an expired certificate, matched by a TLSA 3 1 1 (`dane-expired`).
    pub expired: u16,
    /// A healthy server without any TLSA record (the `sts-*` domains: MTA-STS alone).
    pub sts: u16,
}

impl PolicyLab {
    /// The SMTP port to probe scenario `label` on.
    pub fn port_for(&self, label: &str) -> u16 {
        match label {
            "dane-mismatch" | "dead-backup" => self.ports.mismatch,
            "dane-expired" => self.ports.expired,
            l if l.starts_with("sts-") => self.ports.sts,
            _ => self.ports.main,
        }
    }
}

/// Start the DNS and policy servers for MX hosts served by the healthy lab server on
/// 127.0.0.1:`port`, and a second healthy server on [`SECOND_ADDRESS`] with the same port
/// (left out, and said so by its absence, if that address cannot be bound).
pub async fn start(pki: &Arc<Pki>, port: u16) -> Result<PolicyLab, LabError> {
    let mismatch = super::start(
        Scenario::Healthy,
        pki,
        "127.0.0.1:0"
            .parse()
            .map_err(|_| LabError::Dnssec("bad bind address".into()))?,
    )
    .await?;
    let mismatch_port = mismatch.addr.port();
    let local = || -> Result<SocketAddr, LabError> {
        "127.0.0.1:0"
            .parse()
            .map_err(|_| LabError::Dnssec("bad bind address".into()))
    };
    let expired = super::start(Scenario::ExpiredCert, pki, local()?).await?;
    let sts_smtp = super::start(Scenario::Healthy, pki, local()?).await?;
    let ports = Ports {
        main: port,
        mismatch: mismatch_port,
        expired: expired.addr.port(),
        sts: sts_smtp.addr.port(),
    };
    let mut servers = vec![mismatch, expired, sts_smtp];
    if let Ok(s) = super::start(
        Scenario::Healthy,
        pki,
        SocketAddr::new(IpAddr::V4(SECOND_ADDRESS), port),
    )
    .await
    {
        servers.push(s);
    }
    let sts = sts_server::serve(policies()).await?;
    let signed = tree(pki, ports).sign()?;
    let anchor = signed.anchor.clone();
    let dns = dns::serve_scripted(signed, script()).await?;
    Ok(PolicyLab {
        dns,
        sts,
        anchor,
        ports,
        _servers: servers,
    })
}

const STS_OK: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.lab.tlsdive.test\r\nmax_age: 86400\r\n";
const STS_TESTING: &str =
    "version: STSv1\r\nmode: testing\r\nmx: *.other.test\r\nmax_age: 86400\r\n";
const STS_OTHER: &str = "version: STSv1\r\nmode: enforce\r\nmx: *.other.test\r\nmx: mail.example.net\r\nmax_age: 86400\r\n";

fn policies() -> HashMap<String, Answer> {
    let mut m = HashMap::new();
    m.insert(
        format!("mta-sts.{}", domain("sts-enforce")),
        Answer::policy(STS_OK),
    );
    m.insert(
        format!("mta-sts.{}", domain("sts-mismatch")),
        Answer::policy(STS_OTHER),
    );
    m.insert(
        format!("mta-sts.{}", domain("sts-testing")),
        Answer::policy(STS_TESTING),
    );
    m.insert(
        format!("mta-sts.{}", domain("sts-unavailable")),
        Answer {
            status: 404,
            content_type: "text/html".into(),
            body: "<h1>not here</h1>".into(),
            named: true,
        },
    );
    m.insert(
        format!("mta-sts.{}", domain("sts-webpki")),
        Answer::policy_unnamed(STS_OK),
    );
    m
}

/// The zones, unsigned yet: root -> lab.tlsdive.test (signed), with
/// unsigned.lab.tlsdive.test (no DS), bogus.lab.tlsdive.test (expired signatures) and the
/// zone of dane-bogus's TLSA owner (expired signatures under a secure MX host).
pub fn tree(pki: &Pki, ports: Ports) -> Tree {
    let (port, mismatch_port) = (ports.main, ports.mismatch);
    let bogus_host = format!("mx.{}", domain("dane-bogus"));
    let mut t = Tree::new();
    t.zone(LAB_DOMAIN, Signing::Signed)
        .zone(&domain("unsigned"), Signing::Unsigned)
        .zone(&domain("bogus"), Signing::Expired)
        .zone(&format!("_tcp.{bogus_host}"), Signing::Expired);
    let leaf = spki_sha256(&pki.server.cert);
    let ca = spki_sha256(&pki.intermediate);
    let stale = spki_sha256(&pki.untrusted.cert);
    let local = || RData::A(A(Ipv4Addr::LOCALHOST));
    t.add(SERVER_NAME, local());
    let tlsa = |u: u8, data: &[u8]| {
        RData::TLSA(TLSA::new(
            CertUsage::from(u),
            Selector::from(1),
            Matching::from(1),
            data.to_vec(),
        ))
    };
    // DANE-TA checks names against the MX host, so it uses the host the certificate names.
    let owner = |host: &str| format!("_{port}._tcp.{host}");
    mx_to(&mut t, "dane-ta", SERVER_NAME);
    t.add(&owner(SERVER_NAME), tlsa(2, &ca));
    mx_to(&mut t, "dane-mismatch", SERVER_NAME);
    t.add(
        &format!("_{mismatch_port}._tcp.{SERVER_NAME}"),
        tlsa(3, &stale),
    );
    // DANE-EE over an expired certificate: names and dates are not checked (RFC 7672 §3.1.1).
    mx_to(&mut t, "dane-expired", SERVER_NAME);
    t.add(
        &format!("_{}._tcp.{SERVER_NAME}", ports.expired),
        tlsa(3, &spki_sha256(&pki.expired.cert)),
    );
    // A secure MX and address, but the TLSA RRset sits in a zone nobody re-signed.
    mx_to(&mut t, "dane-bogus", &bogus_host);
    t.add(&bogus_host, local());
    t.add(&owner(&bogus_host), tlsa(3, &leaf));
    // The bogus zone's own MX RRset fails validation; its host is a secure one.
    mx_to(&mut t, "bogus", SERVER_NAME);
    for (label, records) in [
        ("dane-ee", vec![tlsa(3, &leaf)]),
        ("dane-unusable", vec![tlsa(1, &leaf), tlsa(0, &leaf)]),
        ("unsigned", vec![tlsa(3, &leaf)]),
    ] {
        let host = format!("mx.{}", domain(label));
        mx_to(&mut t, label, &host);
        t.add(&host, local());
        for r in records {
            t.add(&owner(&host), r);
        }
    }
    t.add(&domain("null-mx"), RData::MX(MX::new(0, dns::name("."))));
    t.add(&domain("no-mx"), local());
    t.add(&owner(&domain("no-mx")), tlsa(3, &leaf));
    for label in [
        "sts-enforce",
        "sts-mismatch",
        "sts-testing",
        "sts-unavailable",
        "sts-webpki",
    ] {
        let d = domain(label);
        mx_to(&mut t, label, SERVER_NAME);
        t.add(&format!("mta-sts.{d}"), local());
        t.add(
            &format!("_mta-sts.{d}"),
            txt(&format!("v=STSv1; id=2026{}", d.len())),
        );
        t.add(
            &format!("_smtp._tls.{d}"),
            txt(&format!("v=TLSRPTv1; rua=mailto:tls-reports@{d}")),
        );
    }
    // The sweep's first MX is the host the certificate names, so its addresses can pass.
    let mx2 = format!("mx2.{}", domain("all"));
    mx_to(&mut t, "all", SERVER_NAME);
    t.add(&domain("all"), RData::MX(MX::new(20, dns::name(&mx2))));
    t.add(SERVER_NAME, RData::A(A(SECOND_ADDRESS)));
    t.add(&mx2, RData::A(A(DEAD_ADDRESS)));
    t.add(&mx2, RData::AAAA(AAAA(Ipv6Addr::LOCALHOST)));
    hostile_mx(&mut t, pki, port);
    t
}

/// The hostile DNS behaviours of the scenarios that need them.
pub fn script() -> Script {
    let mut s = Script::new();
    for rtype in [RecordType::A, RecordType::AAAA] {
        s.on(&dead_backup(), Some(rtype), Hostile::Silent);
        s.on(
            &format!("*.{}", domain("many-mx")),
            Some(rtype),
            Hostile::Slow(MANY_MX_DELAY),
        );
    }
    s.on(
        &format!("*.{}", domain("silent-backups")),
        None,
        Hostile::Silent,
    )
    .on(&domain("dns-timeout"), None, Hostile::Silent)
    .on(&domain("malformed"), None, Hostile::Malformed)
    .on(
        &format!("mx.{}", domain("silent-aaaa")),
        Some(RecordType::AAAA),
        Hostile::Silent,
    );
    s
}

/// The backup MX of `dead-backup`, whose address queries are never answered.
pub fn dead_backup() -> String {
    format!("backup.{}", domain("dead-backup"))
}

/// The hosts of the hostile MX scenarios.
fn hostile_mx(t: &mut Tree, pki: &Pki, port: u16) {
    let local = || RData::A(A(Ipv4Addr::LOCALHOST));
    let leaf = spki_sha256(&pki.server.cert);
    mx_to(&mut *t, "dead-backup", SERVER_NAME);
    t.add(
        &domain("dead-backup"),
        RData::MX(MX::new(20, dns::name(&dead_backup()))),
    );
    t.add(&dead_backup(), local());
    for i in 1..=9u16 {
        let host = format!("mx{i}.{}", domain("ninth-mx"));
        t.add(&domain("ninth-mx"), RData::MX(MX::new(i, dns::name(&host))));
        if i == 9 {
            t.add(&host, local());
            t.add(
                &format!("_{port}._tcp.{host}"),
                RData::TLSA(TLSA::new(
                    CertUsage::from(3),
                    Selector::from(1),
                    Matching::from(1),
                    leaf.clone(),
                )),
            );
        }
    }
    mx_to(&mut *t, "silent-backups", SERVER_NAME);
    for i in 2..=4u16 {
        let host = format!("b{i}.{}", domain("silent-backups"));
        t.add(
            &domain("silent-backups"),
            RData::MX(MX::new(10 * i, dns::name(&host))),
        );
        t.add(&host, local());
    }
    for i in 1..=MANY_MX {
        let host = format!("mx{i:02}.{}", domain("many-mx"));
        let pref = u16::try_from(i).unwrap_or(u16::MAX);
        t.add(
            &domain("many-mx"),
            RData::MX(MX::new(pref, dns::name(&host))),
        );
        t.add(&host, local());
    }
    let host = format!("mx.{}", domain("silent-aaaa"));
    mx_to(&mut *t, "silent-aaaa", &host);
    t.add(&host, local());
    // In the zone (so no NSEC record proves it absent), never answered.
    t.add(&host, RData::AAAA(AAAA(Ipv6Addr::LOCALHOST)));
    t.add(
        &format!("_{port}._tcp.{host}"),
        RData::TLSA(TLSA::new(
            CertUsage::from(3),
            Selector::from(1),
            Matching::from(1),
            leaf.clone(),
        )),
    );
    let bare = format!("bare.{}", domain("no-address"));
    mx_to(&mut *t, "no-address", &bare);
    t.add(&bare, txt("an MX host without addresses"));
    t.add(&domain("dns-timeout"), local());
    t.add(&domain("malformed"), local());
}

fn mx_to(t: &mut Tree, label: &str, host: &str) {
    t.add(&domain(label), RData::MX(MX::new(10, dns::name(host))));
}

fn txt(value: &str) -> RData {
    RData::TXT(TXT::new(vec![value.to_string()]))
}

fn spki_sha256(der: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    X509Certificate::from_der(der)
        .map(|(_, c)| {
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, c.public_key().raw)
                .as_ref()
                .to_vec()
        })
        .unwrap_or_default()
}
