//! TLS 1.3 record protection undone (RFC 8446 §5.2, §7.1–7.3): from a traffic secret (as
//! rustls hands it to a `KeyLog`) to the record key and IV, then AEAD-open one record at a
//! time. Key derivation and AEAD are aws-lc-rs's (HKDF, AES-GCM, ChaCha20-Poly1305); the
//! only thing built here is the byte layout of `HkdfLabel` and of the per-record nonce.
//!
//! Pure: no I/O. `tls13` follows a connection's records through it; the engine feeds that
//! the secrets of its own `KeyLog` sink.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::hkdf;

/// The keys of one direction and epoch (handshake or application), with its record counter.
pub struct RecordKeys {
    key: LessSafeKey,
    iv: [u8; 12],
    seq: u64,
}

impl std::fmt::Debug for RecordKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "RecordKeys(seq {})", self.seq)
    }
}

/// A decrypted record: its real content type (22 handshake, 21 alert, 23 application data)
/// and plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub content_type: u8,
    pub plaintext: Vec<u8>,
}

/// Why a record could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("cipher suite 0x{0:04x} is not a TLS 1.3 suite this build can decrypt")]
    UnknownSuite(u16),
    #[error("the traffic secret does not fit the suite's hash")]
    BadSecret,
    #[error("record {0} did not authenticate with these keys")]
    Auth(u64),
    #[error("record {0} has no content type after its padding")]
    Empty(u64),
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label(secret, label, "", len) (RFC 8446 §7.1).
fn expand_label(
    alg: hkdf::Algorithm,
    secret: &[u8],
    label: &[u8],
    len: usize,
) -> Result<Vec<u8>, DecryptError> {
    let prk = hkdf::Prk::new_less_safe(alg, secret);
    let mut info = Vec::with_capacity(10 + label.len());
    info.extend(
        u16::try_from(len)
            .map_err(|_| DecryptError::BadSecret)?
            .to_be_bytes(),
    );
    info.push(u8::try_from(6 + label.len()).map_err(|_| DecryptError::BadSecret)?);
    info.extend(b"tls13 ");
    info.extend(label);
    info.push(0); // empty context
    let mut out = vec![0u8; len];
    prk.expand(&[&info], Len(len))
        .and_then(|okm| okm.fill(&mut out))
        .map_err(|_| DecryptError::BadSecret)?;
    Ok(out)
}

impl RecordKeys {
    /// The keys for `suite` (IANA value) from one traffic secret.
    pub fn new(suite: u16, secret: &[u8]) -> Result<RecordKeys, DecryptError> {
        // (AEAD, HKDF hash, key length, hash length = secret length)
        let (aead_alg, hash, key_len, hash_len) = match suite {
            0x1301 => (&aead::AES_128_GCM, hkdf::HKDF_SHA256, 16, 32),
            0x1302 => (&aead::AES_256_GCM, hkdf::HKDF_SHA384, 32, 48),
            0x1303 => (&aead::CHACHA20_POLY1305, hkdf::HKDF_SHA256, 32, 32),
            other => return Err(DecryptError::UnknownSuite(other)),
        };
        if secret.len() != hash_len {
            return Err(DecryptError::BadSecret);
        }
        let key = expand_label(hash, secret, b"key", key_len)?;
        let iv = expand_label(hash, secret, b"iv", 12)?;
        let key = UnboundKey::new(aead_alg, &key).map_err(|_| DecryptError::BadSecret)?;
        let mut fixed = [0u8; 12];
        fixed.copy_from_slice(&iv);
        Ok(RecordKeys {
            key: LessSafeKey::new(key),
            iv: fixed,
            seq: 0,
        })
    }

    /// Opens the next record of this direction: `header` is its 5-byte record header (the
    /// AEAD's additional data), `payload` the ciphertext with its tag.
    pub fn open(&mut self, header: &[u8; 5], payload: &[u8]) -> Result<Opened, DecryptError> {
        let seq = self.seq;
        self.seq = self.seq.saturating_add(1);
        let mut nonce = self.iv;
        for (n, s) in nonce.iter_mut().skip(4).zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        let mut buf = payload.to_vec();
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(header),
                &mut buf,
            )
            .map_err(|_| DecryptError::Auth(seq))?;
        // TLSInnerPlaintext: content, then the real type, then zero padding.
        let end = plain
            .iter()
            .rposition(|b| *b != 0)
            .ok_or(DecryptError::Empty(seq))?;
        Ok(Opened {
            content_type: plain[end],
            plaintext: plain[..end].to_vec(),
        })
    }
}
