//! Whether the configured host is an IP address, decided as libpq 15
//! decides it (`is_ip_address` in `fe-secure-openssl.c`): `inet_aton` for
//! IPv4 — which also reads the old forms `127.1`, `0x7f.0.0.1`, `0177.0.0.1`
//! and `2130706433` — or `inet_pton(AF_INET6, …)` for IPv6.
//!
//! It matters twice (issue #22): for an address, libpq compares the host
//! with the certificate's `iPAddress` SANs (by value, so `127.1` matches
//! `IP:127.0.0.1`) and lets the CN count when there is none, and it sends
//! no SNI. Rust's `IpAddr::from_str` reads dotted quads only, so `127.1`
//! used to be compared as a DNS name.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The address `host` stands for when libpq would take it as one.
pub fn parse(host: &str) -> Option<IpAddr> {
    if let Some(v4) = inet_aton(host) {
        return Some(IpAddr::V4(v4));
    }
    // `inet_pton` for IPv6 reads what RFC 4291 section 2.2 writes (an
    // embedded dotted quad included), as `Ipv6Addr::from_str` does; no
    // brackets, no zone.
    host.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// glibc's `inet_aton` (`resolv/inet_addr.c`): one to four parts separated
/// by dots, each a C number (`0x` hex, leading `0` octal, else decimal);
/// the last part fills the remaining bytes (`a.b` gives `b` 24 bits, `a.b.c`
/// gives `c` 16 bits); the earlier ones are bytes. Whitespace ends the
/// address and what follows it is ignored, as in C.
pub fn inet_aton(text: &str) -> Option<Ipv4Addr> {
    let text = match text.find(|c: char| c.is_ascii_whitespace()) {
        Some(end) => &text[..end],
        None => text,
    };
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let values = parts
        .iter()
        .map(|p| c_number(p))
        .collect::<Option<Vec<u64>>>()?;
    let (last, leading) = values.split_last()?;
    if leading.iter().any(|v| *v > 0xff) {
        return None;
    }
    let last_bits = 32 - 8 * leading.len();
    if *last >= 1u64 << last_bits {
        return None;
    }
    let high = leading.iter().enumerate().fold(0u32, |acc, (i, v)| {
        acc | (u32::try_from(*v).unwrap_or(0) << (24 - 8 * i))
    });
    Some(Ipv4Addr::from(high | u32::try_from(*last).ok()?))
}

/// A number as `strtoul(…, 0)` reads one, when it is the whole part and
/// starts with a digit (`inet_aton` checks `isdigit` first, so no sign and
/// no leading space), at most 32 bits.
fn c_number(part: &str) -> Option<u64> {
    if !part.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix)
        .ok()
        .filter(|v| *v <= 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Option<String> {
        inet_aton(text).map(|a| a.to_string())
    }

    /// The forms glibc's `inet_aton` reads, checked with psql 15 on this
    /// machine against a certificate with `IP:127.0.0.1` (each connects).
    #[test]
    fn the_old_ipv4_forms_read_as_inet_aton_reads_them() {
        for (text, addr) in [
            ("127.0.0.1", "127.0.0.1"),
            ("127.1", "127.0.0.1"),
            ("127.0.1", "127.0.0.1"),
            ("0177.0.0.1", "127.0.0.1"),
            ("0x7f.0.0.1", "127.0.0.1"),
            ("0X7F.1", "127.0.0.1"),
            ("2130706433", "127.0.0.1"),
            ("0x7f000001", "127.0.0.1"),
            ("10.0x10203", "10.1.2.3"),
            ("0", "0.0.0.0"),
            ("1.2.3.4 trailing", "1.2.3.4"),
            ("255.255.255.255", "255.255.255.255"),
        ] {
            assert_eq!(v4(text).as_deref(), Some(addr), "{text}");
        }
        for text in [
            "",
            "localhost",
            "1.2.3.4.5",
            "256.0.0.1",
            "1.2.3.256",
            "1.2.65536",
            "1.16777216",
            "4294967296",
            "08",
            "0x",
            "1..2",
            "1.2.3.",
            ".1.2.3",
            "+1.2.3.4",
            "1.2.3.4x",
            "db1.example",
            "0x1g",
        ] {
            assert_eq!(v4(text), None, "{text}");
        }
    }

    #[test]
    fn ipv6_literals_are_addresses_and_names_are_not() {
        assert_eq!(parse("::1"), Some("::1".parse().unwrap()));
        assert_eq!(
            parse("::ffff:127.0.0.1"),
            Some("::ffff:127.0.0.1".parse().unwrap())
        );
        assert_eq!(parse("127.1"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(parse("[::1]"), None, "no brackets, as inet_pton");
        assert_eq!(parse("fe80::1%lo"), None, "no zone, as inet_pton");
        assert_eq!(parse("db.example"), None);
        assert_eq!(parse("localhost"), None);
    }
}
