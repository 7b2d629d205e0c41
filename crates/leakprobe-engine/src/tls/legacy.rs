//! Does the server still accept TLS 1.0 or TLS 1.1?
//!
//! rustls (like every modern TLS library we could link) cannot speak these versions at all, so
//! this module hand-writes the one message needed: a minimal ClientHello that offers *only* the
//! legacy version and the cipher suites those versions used. The server's first record answers
//! the question: a ServerHello carrying that version means it would go on with the handshake (we
//! hang up right there, nothing is negotiated); an alert means it refused. Only the first bytes of
//! the answer are read, under a timeout, so a hostile or silent server costs at most `timeout`.
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The legacy protocols probed, as `(wire version, name)`; names follow rustls's `TLSv1_2` style.
pub const LEGACY_VERSIONS: [(u16, &str); 2] = [(0x0301, "TLSv1_0"), (0x0302, "TLSv1_1")];

/// Suites a TLS 1.0/1.1 server can pick (no AEAD: that came with TLS 1.2). ECDHE first, then DHE and
/// plain RSA, so both RSA and ECDSA certificates find a match.
const LEGACY_SUITES: [u16; 10] = [
    0xc00a, // ECDHE-ECDSA-AES256-SHA
    0xc009, // ECDHE-ECDSA-AES128-SHA
    0xc014, // ECDHE-RSA-AES256-SHA
    0xc013, // ECDHE-RSA-AES128-SHA
    0x0039, // DHE-RSA-AES256-SHA
    0x0033, // DHE-RSA-AES128-SHA
    0x0035, // AES256-SHA
    0x002f, // AES128-SHA
    0x000a, // DES-CBC3-SHA
    0x0005, // RC4-SHA
];

/// Bytes needed to read the ServerHello's version: record header (5) + handshake type and
/// length (4) + server_version (2).
const NEEDED: usize = 11;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A ServerHello with exactly the offered version.
    Accepted,
    /// An alert, or a ServerHello with another version.
    Refused,
    /// Nothing usable before the timeout (closed connection, garbage, silence).
    NoAnswer,
}

/// Offers only `version` to `host:port` and reports what the server said.
pub async fn probe(host: &str, port: u16, version: u16, timeout: Duration) -> Outcome {
    let exchange = async {
        let mut tcp = TcpStream::connect((host, port)).await.ok()?;
        tcp.write_all(&client_hello(version, sni_name(host))).await.ok()?;
        // At most NEEDED + 512 bytes are ever read, whatever the server sends.
        let mut answer = Vec::with_capacity(64);
        let mut chunk = [0u8; 512];
        while answer.len() < NEEDED {
            let n = tcp.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&chunk[..n]);
        }
        Some(answer)
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Some(answer)) => classify(&answer, version),
        _ => Outcome::NoAnswer,
    }
}

/// Reads the first record of the server's answer.
pub fn classify(answer: &[u8], offered: u16) -> Outcome {
    match answer.first() {
        // Alert record: refused (typically protocol_version or handshake_failure).
        Some(0x15) => Outcome::Refused,
        Some(0x16) if answer.len() >= NEEDED && answer[5] == 0x02 => {
            if u16::from_be_bytes([answer[9], answer[10]]) == offered {
                Outcome::Accepted
            } else {
                Outcome::Refused
            }
        }
        _ => Outcome::NoAnswer,
    }
}

/// SNI carries DNS names only (RFC 6066 §3: never IP literals).
fn sni_name(host: &str) -> Option<&str> {
    (host.parse::<std::net::IpAddr>().is_err() && !host.is_empty()).then_some(host)
}

/// A ClientHello offering only `version`, the legacy suites, no compression, and the extensions a
/// server needs to pick an ECDHE suite (groups, point formats) plus SNI and secure renegotiation.
pub fn client_hello(version: u16, sni: Option<&str>) -> Vec<u8> {
    let mut extensions = Vec::new();
    if let Some(name) = sni {
        let name = name.as_bytes();
        let mut list = vec![0u8]; // name type: host_name
        push_u16(&mut list, name.len());
        list.extend_from_slice(name);
        let mut data = Vec::new();
        push_u16(&mut data, list.len());
        data.extend_from_slice(&list);
        push_extension(&mut extensions, 0x0000, &data);
    }
    // supported_groups: x25519, secp256r1, secp384r1.
    push_extension(&mut extensions, 0x000a, &[0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]);
    // ec_point_formats: uncompressed.
    push_extension(&mut extensions, 0x000b, &[0x01, 0x00]);
    // renegotiation_info, empty: some servers refuse a hello without it.
    push_extension(&mut extensions, 0xff01, &[0x00]);

    let mut body = Vec::new();
    body.extend_from_slice(&version.to_be_bytes());
    body.extend_from_slice(&rand::random::<[u8; 32]>());
    body.push(0); // no session id
    push_u16(&mut body, LEGACY_SUITES.len() * 2);
    for suite in LEGACY_SUITES {
        body.extend_from_slice(&suite.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // compression methods: null only
    push_u16(&mut body, extensions.len());
    body.extend_from_slice(&extensions);

    let mut handshake = vec![0x01]; // client_hello
    let len = u32::try_from(body.len()).unwrap_or(0).to_be_bytes();
    handshake.extend_from_slice(&len[1..]);
    handshake.extend_from_slice(&body);

    // The record layer says TLS 1.0 whatever the hello offers, as real clients do.
    let mut record = vec![0x16, 0x03, 0x01];
    push_u16(&mut record, handshake.len());
    record.extend_from_slice(&handshake);
    record
}

fn push_u16(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes());
}

fn push_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    push_u16(out, data.len());
    out.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_lengths_are_consistent() {
        let hello = client_hello(0x0302, Some("api.example.org"));
        assert_eq!(&hello[..3], &[0x16, 0x03, 0x01]);
        let record_len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
        assert_eq!(record_len, hello.len() - 5);
        assert_eq!(hello[5], 0x01, "handshake type client_hello");
        let hs_len = usize::from(hello[6]) << 16 | usize::from(hello[7]) << 8 | usize::from(hello[8]);
        assert_eq!(hs_len, hello.len() - 9);
        assert_eq!(&hello[9..11], &[0x03, 0x02], "offers exactly TLS 1.1");
        assert!(hello.windows(15).any(|w| w == b"api.example.org"), "SNI carries the host name");
        assert!(!client_hello(0x0301, sni_name("127.0.0.1")).windows(9).any(|w| w == b"127.0.0.1"), "no SNI for IPs");
    }

    #[test]
    fn answers_are_classified_by_their_first_record() {
        let server_hello = [0x16, 0x03, 0x01, 0x00, 0x31, 0x02, 0x00, 0x00, 0x2d, 0x03, 0x01];
        assert_eq!(classify(&server_hello, 0x0301), Outcome::Accepted);
        assert_eq!(classify(&server_hello, 0x0302), Outcome::Refused, "other version");
        assert_eq!(classify(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46], 0x0301), Outcome::Refused);
        assert_eq!(classify(&[], 0x0301), Outcome::NoAnswer);
        assert_eq!(classify(b"HTTP/1.1 400 Bad Request\r\n", 0x0301), Outcome::NoAnswer);
        assert_eq!(classify(&server_hello[..8], 0x0301), Outcome::NoAnswer, "truncated");
    }
}
