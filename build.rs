//! Build script: records the versions of the TLS stack tlsdive is built with (from
//! Cargo.lock), so `tlsdive --version` can say which rustls and aws-lc-rs speak, which
//! matters when its findings are compared with openssl's or GnuTLS's.

fn main() {
    println!("cargo::rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let lock: toml::Table = lock.parse().unwrap_or_default();
    let packages = lock
        .get("package")
        .and_then(|p| p.as_array())
        .cloned()
        .unwrap_or_default();
    for (krate, var) in [
        ("rustls", "TLSDIVE_RUSTLS_VERSION"),
        ("aws-lc-rs", "TLSDIVE_AWS_LC_RS_VERSION"),
    ] {
        let version = packages
            .iter()
            .find(|p| p.get("name").and_then(|n| n.as_str()) == Some(krate))
            .and_then(|p| p.get("version"))
            .and_then(|v| v.as_str())
            .unwrap_or("unknown");
        println!("cargo::rustc-env={var}={version}");
    }
}
