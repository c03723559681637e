//! A pcapng of one attempt's TCP connection, rebuilt from its events: synthetic Ethernet/IP/
//! TCP frames with the real addresses, ports and times (SYN, SYN-ACK, ACK, every read and
//! write as a segment with consistent seq/ack, the FIN or RST seen at the end), and, when the
//! caller has the key log, a Decryption Secrets Block so Wireshark reads the TLS decrypted.
//!
//! Pure: bytes in, bytes out. The format is `pcap-file`'s, the frames `etherparse`'s.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use etherparse::{PacketBuilder, TcpHeader};
use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::unknown::UnknownBlock;

use crate::event::ConnectionEnd;
use crate::session::Attempt;
use crate::wire::Dir;

/// Decryption Secrets Block (pcapng spec, block type 0x0000000A) ...
const DSB: u32 = 0x0000_000a;
/// ... holding a TLS key log ("TLSK").
const TLS_KEY_LOG: u32 = 0x544c_534b;
/// Largest payload put in one synthetic segment (IPv4 lengths are 16-bit).
const SEGMENT: usize = 16 * 1024;
/// Our side's synthetic initial sequence numbers.
const CLIENT_ISN: u32 = 0x1000_0000;
const SERVER_ISN: u32 = 0x2000_0000;
const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    #[error("attempt #{0} never connected: there is no TCP connection to write")]
    NotConnected(u32),
    #[error(
        "attempt #{0} has no date: it was recorded before recordings kept one, so a pcapng would lie about its times"
    )]
    NoClock(u32),
    #[error("cannot build the pcapng: {0}")]
    Build(String),
}

/// One frame to write: when, which way, TCP flags, payload.
struct Frame<'a> {
    at_us: u64,
    dir: Dir,
    flags: Flags,
    payload: &'a [u8],
}

#[derive(Clone, Copy, Default)]
struct Flags {
    syn: bool,
    ack: bool,
    psh: bool,
    fin: bool,
    rst: bool,
}

/// The pcapng of `a`'s connection; `key_log` (NSS key-log lines) goes into a Decryption
/// Secrets Block when given.
pub fn pcapng(a: &Attempt, key_log: Option<&str>) -> Result<Vec<u8>, PcapError> {
    let (Some(local), Some(peer), Some((connected_us, unix))) = (a.local, a.peer, a.tcp.connected)
    else {
        return Err(PcapError::NotConnected(a.id));
    };
    let unix = unix.ok_or(PcapError::NoClock(a.id))?;
    // Wall clock of the attempt's time zero.
    let epoch_us = unix.saturating_sub(connected_us);
    let build = |e: pcap_file::PcapError| PcapError::Build(e.to_string());
    let mut w =
        PcapNgWriter::with_endianness(Vec::new(), pcap_file::Endianness::Little).map_err(build)?;
    w.write_pcapng_block(InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        // pcap-file writes timestamps in nanoseconds.
        options: vec![InterfaceDescriptionOption::IfTsResol(9)],
    })
    .map_err(build)?;
    if let Some(keys) = key_log.filter(|k| !k.is_empty()) {
        let mut body = Vec::with_capacity(8 + keys.len());
        body.extend(TLS_KEY_LOG.to_le_bytes());
        body.extend(u32::try_from(keys.len()).unwrap_or(u32::MAX).to_le_bytes());
        body.extend(keys.as_bytes());
        let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
        w.write_pcapng_block(UnknownBlock {
            type_: DSB,
            length: len,
            value: Cow::Owned(body),
        })
        .map_err(build)?;
    }
    let mut tcp = Tcp {
        local,
        peer,
        next: [CLIENT_ISN, SERVER_ISN],
    };
    for f in frames(a, connected_us) {
        let data = tcp.frame(&f).map_err(PcapError::Build)?;
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_micros(epoch_us.saturating_add(f.at_us)),
            original_len: len,
            data: Cow::Owned(data),
            options: vec![],
        })
        .map_err(build)?;
    }
    Ok(w.into_inner())
}

/// The frames of the connection, in time order.
fn frames(a: &Attempt, connected_us: u64) -> Vec<Frame<'_>> {
    let none = Flags::default();
    let syn_us = a.tcp.syn_us.unwrap_or(connected_us).min(connected_us);
    let mut out = vec![
        Frame {
            at_us: syn_us,
            dir: Dir::Client,
            flags: Flags { syn: true, ..none },
            payload: &[],
        },
        Frame {
            at_us: connected_us,
            dir: Dir::Server,
            flags: Flags {
                syn: true,
                ack: true,
                ..none
            },
            payload: &[],
        },
        Frame {
            at_us: connected_us,
            dir: Dir::Client,
            flags: Flags { ack: true, ..none },
            payload: &[],
        },
    ];
    for (at_us, dir, bytes) in &a.tcp.data {
        for chunk in bytes.chunks(SEGMENT) {
            out.push(Frame {
                at_us: *at_us,
                dir: *dir,
                flags: Flags {
                    ack: true,
                    psh: true,
                    ..none
                },
                payload: chunk,
            });
        }
    }
    if let Some((how, at_us)) = a.ended {
        let (dir, flags) = match how {
            ConnectionEnd::Fin => (
                Dir::Server,
                Flags {
                    fin: true,
                    ack: true,
                    ..none
                },
            ),
            ConnectionEnd::Rst => (Dir::Server, Flags { rst: true, ..none }),
            // We closed (after QUIT, on a failure, or when we gave up waiting).
            ConnectionEnd::ClosedByUs | ConnectionEnd::Timeout => (
                Dir::Client,
                Flags {
                    fin: true,
                    ack: true,
                    ..none
                },
            ),
        };
        out.push(Frame {
            at_us,
            dir,
            flags,
            payload: &[],
        });
    }
    out
}

/// Both ends' next sequence numbers ([client, server]).
struct Tcp {
    local: SocketAddr,
    peer: SocketAddr,
    next: [u32; 2],
}

impl Tcp {
    fn frame(&mut self, f: &Frame) -> Result<Vec<u8>, String> {
        let (from, to, mac_from, mac_to, me, other) = match f.dir {
            Dir::Client => (self.local, self.peer, CLIENT_MAC, SERVER_MAC, 0, 1),
            Dir::Server => (self.peer, self.local, SERVER_MAC, CLIENT_MAC, 1, 0),
        };
        let mut h = TcpHeader::new(from.port(), to.port(), self.next[me], 65535);
        h.syn = f.flags.syn;
        h.ack = f.flags.ack;
        h.psh = f.flags.psh;
        h.fin = f.flags.fin;
        h.rst = f.flags.rst;
        if h.ack {
            h.acknowledgment_number = self.next[other];
        }
        let used = u32::try_from(f.payload.len()).unwrap_or(u32::MAX)
            + u32::from(f.flags.syn)
            + u32::from(f.flags.fin);
        self.next[me] = self.next[me].wrapping_add(used);
        let eth = PacketBuilder::ethernet2(mac_from, mac_to);
        let ip = match (from.ip(), to.ip()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => eth.ipv4(a.octets(), b.octets(), 64),
            (IpAddr::V6(a), IpAddr::V6(b)) => eth.ipv6(a.octets(), b.octets(), 64),
            _ => return Err(format!("{from} and {to} are not of one address family")),
        };
        let mut out = Vec::new();
        ip.tcp_header(h)
            .write(&mut out, f.payload)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }
}
