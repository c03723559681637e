//! Placeholder until the wire branch lands.
pub fn version_name(v: u16) -> String {
    format!("{:?}", rustls::ProtocolVersion::from(v))
}
pub fn alert_name(a: u8) -> String {
    format!("{:?}", rustls::AlertDescription::from(a))
}
