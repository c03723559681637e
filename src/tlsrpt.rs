//! SMTP TLS reports (RFC 8460) as the receiving side gets them: the report model, reading a
//! report out of whatever it arrived in (plain JSON, gzip, a mail message, an mbox), and the
//! failure details grouped by receiving MX, result type and reporting organisation. Pure:
//! bytes in, data out; bounded in size and count whatever the input claims.

pub mod group;
pub mod read;
pub mod report;

pub use group::{Group, GroupKey, group};
pub use read::{Limits, ReadError, reports_in};
pub use report::{FailureDetail, PolicyType, Report, ResultType};
