//! ClientHello and ServerHello / HelloRetryRequest bodies (RFC 8446 §4.1.2–4.1.4, RFC 5246
//! §7.4.1) and the extensions a mail engineer needs to see: what the client offered
//! (versions, suites, groups, key shares, SNI, ALPN, signature algorithms) and what the
//! server chose.
//!
//! Decoding is strict about framing — a length that overruns its container is reported as
//! malformed, because a peer would answer it with `decode_error` — but lenient about
//! content: unknown values keep their number.

use super::info::{ClientHelloInfo, ServerHelloInfo};
use super::names::{extension_name, group_name, signature_scheme_name, suite_name, version_name};
use super::reader::Reader;
use super::record::escape;

/// The random a ServerHello carries when it is a HelloRetryRequest (RFC 8446 §4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

const TLS13: u16 = 0x0304;

/// A decoded ClientHello plus the raw facts the tracker keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientHello {
    pub info: ClientHelloInfo,
    /// The versions offered, as numbers.
    pub versions: Vec<u16>,
}

/// A decoded ServerHello or HelloRetryRequest plus the raw facts the tracker keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerHello {
    pub info: ServerHelloInfo,
    pub retry: bool,
    pub version: u16,
    pub suite: u16,
    pub group: Option<u16>,
}

/// Decodes a ClientHello body (after the 4-byte handshake header).
pub fn decode_client_hello(body: &[u8]) -> Result<ClientHello, String> {
    let mut r = Reader::new(body);
    let legacy = r.u16().ok_or("ClientHello truncated in legacy_version")?;
    r.take(32).ok_or("ClientHello truncated in random")?;
    r.sub_u8()
        .ok_or("ClientHello truncated in legacy_session_id")?;
    let suites = r
        .sub_u16()
        .ok_or("ClientHello truncated in cipher_suites")?;
    let suites = u16_list(suites).ok_or("ClientHello cipher_suites has an odd length")?;
    r.sub_u8()
        .ok_or("ClientHello truncated in compression_methods")?;

    let mut info = ClientHelloInfo {
        legacy_version: version_name(legacy),
        versions: Vec::new(),
        cipher_suites: suites.into_iter().map(suite_name).collect(),
        groups: Vec::new(),
        key_shares: Vec::new(),
        sni: None,
        alpn: Vec::new(),
        signature_algorithms: Vec::new(),
        extensions: Vec::new(),
        size: body.len() + 4,
    };
    let mut versions = None;
    for (typ, data) in extensions(&mut r, "ClientHello")? {
        let name = extension_name(typ);
        client_extension(typ, data, &mut info, &mut versions)
            .ok_or_else(|| format!("ClientHello {name} extension is malformed"))?;
        info.extensions.push(name);
    }
    let versions = versions.unwrap_or_else(|| vec![legacy]);
    info.versions = versions.iter().copied().map(version_name).collect();
    Ok(ClientHello { info, versions })
}

/// Fills `info` from one ClientHello extension; `None` when its body is malformed.
fn client_extension(
    typ: u16,
    data: &[u8],
    info: &mut ClientHelloInfo,
    versions: &mut Option<Vec<u16>>,
) -> Option<()> {
    let mut r = Reader::new(data);
    match typ {
        0 if r.any_left() => {
            let mut list = r.sub_u16()?;
            while list.any_left() {
                let name_type = list.u8()?;
                let name = list.sub_u16()?.rest();
                if name_type == 0 {
                    info.sni = Some(escape(name));
                }
            }
        }
        10 => {
            info.groups = u16_list(r.sub_u16()?)?
                .into_iter()
                .map(group_name)
                .collect()
        }
        13 => {
            let schemes = u16_list(r.sub_u16()?)?;
            info.signature_algorithms = schemes.into_iter().map(signature_scheme_name).collect();
        }
        16 => {
            let mut list = r.sub_u16()?;
            while list.any_left() {
                info.alpn.push(escape(list.sub_u8()?.rest()));
            }
        }
        43 => *versions = Some(u16_list(r.sub_u8()?)?),
        51 => {
            let mut list = r.sub_u16()?;
            while list.any_left() {
                let group = list.u16()?;
                let key = list.sub_u16()?;
                info.key_shares.push((group_name(group), key.left()));
            }
        }
        _ => return Some(()),
    }
    (!r.any_left()).then_some(())
}

/// Decodes a ServerHello body; a HelloRetryRequest is a ServerHello with a special random.
pub fn decode_server_hello(body: &[u8]) -> Result<ServerHello, String> {
    let mut r = Reader::new(body);
    let legacy = r.u16().ok_or("ServerHello truncated in legacy_version")?;
    let random = r.take(32).ok_or("ServerHello truncated in random")?;
    let retry = random == HRR_RANDOM;
    r.sub_u8()
        .ok_or("ServerHello truncated in legacy_session_id")?;
    let suite = r.u16().ok_or("ServerHello truncated in cipher_suite")?;
    r.u8()
        .ok_or("ServerHello truncated in compression_method")?;

    let mut version = legacy;
    let mut group = None;
    let mut names = Vec::new();
    let what = if retry {
        "HelloRetryRequest"
    } else {
        "ServerHello"
    };
    for (typ, data) in extensions(&mut r, what)? {
        let name = extension_name(typ);
        let mut e = Reader::new(data);
        let parsed = match typ {
            43 => e.u16().map(|v| version = v),
            // ServerHello: group + key_exchange; HelloRetryRequest: selected_group only.
            51 => e.u16().map(|g| group = Some(g)),
            _ => Some(()),
        };
        parsed.ok_or_else(|| format!("{what} {name} extension is truncated"))?;
        names.push(name);
    }
    let info = ServerHelloInfo {
        version: version_name(version),
        cipher_suite: suite_name(suite),
        group: group.map(group_name),
        extensions: names,
        size: body.len() + 4,
    };
    Ok(ServerHello {
        info,
        retry,
        version,
        suite,
        group,
    })
}

/// True when a hello's versions include TLS 1.3 (or one of its drafts).
pub fn is_tls13(version: u16) -> bool {
    version == TLS13 || version >> 8 == 0x7f
}

/// The (type, body) pairs of an optional extensions block that must end the message.
fn extensions<'a>(r: &mut Reader<'a>, what: &str) -> Result<Vec<(u16, &'a [u8])>, String> {
    let mut out = Vec::new();
    if !r.any_left() {
        return Ok(out); // pre-TLS 1.2 hellos may omit the block entirely
    }
    let mut block = r
        .sub_u16()
        .ok_or_else(|| format!("{what} extensions block overruns the message"))?;
    if r.any_left() {
        return Err(format!(
            "{what} has {} bytes after its extensions",
            r.left()
        ));
    }
    while block.any_left() {
        let typ = block.u16();
        let data = block.sub_u16();
        let (Some(typ), Some(mut data)) = (typ, data) else {
            return Err(format!("{what} extension list is truncated"));
        };
        out.push((typ, data.rest()));
    }
    Ok(out)
}

/// A list of u16 values filling `r` exactly; `None` on an odd length.
fn u16_list(mut r: Reader<'_>) -> Option<Vec<u16>> {
    if !r.left().is_multiple_of(2) {
        return None;
    }
    let mut out = Vec::with_capacity(r.left() / 2);
    while let Some(v) = r.u16() {
        out.push(v);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello body built by hand: TLS 1.2 legacy version, two suites, SNI, groups,
    /// key_share, supported_versions, ALPN and signature_algorithms.
    fn client_hello_body() -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend([7; 32]);
        b.extend([0]); // session id
        b.extend([0, 4, 0x13, 0x01, 0xc0, 0x2f]);
        b.extend([1, 0]); // null compression
        let mut ext = Vec::new();
        let host = b"mx.example.com";
        ext.extend([0, 0, 0, 19, 0, 17, 0, 0, 14]);
        ext.extend(host);
        ext.extend([0, 10, 0, 6, 0, 4, 0, 0x1d, 0, 0x17]);
        ext.extend([0, 51, 0, 38, 0, 36, 0, 0x1d, 0, 32]);
        ext.extend([9; 32]);
        ext.extend([0, 43, 0, 5, 4, 3, 4, 3, 3]);
        ext.extend([0, 16, 0, 5, 0, 3, 2, b'h', b'2']);
        ext.extend([0, 13, 0, 4, 0, 2, 8, 4]);
        b.extend(u16::try_from(ext.len()).unwrap_or(0).to_be_bytes());
        b.extend(ext);
        b
    }

    #[test]
    fn client_hello_fields() {
        let ch = decode_client_hello(&client_hello_body()).expect("valid hello");
        let i = &ch.info;
        assert_eq!(i.legacy_version, "TLSv1.2");
        assert_eq!(i.versions, ["TLSv1.3", "TLSv1.2"]);
        assert_eq!(ch.versions, [0x0304, 0x0303]);
        assert_eq!(
            i.cipher_suites,
            [
                "TLS_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            ]
        );
        assert_eq!(i.groups, ["X25519", "secp256r1"]);
        assert_eq!(i.key_shares, [("X25519".to_owned(), 32)]);
        assert_eq!(i.sni.as_deref(), Some("mx.example.com"));
        assert_eq!(i.alpn, ["h2"]);
        assert_eq!(i.signature_algorithms, ["RSA_PSS_SHA256"]);
        assert_eq!(
            i.extensions,
            [
                "server_name",
                "supported_groups",
                "key_share",
                "supported_versions",
                "alpn",
                "signature_algorithms"
            ]
        );
        assert_eq!(i.size, client_hello_body().len() + 4);
    }

    #[test]
    fn client_hello_without_extensions_offers_its_legacy_version() {
        let mut b = vec![3, 1];
        b.extend([0; 32]);
        b.extend([0, 0, 2, 0, 0x0a, 1, 0]);
        let ch = decode_client_hello(&b).expect("valid");
        assert_eq!(ch.info.versions, ["TLSv1.0"]);
        assert_eq!(ch.info.cipher_suites, ["TLS_RSA_WITH_3DES_EDE_CBC_SHA"]);
        assert!(ch.info.extensions.is_empty());
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let body = client_hello_body();
        for n in 0..body.len() {
            let cut = body.get(..n).unwrap_or_default();
            // Ending right after compression_methods (43 bytes) is a valid extension-less hello.
            assert_eq!(decode_client_hello(cut).is_ok(), n == 43, "prefix {n}");
            let _ = decode_server_hello(cut);
        }
    }

    fn server_hello_body(random: [u8; 32], exts: &[u8]) -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend(random);
        b.extend([0, 0x13, 0x02, 0]);
        b.extend(u16::try_from(exts.len()).unwrap_or(0).to_be_bytes());
        b.extend(exts);
        b
    }

    #[test]
    fn server_hello_and_retry() {
        let sh = decode_server_hello(&server_hello_body(
            [1; 32],
            &[0, 43, 0, 2, 3, 4, 0, 51, 0, 6, 0, 0x1d, 0, 2, 1, 2],
        ))
        .expect("valid");
        assert!(!sh.retry);
        assert_eq!(sh.info.version, "TLSv1.3");
        assert_eq!(sh.info.cipher_suite, "TLS_AES_256_GCM_SHA384");
        assert_eq!(sh.info.group.as_deref(), Some("X25519"));
        assert_eq!(sh.info.extensions, ["supported_versions", "key_share"]);

        let hrr = decode_server_hello(&server_hello_body(
            HRR_RANDOM,
            &[0, 43, 0, 2, 3, 4, 0, 51, 0, 2, 0, 0x18],
        ))
        .expect("valid");
        assert!(hrr.retry);
        assert_eq!(hrr.group, Some(0x18));
        assert_eq!(hrr.info.group.as_deref(), Some("secp384r1"));
    }

    #[test]
    fn tls12_server_hello_has_no_group() {
        let sh =
            decode_server_hello(&server_hello_body([2; 32], &[0xff, 1, 0, 1, 0])).expect("valid");
        assert_eq!(sh.info.version, "TLSv1.2");
        assert_eq!(sh.group, None);
        assert_eq!(sh.info.extensions, ["renegotiation_info"]);
    }

    #[test]
    fn malformed_extensions_are_named() {
        let mut body = server_hello_body([1; 32], &[0, 43, 0, 1, 3]);
        assert_eq!(
            decode_server_hello(&body),
            Err("ServerHello supported_versions extension is truncated".to_owned())
        );
        body.push(0);
        assert!(
            decode_server_hello(&body).is_err(),
            "trailing byte after extensions"
        );
    }
}
