//! Sender profiles: the ClientHello that each real sending MTA sends by default (Postfix on
//! OpenSSL 3.0 and 3.5, Exim on GnuTLS, Exchange Online, Gmail, tlsdive's own rustls), sent
//! by the scanner over the same SMTP dialogue, so the report can say which senders this
//! server accepts — "rustls cannot agree" is not the question during a bounce; "can our
//! Postfix, or the partner's Exchange Online?" is.
//!
//! Files: `profile` (the data and its checks; the profiles themselves are
//! `assets/senders/*.toml`), `build` (the bytes), `ja4` (fingerprint and field split),
//! `run` (one connection per profile, and the verdict), `judge` (each sender's library
//! rules and the session's facts after the hello).

pub mod build;
pub mod ja4;
pub mod judge;
pub mod profile;
pub mod run;

pub use profile::{ProfileError, SenderProfile, builtin, load_file};
pub use run::{run_senders, verdict};

pub use crate::profile::sender::SenderResult;
