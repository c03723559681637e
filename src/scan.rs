//! Hand-built ClientHello probes that map what a server accepts (versions, suites, groups).
