//! `verify-full`'s host name check, with libpq's rules and words
//! (`fe-secure-common.c` and `pgtls_verify_peer_name_matches_certificate_guts`
//! in `fe-secure-openssl.c`), not webpki's:
//!
//! - every SAN `dNSName` and `iPAddress` is compared with the host, in order,
//!   until one matches;
//! - the subject CN is compared only when the certificate has no SAN of the
//!   host's kind (`dNSName` for a name, `iPAddress` for an address) — so the
//!   PostgreSQL manual's `-subj "/CN=dbhost"` certificate, which has no SAN,
//!   is checked against its CN, as libpq does (webpki never reads the CN);
//! - names compare ASCII case-insensitively; a wildcard is only a leading
//!   `*.`, and the `*` stands for exactly one label (`*.example.com` matches
//!   `db.example.com`, not `example.com` nor `a.db.example.com`);
//! - a mismatch names the first name examined and how many others there
//!   were: `server certificate for "a" (and 2 other names) does not match
//!   host name "b"`.
//!
//! The host is compared as given in the settings (before any DNS lookup), as
//! libpq compares `host`; whether it is an address is decided as libpq
//! decides it ([`super::host_address`]: `inet_aton`'s forms such as `127.1`
//! are addresses), and an address is compared with `iPAddress` SANs by value.

use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use super::host_address;

/// Why the certificate does not prove `host`, in libpq's words; `Ok` when it does.
pub fn check(cert: &X509Certificate<'_>, host: &str) -> Result<(), String> {
    let host_ip: Option<IpAddr> = host_address::parse(host);
    let mut examined = 0usize;
    let mut first: Option<String> = None;
    let mut check_cn = true;
    let mut note = |name: String, first: &mut Option<String>| {
        examined += 1;
        first.get_or_insert(name);
    };
    // A certificate with two SAN extensions is malformed; OpenSSL's
    // `X509_get_ext_d2i` then finds none, so neither does this.
    let sans = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| ext.value.general_names.clone())
        .unwrap_or_default();
    for san in &sans {
        let outcome = match san {
            GeneralName::DNSName(name) => {
                if host_ip.is_none() {
                    check_cn = false;
                }
                let outcome = name_matches(name.as_bytes(), host);
                if let Ok(shown) = &outcome {
                    note(shown.1.clone(), &mut first);
                }
                outcome.map(|(m, _)| m)
            }
            GeneralName::IPAddress(bytes) => {
                if host_ip.is_some() {
                    check_cn = false;
                }
                let outcome = ip_matches(bytes, host_ip);
                if let Ok(shown) = &outcome {
                    note(shown.1.clone(), &mut first);
                }
                outcome.map(|(m, _)| m)
            }
            _ => continue,
        };
        match outcome {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => return Err(e),
        }
    }
    if check_cn {
        // libpq reads the first CN only (`X509_NAME_get_index_by_NID(…, -1)`).
        if let Some(cn) = cert.subject().iter_common_name().next() {
            let (matched, shown) = name_matches(cn.attr_value().data, host)?;
            if matched {
                return Ok(());
            }
            note(shown, &mut first);
        }
    }
    Err(mismatch(first.as_deref(), examined, host))
}

/// libpq's sentence for a certificate that names other hosts.
fn mismatch(first: Option<&str>, examined: usize, host: &str) -> String {
    match (first, examined) {
        (Some(first), 1) => {
            format!("server certificate for \"{first}\" does not match host name \"{host}\"")
        }
        (Some(first), n) if n > 1 => {
            let others = n - 1;
            let noun = if others == 1 { "name" } else { "names" };
            format!(
                "server certificate for \"{first}\" (and {others} other {noun}) does not match host name \"{host}\""
            )
        }
        _ => "could not get server's host name from server certificate".to_owned(),
    }
}

/// Whether a certificate name (DNS SAN or CN, raw bytes) matches `host`,
/// and the name as shown in messages. An embedded NUL is an error
/// (CVE-2009-4034), as in libpq.
fn name_matches(name: &[u8], host: &str) -> Result<(bool, String), String> {
    if name.contains(&0) {
        return Err("SSL certificate's name contains embedded null".to_owned());
    }
    let matched =
        name.eq_ignore_ascii_case(host.as_bytes()) || wildcard_matches(name, host.as_bytes());
    Ok((matched, String::from_utf8_lossy(name).into_owned()))
}

/// libpq's `wildcard_certificate_match`: `*.` then a suffix that ends the
/// host, with no dot in the part the `*` stands for.
fn wildcard_matches(pattern: &[u8], host: &[u8]) -> bool {
    if pattern.len() < 3 || !pattern.starts_with(b"*.") || pattern.len() > host.len() {
        return false;
    }
    let suffix = &pattern[1..];
    let cut = host.len() - suffix.len();
    host[cut..].eq_ignore_ascii_case(suffix) && !host[..cut].contains(&b'.')
}

/// Whether an `iPAddress` SAN equals the host (when the host is an address),
/// and the address as shown. A length other than 4 or 16 is an error.
fn ip_matches(bytes: &[u8], host: Option<IpAddr>) -> Result<(bool, String), String> {
    let addr = match bytes.len() {
        4 => {
            let mut b = [0u8; 4];
            b.copy_from_slice(bytes);
            IpAddr::from(b)
        }
        16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(bytes);
            IpAddr::from(b)
        }
        n => {
            return Err(format!(
                "certificate contains IP address with invalid length {n}"
            ));
        }
    };
    Ok((host == Some(addr), addr.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};
    use x509_parser::prelude::FromDer;

    /// A self-signed certificate with this CN (if any) and these SANs.
    fn cert(cn: Option<&str>, sans: Vec<SanType>) -> Vec<u8> {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = cn {
            params.distinguished_name.push(DnType::CommonName, cn);
        }
        params.subject_alt_names = sans;
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    fn check_der(der: &[u8], host: &str) -> Result<(), String> {
        let (_, parsed) = X509Certificate::from_der(der).unwrap();
        check(&parsed, host)
    }

    fn dns(name: &str) -> SanType {
        SanType::DnsName(name.try_into().unwrap())
    }

    #[test]
    fn the_cn_is_used_when_there_is_no_san() {
        let der = cert(Some("dbhost"), vec![]);
        assert_eq!(check_der(&der, "dbhost"), Ok(()));
        assert_eq!(check_der(&der, "DBHOST"), Ok(()), "case-insensitive");
        assert_eq!(
            check_der(&der, "other"),
            Err(r#"server certificate for "dbhost" does not match host name "other""#.into())
        );
        // An address host falls back to the CN too (no iPAddress SAN).
        let der = cert(Some("127.0.0.1"), vec![]);
        assert_eq!(check_der(&der, "127.0.0.1"), Ok(()));
    }

    #[test]
    fn a_dns_san_hides_the_cn_for_names_but_not_for_addresses() {
        let der = cert(Some("cn.example"), vec![dns("db.example")]);
        assert_eq!(check_der(&der, "db.example"), Ok(()));
        assert_eq!(
            check_der(&der, "cn.example"),
            Err(
                r#"server certificate for "db.example" does not match host name "cn.example""#
                    .into()
            )
        );
        // libpq's exception: an IP host may still match the CN when the
        // certificate has no iPAddress SAN, even with dNSName SANs.
        let der = cert(Some("10.0.0.5"), vec![dns("db.example")]);
        assert_eq!(check_der(&der, "10.0.0.5"), Ok(()));
    }

    #[test]
    fn ip_sans_match_addresses_and_are_counted_in_the_message() {
        let der = cert(
            Some("ignored"),
            vec![
                dns("localhost"),
                SanType::IpAddress("127.0.0.1".parse().unwrap()),
                SanType::IpAddress("::1".parse().unwrap()),
            ],
        );
        assert_eq!(check_der(&der, "127.0.0.1"), Ok(()));
        assert_eq!(check_der(&der, "::1"), Ok(()));
        assert_eq!(
            check_der(&der, "127.0.0.2"),
            Err(
                r#"server certificate for "localhost" (and 2 other names) does not match host name "127.0.0.2""#
                    .into()
            ),
            "the CN is not examined: there is an iPAddress SAN"
        );
        let two = cert(None, vec![dns("a.example"), dns("b.example")]);
        assert_eq!(
            check_der(&two, "c.example"),
            Err(
                r#"server certificate for "a.example" (and 1 other name) does not match host name "c.example""#
                    .into()
            )
        );
    }

    /// Issue #22: libpq 15 takes `inet_aton`'s forms for addresses, so
    /// they match an `iPAddress` SAN by value, and its message shows the
    /// host as written. (Checked with psql 15: `127.1`, `127.0.1` and
    /// `0177.0.0.1` connect to a server whose certificate has
    /// `IP:127.0.0.1`; against `CN=localhost` alone, `127.1` and
    /// `2130706433` are refused with these sentences.)
    #[test]
    fn old_ipv4_forms_and_ipv6_literals_are_addresses() {
        let der = cert(
            Some("ignored"),
            vec![
                dns("localhost"),
                SanType::IpAddress("127.0.0.1".parse().unwrap()),
                SanType::IpAddress("::1".parse().unwrap()),
            ],
        );
        for host in ["127.1", "127.0.1", "0177.0.0.1", "0x7f.0.0.1", "2130706433"] {
            assert_eq!(check_der(&der, host), Ok(()), "{host}");
        }
        assert_eq!(check_der(&der, "0:0::1"), Ok(()));
        assert_eq!(check_der(&der, "::ffff:127.0.0.1"), Err(
            r#"server certificate for "localhost" (and 2 other names) does not match host name "::ffff:127.0.0.1""#.into()
        ), "an IPv4-mapped IPv6 address is not the IPv4 SAN (memcmp of 16 bytes)");
        assert_eq!(
            check_der(&der, "127.2"),
            Err(
                r#"server certificate for "localhost" (and 2 other names) does not match host name "127.2""#
                    .into()
            )
        );
        let cn_only = cert(Some("localhost"), vec![]);
        for host in ["127.1", "2130706433"] {
            assert_eq!(
                check_der(&cn_only, host),
                Err(format!(
                    r#"server certificate for "localhost" does not match host name "{host}""#
                )),
            );
        }
        // An address host still falls back to the CN next to dNSName SANs,
        // and the CN is compared as text.
        let cn_ip = cert(Some("127.0.0.1"), vec![dns("db.example")]);
        assert_eq!(check_der(&cn_ip, "127.0.0.1"), Ok(()));
        assert!(check_der(&cn_ip, "127.1").is_err());
    }

    #[test]
    fn wildcards_stand_for_one_leading_label() {
        let der = cert(None, vec![dns("*.example.com")]);
        assert_eq!(check_der(&der, "db.example.com"), Ok(()));
        assert_eq!(check_der(&der, "DB.Example.COM"), Ok(()));
        assert!(check_der(&der, "example.com").is_err());
        assert!(check_der(&der, "a.db.example.com").is_err());
        assert!(check_der(&der, ".example.com").is_err());
        assert!(!wildcard_matches(b"db*.example.com", b"db1.example.com"));
        assert!(!wildcard_matches(b"*", b"x"));
    }

    #[test]
    fn no_name_at_all_and_embedded_nul() {
        let der = cert(None, vec![]);
        assert_eq!(
            check_der(&der, "db"),
            Err("could not get server's host name from server certificate".into())
        );
        assert_eq!(
            name_matches(b"db\0.evil.example", "db"),
            Err("SSL certificate's name contains embedded null".into())
        );
        assert_eq!(
            ip_matches(&[1, 2, 3], None),
            Err("certificate contains IP address with invalid length 3".into())
        );
    }
}
