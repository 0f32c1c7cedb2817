//! Who owns the other end of a loopback TCP connection, on Windows.
//!
//! Windows keeps no user per socket, only a process: the TCP table
//! (`GetExtendedTcpTable(TCP_TABLE_OWNER_PID_ALL)`) names the process owning
//! each connection; the row of the *client's* end (its local address is the
//! connection's remote end, its remote address our local end) gives the
//! client's pid, then `OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION)` and its
//! token give the user's SID. A process of another user cannot normally be
//! opened at all (its DACL grants its own user, SYSTEM and administrators):
//! that is an error, which the caller treats as "refused" — the right
//! answer for it.
//!
//! The table holds every TCP connection of the machine, so this costs more
//! than Linux's exact lookup; it is paid once per connection.
//!
//! Every `unsafe` block is a call into `windows-sys` with a buffer or handle
//! this module owns; the table's rows are read from plain bytes.
#![allow(unsafe_code)]

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{ERROR_INSUFFICIENT_BUFFER, NO_ERROR};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetExtendedTcpTable, TCP_TABLE_OWNER_PID_ALL,
};
use windows_sys::Win32::System::Threading::{OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION};

use super::OwnerId;
use super::security::process_user_sid;
use crate::platform::PeerOwnerError;

/// `AF_INET` / `AF_INET6` (ws2def.h), without the WinSock bindings.
const AF_INET: u32 = 2;
const AF_INET6: u32 = 23;
/// `MIB_TCPROW_OWNER_PID`: state, local addr, local port, remote addr,
/// remote port, pid (six u32).
const ROW4: usize = 24;
/// `MIB_TCP6ROW_OWNER_PID`: local addr[16], scope, port, remote addr[16],
/// scope, port, state, pid.
const ROW6: usize = 56;

pub fn peer_owner(local: SocketAddr, remote: SocketAddr) -> Result<OwnerId, PeerOwnerError> {
    let (client, server) = (canonical(remote), canonical(local));
    let pid = match (client.ip(), server.ip()) {
        (IpAddr::V4(_), IpAddr::V4(_)) => {
            let table = tcp_table(AF_INET)?;
            find_pid(&table, ROW4, |row| row4_matches(row, client, server))
        }
        _ => {
            let table = tcp_table(AF_INET6)?;
            find_pid(&table, ROW6, |row| row6_matches(row, client, server))
        }
    }
    .ok_or(PeerOwnerError::NotFound)?;
    // SAFETY: OpenProcess has no preconditions; the handle is owned below.
    let raw = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if raw.is_null() {
        return Err(io::Error::last_os_error().into());
    }
    // SAFETY: a valid handle just opened for us, closed once by OwnedHandle.
    let process = unsafe { OwnedHandle::from_raw_handle(raw) };
    Ok(OwnerId(process_user_sid(process.as_raw_handle())?))
}

/// An IPv4 client of a dual-stack listener shows as `::ffff:a.b.c.d`; its
/// row is in the IPv4 table.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// The whole table for `family`, as bytes (`dwNumEntries`, then the rows).
/// Retried while connections are added between the size query and the read.
fn tcp_table(family: u32) -> io::Result<Vec<u8>> {
    let mut size = 0u32;
    for _ in 0..8 {
        // u64s: aligned for the table's u32 fields.
        let mut buf = vec![0u64; (size as usize).div_ceil(8).max(1)];
        let mut len = u32::try_from(buf.len() * 8).unwrap_or(u32::MAX);
        // SAFETY: `buf` holds `len` writable bytes; the call writes at most
        // that many and reports the size it needs otherwise.
        let rc = unsafe {
            GetExtendedTcpTable(
                buf.as_mut_ptr().cast(),
                &mut len,
                0,
                family,
                TCP_TABLE_OWNER_PID_ALL,
                0,
            )
        };
        match rc {
            NO_ERROR => {
                let bytes: Vec<u8> = buf.iter().flat_map(|w| w.to_ne_bytes()).collect();
                return Ok(bytes[..(len as usize).min(bytes.len())].to_vec());
            }
            ERROR_INSUFFICIENT_BUFFER => size = len.saturating_add(1024),
            e => return Err(io::Error::from_raw_os_error(e as i32)),
        }
    }
    Err(io::Error::other("the TCP table kept growing"))
}

fn u32_at(row: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(row.get(at..at + 4)?.try_into().ok()?))
}

/// A port as the table stores it: network byte order in the low 16 bits.
fn port_at(row: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(row.get(at..at + 2)?.try_into().ok()?))
}

/// The pid (the row's last u32) of the first row `matches` accepts.
fn find_pid(table: &[u8], row_len: usize, matches: impl Fn(&[u8]) -> bool) -> Option<u32> {
    let count = u32_at(table, 0)? as usize;
    table
        .get(4..)?
        .chunks_exact(row_len)
        .take(count)
        .find(|row| matches(row))
        .and_then(|row| u32_at(row, row_len - 4))
}

/// The client's row: local = `client`, remote = `server`.
fn row4_matches(row: &[u8], client: SocketAddr, server: SocketAddr) -> bool {
    let (IpAddr::V4(c), IpAddr::V4(s)) = (client.ip(), server.ip()) else {
        return false;
    };
    row.get(4..8) == Some(&c.octets()[..])
        && port_at(row, 8) == Some(client.port())
        && row.get(12..16) == Some(&s.octets()[..])
        && port_at(row, 16) == Some(server.port())
}

fn row6_matches(row: &[u8], client: SocketAddr, server: SocketAddr) -> bool {
    let v6 = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    };
    row.get(0..16) == Some(&v6(client.ip())[..])
        && port_at(row, 20) == Some(client.port())
        && row.get(24..40) == Some(&v6(server.ip())[..])
        && port_at(row, 44) == Some(server.port())
}
