//! A DNSSEC-signed private DNS tree for the lab: a root and child zones, each signed at start
//! with a fresh ECDSA P-256 key (or left unsigned, or signed badly on purpose), chained by DS
//! records, with NSEC denial. It answers like the authoritative servers of all its zones.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use hickory_resolver::proto::dnssec::crypto::EcdsaSigningKey;
use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS, NSEC, RRSIG, SigInput};
use hickory_resolver::proto::dnssec::{
    Algorithm, DigestType, DnssecSigner, PublicKey, SigningKey, TBS,
};
use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::rdata::{NS, SOA};
use hickory_resolver::proto::rr::{DNSClass, Name, RData, Record, RecordType, SerialNumber};

use super::LabError;

const TTL: u32 = 60;
const HOUR: u64 = 3600;

/// How a zone is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// Valid signatures, a DS in the parent.
    Signed,
    /// No signatures; the parent proves (NSEC) that it has no DS: an insecure delegation.
    Unsigned,
    /// A DS in the parent, but every signature expired a week ago (a zone nobody re-signed).
    Expired,
}

/// The zones and records to serve, before signing.
#[derive(Debug, Clone)]
pub struct Tree {
    zones: Vec<(Name, Signing)>,
    records: Vec<(Name, RData)>,
}

impl Default for Tree {
    fn default() -> Tree {
        Tree::new()
    }
}

impl Tree {
    /// A tree with a signed root zone only.
    pub fn new() -> Tree {
        Tree {
            zones: vec![(Name::root(), Signing::Signed)],
            records: Vec::new(),
        }
    }

    /// Make `apex` a zone of its own (delegated from the closest enclosing zone).
    pub fn zone(&mut self, apex: &str, signing: Signing) -> &mut Tree {
        self.zones
            .push((super::dns::name(apex).to_lowercase(), signing));
        self
    }

    /// Add one record at `name`.
    pub fn add(&mut self, name: &str, rdata: RData) -> &mut Tree {
        self.records
            .push((super::dns::name(name).to_lowercase(), rdata));
        self
    }

    /// Generate the keys, build every zone and sign it.
    pub fn sign(&self) -> Result<SignedTree, LabError> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut keys = BTreeMap::new();
        for (apex, signing) in &self.zones {
            if *signing != Signing::Unsigned {
                keys.insert(apex.clone(), ZoneKey::generate(apex, *signing, now)?);
            }
        }
        let mut zones = Vec::new();
        for (apex, signing) in &self.zones {
            let mut data: BTreeMap<(Name, RecordType), Vec<RData>> = BTreeMap::new();
            let mut put = |name: &Name, rdata: RData| {
                data.entry((name.clone(), rdata.record_type()))
                    .or_default()
                    .push(rdata);
            };
            let ns = super::dns::name("ns.lab.tlsdive.test");
            put(
                apex,
                RData::SOA(SOA::new(
                    ns.clone(),
                    super::dns::name("hostmaster.lab.tlsdive.test"),
                    1,
                    3600,
                    600,
                    86400,
                    TTL,
                )),
            );
            put(apex, RData::NS(NS(ns.clone())));
            if let Some(k) = keys.get(apex) {
                put(apex, k.dnskey_rdata());
            }
            for (child, _) in &self.zones {
                if self.parent_of(child).as_ref() == Some(apex) {
                    put(child, RData::NS(NS(ns.clone())));
                    if let Some(k) = keys.get(child) {
                        put(child, k.ds_rdata()?);
                    }
                }
            }
            for (name, rdata) in &self.records {
                if self.zone_of(name) == *apex {
                    put(name, rdata.clone());
                }
            }
            let cuts: BTreeSet<Name> = self
                .zones
                .iter()
                .filter(|(c, _)| self.parent_of(c).as_ref() == Some(apex))
                .map(|(c, _)| c.clone())
                .collect();
            zones.push(Zone::build(
                apex.clone(),
                data,
                cuts,
                keys.get(apex),
                *signing,
            )?);
        }
        let root_key = keys
            .get(&Name::root())
            .ok_or_else(|| LabError::Dnssec("the root zone has no key".into()))?;
        Ok(SignedTree {
            anchor: root_key.anchor_line(),
            zones,
        })
    }

    /// The deepest zone that holds `name`.
    fn zone_of(&self, name: &Name) -> Name {
        self.zones
            .iter()
            .map(|(apex, _)| apex)
            .filter(|apex| apex.zone_of(name))
            .max_by_key(|apex| apex.num_labels())
            .cloned()
            .unwrap_or_else(Name::root)
    }

    fn parent_of(&self, apex: &Name) -> Option<Name> {
        if apex.is_root() {
            return None;
        }
        Some(self.zone_of(&apex.base_name()))
    }
}

struct ZoneKey {
    signer: DnssecSigner,
    inception: u64,
    expiration: u64,
}

impl ZoneKey {
    fn generate(apex: &Name, signing: Signing, now: u64) -> Result<ZoneKey, LabError> {
        let err = |e: &dyn std::fmt::Display| LabError::Dnssec(format!("{apex}: {e}"));
        let pkcs8 =
            EcdsaSigningKey::generate_pkcs8(Algorithm::ECDSAP256SHA256).map_err(|e| err(&e))?;
        let key =
            EcdsaSigningKey::from_pkcs8(&pkcs8, Algorithm::ECDSAP256SHA256).map_err(|e| err(&e))?;
        let public = key.to_public_key().map_err(|e| err(&e))?;
        // One key per zone, flags 257 (zone key, secure entry point): it signs everything.
        let dnskey = DNSKEY::from_key(&public);
        let (inception, expiration) = match signing {
            Signing::Expired => (now - 14 * 24 * HOUR, now - 7 * 24 * HOUR),
            _ => (now - HOUR, now + 30 * 24 * HOUR),
        };
        Ok(ZoneKey {
            signer: DnssecSigner::new(
                dnskey,
                Box::new(key),
                apex.clone(),
                Duration::from_secs(expiration - inception),
            ),
            inception,
            expiration,
        })
    }

    fn dnskey_rdata(&self) -> RData {
        RData::DNSSEC(DNSSECRData::DNSKEY(self.signer.to_dnskey()))
    }

    fn ds_rdata(&self) -> Result<RData, LabError> {
        let ds = self
            .signer
            .dnskey()
            .to_digest(self.signer.signer_name(), DigestType::SHA256)
            .map_err(|e| LabError::Dnssec(e.to_string()))?;
        let tag = self
            .signer
            .calculate_key_tag()
            .map_err(|e| LabError::Dnssec(e.to_string()))?;
        Ok(RData::DNSSEC(DNSSECRData::DS(DS::new(
            tag,
            Algorithm::ECDSAP256SHA256,
            DigestType::SHA256,
            ds.as_ref().to_vec(),
        ))))
    }

    /// The key as a trust anchor line in zone-file format (what `--trust-anchor` reads).
    fn anchor_line(&self) -> String {
        let key = self.signer.dnskey();
        format!(
            "{} {TTL} IN DNSKEY {} 3 {} {}\n",
            self.signer.signer_name(),
            key.flags(),
            u8::from(Algorithm::ECDSAP256SHA256),
            crate::cert::base64(key.public_key().public_bytes())
        )
    }

    fn sign(&self, name: &Name, rtype: RecordType, records: &[Record]) -> Result<Record, LabError> {
        let err = |e: &dyn std::fmt::Display| LabError::Dnssec(format!("{name} {rtype}: {e}"));
        let input = SigInput {
            type_covered: rtype,
            algorithm: Algorithm::ECDSAP256SHA256,
            num_labels: name.num_labels(),
            original_ttl: TTL,
            sig_expiration: SerialNumber::new(self.expiration as u32),
            sig_inception: SerialNumber::new(self.inception as u32),
            key_tag: self.signer.calculate_key_tag().map_err(|e| err(&e))?,
            signer_name: self.signer.signer_name().clone(),
        };
        let tbs =
            TBS::from_input(name, DNSClass::IN, &input, records.iter()).map_err(|e| err(&e))?;
        let sig = self.signer.sign(&tbs).map_err(|e| err(&e))?;
        Ok(Record::from_rdata(
            name.clone(),
            TTL,
            RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, sig))),
        ))
    }
}

/// One zone, built and signed: its RRsets (NSEC included) with their signatures.
#[derive(Debug)]
struct Zone {
    apex: Name,
    rrsets: BTreeMap<(Name, RecordType), Vec<Record>>,
    sigs: BTreeMap<(Name, RecordType), Record>,
    /// Owner names in canonical order (delegation points included).
    names: BTreeSet<Name>,
}

impl Zone {
    fn build(
        apex: Name,
        data: BTreeMap<(Name, RecordType), Vec<RData>>,
        cuts: BTreeSet<Name>,
        key: Option<&ZoneKey>,
        signing: Signing,
    ) -> Result<Zone, LabError> {
        let mut rrsets: BTreeMap<(Name, RecordType), Vec<Record>> = data
            .into_iter()
            .map(|((name, rtype), rdatas)| {
                let records = rdatas
                    .into_iter()
                    .map(|r| Record::from_rdata(name.clone(), TTL, r))
                    .collect();
                ((name, rtype), records)
            })
            .collect();
        let names: BTreeSet<Name> = rrsets.keys().map(|(n, _)| n.clone()).collect();
        let mut sigs = BTreeMap::new();
        if let (Some(key), true) = (key, signing != Signing::Unsigned) {
            let ordered: Vec<&Name> = names.iter().collect();
            for (i, name) in ordered.iter().enumerate() {
                let next = ordered[(i + 1) % ordered.len()];
                let types: Vec<RecordType> = rrsets
                    .keys()
                    .filter(|(n, _)| n == *name)
                    .map(|(_, t)| *t)
                    .collect();
                let nsec = NSEC::new_cover_self(next.clone(), types);
                rrsets.insert(
                    ((*name).clone(), RecordType::NSEC),
                    vec![Record::from_rdata(
                        (*name).clone(),
                        TTL,
                        RData::DNSSEC(DNSSECRData::NSEC(nsec)),
                    )],
                );
            }
            for ((name, rtype), records) in &rrsets {
                // The NS RRset at a delegation point belongs to the child: the parent does not
                // sign it (RFC 4035 §2.2).
                if *rtype == RecordType::NS && cuts.contains(name) {
                    continue;
                }
                sigs.insert((name.clone(), *rtype), key.sign(name, *rtype, records)?);
            }
        }
        Ok(Zone {
            apex,
            rrsets,
            sigs,
            names,
        })
    }

    fn signed(&self) -> bool {
        !self.sigs.is_empty()
    }

    /// Whether `name` exists in the zone, as an owner or as an empty non-terminal.
    fn exists(&self, name: &Name) -> bool {
        self.names.iter().any(|n| name.zone_of(n))
    }

    /// The NSEC RRset that covers (or matches) `name`: the last owner at or before it.
    fn nsec_at_or_before(&self, name: &Name) -> Option<&Name> {
        self.names.range(..=name.clone()).next_back()
    }

    fn push_signed(&self, out: &mut Vec<Record>, key: &(Name, RecordType), dnssec: bool) {
        if let Some(rs) = self.rrsets.get(key) {
            out.extend(rs.iter().cloned());
            if dnssec && let Some(sig) = self.sigs.get(key) {
                out.push(sig.clone());
            }
        }
    }
}

/// The signed tree, ready to answer; `anchor` is the root key in zone-file format.
#[derive(Debug)]
pub struct SignedTree {
    pub anchor: String,
    zones: Vec<Zone>,
}

impl SignedTree {
    /// The zone that answers `qname`/`qtype`: the deepest enclosing one, except that a DS is
    /// the parent's.
    fn zone_for(&self, qname: &Name, qtype: RecordType) -> Option<&Zone> {
        let holds = |z: &&Zone| {
            z.apex.zone_of(qname)
                && !(qtype == RecordType::DS && z.apex == *qname && !qname.is_root())
        };
        self.zones
            .iter()
            .filter(holds)
            .max_by_key(|z| z.apex.num_labels())
    }

    /// The reply to `query`, with DNSSEC records when it set the DO bit.
    pub fn answer(&self, query: &Message) -> Message {
        let mut reply = query.clone().into_response();
        reply.metadata.recursion_available = true;
        reply.metadata.authoritative = true;
        let Some(q) = query.queries.first() else {
            reply.metadata.response_code = ResponseCode::FormErr;
            return reply;
        };
        let dnssec = query.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok);
        let qname = q.name().to_lowercase();
        let qtype = q.query_type();
        let Some(zone) = self.zone_for(&qname, qtype) else {
            reply.metadata.response_code = ResponseCode::Refused;
            return reply;
        };
        let key = (qname.clone(), qtype);
        if zone.rrsets.contains_key(&key) {
            zone.push_signed(&mut reply.answers, &key, dnssec);
            return reply;
        }
        let mut auth = Vec::new();
        zone.push_signed(&mut auth, &(zone.apex.clone(), RecordType::SOA), dnssec);
        let exists = zone.exists(&qname);
        if !exists {
            reply.metadata.response_code = ResponseCode::NXDomain;
        }
        if dnssec && zone.signed() {
            let mut owners = BTreeSet::new();
            if let Some(n) = zone.nsec_at_or_before(&qname) {
                owners.insert(n.clone());
            }
            if !exists {
                let mut encloser = qname.base_name();
                while !zone.exists(&encloser) && encloser.num_labels() > zone.apex.num_labels() {
                    encloser = encloser.base_name();
                }
                if let Ok(wild) = encloser.prepend_label("*")
                    && let Some(n) = zone.nsec_at_or_before(&wild)
                {
                    owners.insert(n.clone());
                }
            }
            for o in owners {
                zone.push_signed(&mut auth, &(o, RecordType::NSEC), true);
            }
        }
        reply.authorities = auth;
        reply
    }
}
