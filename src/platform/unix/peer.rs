//! Who owns the other end of a loopback TCP connection, on Unix.
//!
//! Linux: one `sock_diag` netlink request (`SOCK_DIAG_BY_FAMILY` with an
//! `inet_diag_req_v2` naming the exact 4-tuple of the *client's* socket), the
//! kernel's answer carrying that socket's `idiag_uid`. It is what `ss -tep`
//! does, needs no privilege, and costs one socket and two system calls,
//! whatever the number of sockets on the machine.
//!
//! The simple alternative, parsing `/proc/net/tcp` and `/proc/net/tcp6`
//! (the `uid` column of the row whose `local_address` is the client's), reads
//! and formats every socket of the network namespace on each lookup: its
//! cost grows with the machine's connections (thousands on a busy developer
//! machine or CI runner), and the kernel builds that text under the socket
//! table's locks. The netlink lookup is a hash lookup in the kernel; it is
//! the one kept.
//!
//! macOS (and the BSDs) have no public per-socket owner lookup for a TCP
//! peer: `LOCAL_PEERPID`/`LOCAL_PEERCRED` work on Unix sockets only, and
//! finding the process holding the client end means walking every process's
//! file table (`proc_pidinfo(PROC_PIDLISTFDS)` + `proc_pidfdinfo(
//! PROC_PIDFDSOCKETINFO)`, as `lsof` does), which a later change can fill
//! in here. Until then the lookup is [`PeerOwnerError::Unsupported`], and the
//! same-user rule fails closed: turn it off there with
//! `TASKFLOW_SAME_USER_ONLY=false` (and use a token).

use std::net::SocketAddr;

use super::OwnerId;
use crate::platform::PeerOwnerError;

#[cfg(target_os = "linux")]
pub fn peer_owner(local: SocketAddr, remote: SocketAddr) -> Result<OwnerId, PeerOwnerError> {
    linux::peer_owner(local, remote)
}

#[cfg(not(target_os = "linux"))]
pub fn peer_owner(_local: SocketAddr, _remote: SocketAddr) -> Result<OwnerId, PeerOwnerError> {
    Err(PeerOwnerError::Unsupported)
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io;
    use std::net::{IpAddr, SocketAddr};
    use std::os::fd::AsRawFd;

    use nix::sys::socket::{
        AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, recv, sendto,
        socket,
    };

    use super::OwnerId;
    use crate::platform::PeerOwnerError;

    /// `SOCK_DIAG_BY_FAMILY` (linux/sock_diag.h).
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    /// `NLMSG_ERROR` (linux/netlink.h).
    const NLMSG_ERROR: u16 = 2;
    /// `NLM_F_REQUEST`: a plain request, not a dump: the kernel looks the
    /// exact 4-tuple up in its hash table.
    const NLM_F_REQUEST: u16 = 1;
    /// `INET_DIAG_NOCOOKIE`: match the socket by address alone.
    const NO_COOKIE: u32 = u32::MAX;
    /// `struct nlmsghdr`.
    const NLMSG_HDR: usize = 16;
    /// `struct inet_diag_req_v2`: family, protocol, ext, pad, states, id.
    const REQ_LEN: usize = 8 + SOCKID_LEN;
    /// `struct inet_diag_sockid`: sport, dport, src[4], dst[4], if, cookie[2].
    const SOCKID_LEN: usize = 4 + 16 + 16 + 4 + 8;
    /// Where `idiag_uid` sits in `struct inet_diag_msg`: family, state,
    /// timer, retrans, id, expires, rqueue, wqueue, then uid.
    const UID_AT: usize = 4 + SOCKID_LEN + 12;

    pub fn peer_owner(local: SocketAddr, remote: SocketAddr) -> Result<OwnerId, PeerOwnerError> {
        let request = request(local, remote);
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Datagram,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkSockDiag,
        )
        .map_err(io::Error::from)?;
        sendto(
            fd.as_raw_fd(),
            &request,
            &NetlinkAddr::new(0, 0),
            MsgFlags::empty(),
        )
        .map_err(io::Error::from)?;
        // The kernel answers while handling the send, so the reply is
        // already queued: never wait (a missing reply is an error, refused).
        let mut reply = [0u8; 512];
        let n =
            recv(fd.as_raw_fd(), &mut reply, MsgFlags::MSG_DONTWAIT).map_err(io::Error::from)?;
        parse_reply(&reply[..n.min(reply.len())])
    }

    /// The request for the client's socket: its source is the connection's
    /// `remote` end and its destination our `local` one. An IPv4 client of a
    /// dual-stack listener shows as `::ffff:a.b.c.d`, but its socket is
    /// AF_INET: both ends are canonicalised first.
    fn request(local: SocketAddr, remote: SocketAddr) -> Vec<u8> {
        let (src, dst) = (remote.ip().to_canonical(), local.ip().to_canonical());
        let family = if src.is_ipv4() && dst.is_ipv4() {
            libc_af::INET
        } else {
            libc_af::INET6
        };
        let total = NLMSG_HDR + REQ_LEN;
        let mut b = Vec::with_capacity(total);
        // nlmsghdr (host byte order).
        b.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_ne_bytes());
        b.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        b.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
        b.extend_from_slice(&1u32.to_ne_bytes()); // seq
        b.extend_from_slice(&0u32.to_ne_bytes()); // pid: the kernel fills it in
        // inet_diag_req_v2.
        b.push(family);
        b.push(libc_af::IPPROTO_TCP);
        b.push(0); // no extensions
        b.push(0); // pad
        b.extend_from_slice(&u32::MAX.to_ne_bytes()); // any TCP state
        // inet_diag_sockid: ports and addresses in network byte order.
        b.extend_from_slice(&remote.port().to_be_bytes());
        b.extend_from_slice(&local.port().to_be_bytes());
        b.extend_from_slice(&address(src));
        b.extend_from_slice(&address(dst));
        b.extend_from_slice(&0u32.to_ne_bytes()); // any interface
        b.extend_from_slice(&NO_COOKIE.to_ne_bytes());
        b.extend_from_slice(&NO_COOKIE.to_ne_bytes());
        b
    }

    /// An address as the sockid's 16 bytes: IPv4 in the first four.
    fn address(ip: IpAddr) -> [u8; 16] {
        match ip {
            IpAddr::V4(v4) => {
                let mut a = [0u8; 16];
                a[..4].copy_from_slice(&v4.octets());
                a
            }
            IpAddr::V6(v6) => v6.octets(),
        }
    }

    /// The owner from one reply message: an `inet_diag_msg`, or an
    /// `NLMSG_ERROR` carrying `-errno` (`ENOENT`: no such socket).
    fn parse_reply(reply: &[u8]) -> Result<OwnerId, PeerOwnerError> {
        let short = || PeerOwnerError::Io(io::Error::other("short sock_diag reply"));
        let u16_at = |at: usize| -> Option<u16> {
            Some(u16::from_ne_bytes(reply.get(at..at + 2)?.try_into().ok()?))
        };
        let u32_at = |at: usize| -> Option<u32> {
            Some(u32::from_ne_bytes(reply.get(at..at + 4)?.try_into().ok()?))
        };
        let kind = u16_at(4).ok_or_else(short)?;
        if kind == NLMSG_ERROR {
            let errno = u32_at(NLMSG_HDR).ok_or_else(short)? as i32;
            return Err(match -errno {
                libc_af::ENOENT => PeerOwnerError::NotFound,
                0 => PeerOwnerError::NotFound,
                e => PeerOwnerError::Io(io::Error::from_raw_os_error(e)),
            });
        }
        if kind != SOCK_DIAG_BY_FAMILY {
            return Err(PeerOwnerError::Io(io::Error::other(format!(
                "unexpected sock_diag reply type {kind}"
            ))));
        }
        u32_at(NLMSG_HDR + UID_AT).map(OwnerId).ok_or_else(short)
    }

    /// The few C constants used, from `nix`'s re-export of `libc`.
    mod libc_af {
        use nix::libc;
        pub const INET: u8 = libc::AF_INET as u8;
        pub const INET6: u8 = libc::AF_INET6 as u8;
        pub const IPPROTO_TCP: u8 = libc::IPPROTO_TCP as u8;
        pub const ENOENT: i32 = libc::ENOENT;
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// Both ends of a real loopback connection belong to this process,
        /// so the client end's owner is our own uid; a 4-tuple that is not
        /// a socket is NotFound.
        #[test]
        fn finds_the_owner_of_a_loopback_client_socket() {
            for host in ["127.0.0.1:0", "[::1]:0"] {
                let Ok(listener) = std::net::TcpListener::bind(host) else {
                    continue; // no IPv6 loopback on this machine
                };
                let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
                let (_server, remote) = listener.accept().unwrap();
                let local = listener.local_addr().unwrap();
                assert_eq!(remote, client.local_addr().unwrap());
                let me = nix::unistd::geteuid().as_raw();
                assert_eq!(peer_owner(local, remote).unwrap(), OwnerId(me), "{host}");
                // The server's own end is a socket too, but the request
                // names the client end: swapping them must not find ours
                // by accident, and a made-up port finds nothing.
                let mut gone = remote;
                gone.set_port(if remote.port() == 1 { 2 } else { 1 });
                assert!(matches!(
                    peer_owner(local, gone),
                    Err(PeerOwnerError::NotFound)
                ));
            }
        }

        #[test]
        fn a_short_or_foreign_reply_is_an_error_not_a_uid() {
            assert!(parse_reply(&[]).is_err());
            let mut other = vec![0u8; 128];
            other[4..6].copy_from_slice(&3u16.to_ne_bytes()); // NLMSG_DONE
            assert!(parse_reply(&other).is_err());
        }
    }
}
