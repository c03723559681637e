//! Failure details of many reports, grouped: one group per policy domain, policy type,
//! receiving MX (and address), result type and reporting organisation, with the failed
//! session count summed and the dates the reports cover. This is what gets re-probed.

use std::collections::{BTreeMap, BTreeSet};

use super::report::{PolicyType, Report, ResultType};

/// Sending addresses kept per group: a sample, the count says how many there were.
pub const MAX_SENDERS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupKey {
    /// Lower case, without a trailing dot.
    pub policy_domain: String,
    pub policy_type: PolicyType,
    /// The receiving MX the reporter named (lower case, no trailing dot), if it did.
    pub receiving_mx: Option<String>,
    pub receiving_ip: Option<String>,
    /// `None`: the report counts failures for the policy but details none.
    pub result_type: Option<ResultType>,
    pub organization: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: GroupKey,
    pub failed_sessions: u64,
    /// Successful sessions the same reports counted for the same policy (once per report).
    pub successful_sessions: u64,
    pub reports: u32,
    /// Earliest start and latest end of the reports' date ranges (RFC 3339 text as sent).
    pub first: String,
    pub last: String,
    /// The policy's `mx-host` patterns as reported (MTA-STS).
    pub mx_patterns: Vec<String>,
    pub sending_ips: BTreeSet<String>,
    pub sending_ips_more: u64,
    /// The first `additional-information` or `failure-reason-code` seen.
    pub note: Option<String>,
}

/// Group every failure of `reports`. With `only`, policies of other domains are left out
/// and named in the second value (nothing is probed that was not asked about).
pub fn group(reports: &[Report], only: Option<&str>) -> (Vec<Group>, BTreeSet<String>) {
    let only = only.map(norm);
    let mut groups: BTreeMap<GroupKey, Group> = BTreeMap::new();
    let mut others = BTreeSet::new();
    for r in reports {
        let org = r.organization_name.trim().to_string();
        for p in &r.policies {
            let domain = norm(&p.policy.policy_domain);
            if only.as_ref().is_some_and(|o| *o != domain) {
                others.insert(domain);
                continue;
            }
            let mut details: Vec<_> = p
                .failure_details
                .iter()
                .map(|f| {
                    let key = GroupKey {
                        policy_domain: domain.clone(),
                        policy_type: p.policy.policy_type.clone(),
                        receiving_mx: f.receiving_mx_hostname.as_deref().map(norm),
                        receiving_ip: f.receiving_ip.clone(),
                        result_type: Some(f.result_type.clone()),
                        organization: org.clone(),
                    };
                    let note = f
                        .additional_information
                        .clone()
                        .or_else(|| f.failure_reason_code.clone());
                    (key, f.failed_session_count, f.sending_mta_ip.clone(), note)
                })
                .collect();
            if details.is_empty() && p.summary.total_failure_session_count > 0 {
                let key = GroupKey {
                    policy_domain: domain.clone(),
                    policy_type: p.policy.policy_type.clone(),
                    receiving_mx: None,
                    receiving_ip: None,
                    result_type: None,
                    organization: org.clone(),
                };
                details.push((key, p.summary.total_failure_session_count, None, None));
            }
            // One report counts once per group, however many of its details fall in it.
            let mut counted = BTreeSet::new();
            for (key, failed, sender, note) in details {
                let g = groups.entry(key.clone()).or_insert_with(|| Group {
                    key: key.clone(),
                    failed_sessions: 0,
                    successful_sessions: 0,
                    reports: 0,
                    first: r.date_range.start_datetime.clone(),
                    last: r.date_range.end_datetime.clone(),
                    mx_patterns: p.policy.mx_host.clone(),
                    sending_ips: BTreeSet::new(),
                    sending_ips_more: 0,
                    note: None,
                });
                g.failed_sessions = g.failed_sessions.saturating_add(failed);
                if counted.insert(key) {
                    g.reports = g.reports.saturating_add(1);
                    g.successful_sessions = g
                        .successful_sessions
                        .saturating_add(p.summary.total_successful_session_count);
                    // RFC 3339 in UTC sorts as text.
                    if r.date_range.start_datetime < g.first {
                        g.first = r.date_range.start_datetime.clone();
                    }
                    if r.date_range.end_datetime > g.last {
                        g.last = r.date_range.end_datetime.clone();
                    }
                }
                if let Some(ip) = sender
                    && !g.sending_ips.contains(&ip)
                {
                    if g.sending_ips.len() < MAX_SENDERS {
                        g.sending_ips.insert(ip);
                    } else {
                        g.sending_ips_more += 1;
                    }
                }
                if g.note.is_none() {
                    g.note = note;
                }
            }
        }
    }
    let mut out: Vec<Group> = groups.into_values().collect();
    // Most failed sessions first: what hurts most is probed first.
    out.sort_by(|a, b| {
        b.failed_sessions
            .cmp(&a.failed_sessions)
            .then_with(|| a.key.cmp(&b.key))
    });
    (out, others)
}

fn norm(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlsrpt::report::{DateRange, FailureDetail, Policy, PolicyReport, Summary};

    fn detail(rt: ResultType, mx: &str, n: u64, ip: &str) -> FailureDetail {
        FailureDetail {
            result_type: rt,
            sending_mta_ip: Some(ip.into()),
            receiving_mx_hostname: Some(mx.into()),
            receiving_mx_helo: None,
            receiving_ip: None,
            failed_session_count: n,
            additional_information: None,
            failure_reason_code: None,
        }
    }

    fn report(org: &str, day: &str, domain: &str, details: Vec<FailureDetail>) -> Report {
        Report {
            organization_name: org.into(),
            date_range: DateRange {
                start_datetime: format!("{day}T00:00:00Z"),
                end_datetime: format!("{day}T23:59:59Z"),
            },
            contact_info: None,
            report_id: None,
            policies: vec![PolicyReport {
                policy: Policy {
                    policy_type: PolicyType::Sts,
                    policy_string: vec![],
                    policy_domain: domain.into(),
                    mx_host: vec!["mx.a.test".into()],
                },
                summary: Summary {
                    total_successful_session_count: 100,
                    total_failure_session_count: 0,
                },
                failure_details: details,
            }],
        }
    }

    #[test]
    fn same_mx_result_and_reporter_add_up_over_days() {
        let reports = [
            report(
                "Google",
                "2026-11-29",
                "A.test.",
                vec![
                    detail(ResultType::CertificateExpired, "MX.a.test", 5, "192.0.2.1"),
                    detail(ResultType::CertificateExpired, "mx.a.test.", 2, "192.0.2.2"),
                    detail(
                        ResultType::StarttlsNotSupported,
                        "mx2.a.test",
                        1,
                        "192.0.2.1",
                    ),
                ],
            ),
            report(
                "Google",
                "2026-11-30",
                "a.test",
                vec![detail(
                    ResultType::CertificateExpired,
                    "mx.a.test",
                    4,
                    "192.0.2.1",
                )],
            ),
            report(
                "Microsoft",
                "2026-11-30",
                "a.test",
                vec![detail(
                    ResultType::CertificateExpired,
                    "mx.a.test",
                    1,
                    "198.51.100.1",
                )],
            ),
            report(
                "Google",
                "2026-11-30",
                "other.test",
                vec![detail(
                    ResultType::DaneRequired,
                    "mx.other.test",
                    9,
                    "192.0.2.1",
                )],
            ),
        ];
        let (groups, others) = group(&reports, Some("a.test"));
        assert_eq!(others, BTreeSet::from(["other.test".to_string()]));
        let g = &groups[0];
        assert_eq!(g.key.policy_domain, "a.test");
        assert_eq!(g.key.receiving_mx.as_deref(), Some("mx.a.test"));
        assert_eq!(g.key.organization, "Google");
        assert_eq!(g.failed_sessions, 11);
        assert_eq!(g.reports, 2);
        assert_eq!(g.successful_sessions, 200);
        assert_eq!(
            (g.first.as_str(), g.last.as_str()),
            ("2026-11-29T00:00:00Z", "2026-11-30T23:59:59Z")
        );
        assert_eq!(g.sending_ips.len(), 2);
        assert_eq!(groups.len(), 3, "{groups:#?}");
        let (all, none) = group(&reports, None);
        assert_eq!(all.len(), 4);
        assert!(none.is_empty());
    }

    #[test]
    fn failures_counted_without_details_still_make_a_group() {
        let mut r = report("X", "2026-11-30", "a.test", vec![]);
        r.policies[0].summary.total_failure_session_count = 7;
        let (groups, _) = group(&[r], None);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].key.result_type, None);
        assert_eq!(groups[0].failed_sessions, 7);
    }
}
