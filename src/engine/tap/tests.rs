//! The tap against in-memory pipes and a loopback socket: bytes pass through untouched, every
//! byte and record is reported within the caps, and the end is reported once.

use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn tap<S>(
    inner: S,
) -> (
    Tap<S>,
    tokio::sync::mpsc::UnboundedReceiver<crate::event::ProbeEvent>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (Tap::new(inner, Ending::new(Emitter::new(1, tx))), rx)
}

fn watching<S>(
    inner: S,
) -> (
    Tap<S>,
    tokio::sync::mpsc::UnboundedReceiver<crate::event::ProbeEvent>,
) {
    let (mut tap, rx) = tap(inner);
    tap.watch_tls(Flight::new(), Secrets::new(), None);
    (tap, rx)
}

#[tokio::test]
async fn a_vectored_write_is_one_segment_and_reports_every_record_it_carries() {
    let (ours, mut theirs) = tokio::io::duplex(1 << 16);
    let (mut tap, mut rx) = watching(ours);
    let ccs = [0x14u8, 0x03, 0x03, 0x00, 0x01, 0x01];
    let alert = [0x15u8, 0x03, 0x03, 0x00, 0x02, 0x02, 0x2a];
    let bufs = [io::IoSlice::new(&ccs), io::IoSlice::new(&alert)];
    let n = tap.write_vectored(&bufs).await.unwrap();
    assert_eq!(n, ccs.len() + alert.len(), "the duplex takes both at once");
    let mut got = vec![0u8; n];
    theirs.read_exact(&mut got).await.unwrap();
    let (mut kinds, mut segments) = (Vec::new(), Vec::new());
    while let Ok(ev) = rx.try_recv() {
        match ev.kind {
            EventKind::TlsRecord { record, .. } => kinds.push(record.content_type),
            EventKind::TcpData { bytes, .. } => segments.push(bytes),
            _ => {}
        }
    }
    assert_eq!(kinds, vec!["change_cipher_spec", "alert"]);
    assert_eq!(segments, vec![[&ccs[..], &alert[..]].concat()]);
}

#[tokio::test]
async fn before_starttls_bytes_are_recorded_but_not_parsed() {
    let (ours, mut theirs) = tokio::io::duplex(1 << 16);
    let (mut tap, mut rx) = tap(ours);
    // A record-shaped line: without the watcher it is only bytes.
    tap.write_all(&[0x14u8, 0x03, 0x03, 0x00, 0x01, 0x01])
        .await
        .unwrap();
    let mut got = [0u8; 6];
    theirs.read_exact(&mut got).await.unwrap();
    let kinds: Vec<EventKind> = std::iter::from_fn(|| rx.try_recv().ok())
        .map(|e| e.kind)
        .collect();
    assert!(
        matches!(&kinds[..], [EventKind::TcpData { .. }]),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn records_are_reported_and_a_flood_is_cut() {
    let (ours, mut theirs) = tokio::io::duplex(1 << 20);
    let (mut tap, mut rx) = watching(ours);
    // A flood of tiny change_cipher_spec records, then FIN.
    let flood = [0x14u8, 0x03, 0x03, 0x00, 0x01, 0x01].repeat(MAX_RECORDS + 500);
    theirs.write_all(&flood).await.unwrap();
    drop(theirs);
    let mut sink = Vec::new();
    tap.read_to_end(&mut sink).await.unwrap();
    assert_eq!(sink.len(), flood.len(), "bytes pass through untouched");
    let mut records = 0;
    let mut notes = 0;
    let mut fin = false;
    while let Ok(ev) = rx.try_recv() {
        match ev.kind {
            EventKind::TlsRecord { .. } => records += 1,
            EventKind::Note { text } if text.contains("TLS records") => notes += 1,
            EventKind::ConnectionEnded { how } => fin = how == ConnectionEnd::Fin,
            _ => {}
        }
    }
    assert_eq!((records, notes), (MAX_RECORDS, 1));
    assert!(fin);
}

#[tokio::test]
async fn every_byte_is_reported_up_to_the_cap() {
    let (ours, mut theirs) = tokio::io::duplex(1 << 20);
    let (mut tap, mut rx) = tap(ours);
    tap.write_all(b"EHLO x\r\n").await.unwrap();
    let flood = vec![b'x'; MAX_TCP_BYTES + 1000];
    theirs.write_all(&flood).await.unwrap();
    drop(theirs);
    let mut sink = Vec::new();
    tap.read_to_end(&mut sink).await.unwrap();
    assert_eq!(sink.len(), flood.len(), "bytes pass through untouched");
    let (mut sent, mut got, mut notes) = (Vec::new(), 0, 0);
    while let Ok(ev) = rx.try_recv() {
        match ev.kind {
            EventKind::TcpData {
                dir: Dir::Client,
                bytes,
            } => sent.extend(bytes),
            EventKind::TcpData { bytes, .. } => got += bytes.len(),
            EventKind::Note { .. } => notes += 1,
            _ => {}
        }
    }
    assert_eq!(sent, b"EHLO x\r\n");
    assert_eq!(got + sent.len(), MAX_TCP_BYTES);
    assert_eq!(notes, 1);
}

/// The first end seen is the one reported: our own close after the server's FIN (or a
/// deadline after it) adds nothing.
#[tokio::test]
async fn the_end_is_reported_once() {
    let (ours, theirs) = tokio::io::duplex(64);
    let (mut tap, mut rx) = tap(ours);
    let ending = tap.ending().clone();
    drop(theirs);
    let mut sink = Vec::new();
    tap.read_to_end(&mut sink).await.unwrap();
    tap.closed_by_us();
    ending.report(ConnectionEnd::Timeout);
    let ends: Vec<ConnectionEnd> = std::iter::from_fn(|| rx.try_recv().ok())
        .filter_map(|e| match e.kind {
            EventKind::ConnectionEnded { how } => Some(how),
            _ => None,
        })
        .collect();
    assert_eq!(ends, vec![ConnectionEnd::Fin]);
}

#[test]
fn reads_and_writes_tell_fin_from_rst() {
    use io::ErrorKind as K;
    assert_eq!(read_end(Ok(0)), Some(ConnectionEnd::Fin));
    assert_eq!(read_end(Ok(5)), None);
    assert_eq!(
        read_end(Err(&io::Error::from(K::ConnectionReset))),
        Some(ConnectionEnd::Rst)
    );
    assert_eq!(read_end(Err(&io::Error::from(K::BrokenPipe))), None);
    assert_eq!(
        write_end(&io::Error::from(K::BrokenPipe)),
        Some(ConnectionEnd::Rst)
    );
    assert_eq!(write_end(&io::Error::from(K::WouldBlock)), None);
}

/// After each read the socket is out of delayed-ACK ("pingpong") mode, so the ACK for
/// what we read leaves at once: the server's next segment never waits on our delayed ACK
/// behind its Nagle (see `net::connect::AckNow`). The peer is a plain loopback socket.
/// The test forces the mode the kernel enters on its own in a dialogue (TCP_QUICKACK 0),
/// then reads; without the re-arm the socket stays in it (unless the 40 ms delayed-ACK
/// timer fires first and leaves it, which would make this pass without the fix, never
/// fail with it).
#[tokio::test]
async fn every_read_leaves_delayed_ack_mode() {
    use socket2::SockRef;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, server) = tokio::join!(tokio::net::TcpStream::connect(addr), async {
        listener.accept().await.unwrap().0
    });
    let mut server = server;
    let (mut tap, _rx) = tap(client.unwrap());
    let mut buf = [0u8; 64];
    for round in 0..3 {
        SockRef::from(tap.get_ref())
            .set_tcp_quickack(false)
            .unwrap();
        assert!(!SockRef::from(tap.get_ref()).tcp_quickack().unwrap());
        server.write_all(b"250 ok\r\n").await.unwrap();
        let n = tap.read(&mut buf).await.unwrap();
        assert!(n > 0);
        assert!(
            SockRef::from(tap.get_ref()).tcp_quickack().unwrap(),
            "round {round}: still in delayed-ACK mode after a read"
        );
        tap.write_all(b"NOOP\r\n").await.unwrap();
        let mut got = [0u8; 6];
        server.read_exact(&mut got).await.unwrap();
    }
}
