//! What decides whether a sender may use this server at all: DANE/TLSA (RFC 7672), MTA-STS
//! (RFC 8461) and TLS-RPT (RFC 8460). Everything here is pure: the engine does the lookups
//! and reports them as events; these modules parse what was found and judge it against the
//! chain the server actually sent.

pub mod mta_sts;
pub mod tls_rpt;
pub mod tlsa;
