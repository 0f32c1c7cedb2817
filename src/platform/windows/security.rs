//! The Win32 security calls behind owner-only files on Windows: the
//! current user's SID, the descriptor files and folders are created with,
//! and reading an object's owner and DACL back as plain data for
//! [`crate::platform::acl::dacl_verdict`].
//!
//! Whether the access lists set were kept is [`super::kept`]'s.
//!
//! Every `unsafe` block here is a call into `windows-sys` (Microsoft's
//! generated bindings) with buffers this module owns; memory the OS
//! allocates for us (`LocalAlloc`) is freed by [`LocalMem`]'s `Drop`.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::io;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::Path;
use std::sync::OnceLock;

use windows_sys::Win32::Foundation::{ERROR_SUCCESS, HANDLE, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW,
    GetNamedSecurityInfoW, GetSecurityInfo, SDDL_REVISION_1, SE_FILE_OBJECT, SetNamedSecurityInfoW,
};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, DACL_SECURITY_INFORMATION, GetAce,
    GetSecurityDescriptorDacl, GetTokenInformation, OWNER_SECURITY_INFORMATION,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES,
    TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

use crate::platform::acl::{self, Ace, AceKind, Verdict};

/// A path as the NUL-terminated UTF-16 the `…W` functions take.
pub fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain([0]).collect()
}

/// Memory the OS allocated with `LocalAlloc` for us.
struct LocalMem(*mut c_void);

impl Drop for LocalMem {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from an API documented to allocate
            // with LocalAlloc, and is freed exactly once, here.
            unsafe { LocalFree(self.0) };
        }
    }
}

/// `ConvertSidToStringSidW`: `S-1-5-21-…`.
///
/// # Safety
/// `sid` must point to a valid SID.
unsafe fn sid_string(sid: PSID) -> io::Result<String> {
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is valid (caller); `text` receives a LocalAlloc'd string.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let owned = LocalMem(text.cast());
    // SAFETY: the string is NUL-terminated UTF-16, valid until `owned` drops.
    let len = (0..).take_while(|&i| unsafe { *text.add(i) } != 0).count();
    // SAFETY: `len` u16s were just read from it.
    let units = unsafe { std::slice::from_raw_parts(text, len) };
    let s = std::ffi::OsString::from_wide(units)
        .to_string_lossy()
        .into_owned();
    drop(owned);
    Ok(s)
}

/// The SID of the user this process runs as (its token's user), read once.
pub fn current_sid() -> io::Result<&'static str> {
    static SID: OnceLock<String> = OnceLock::new();
    if let Some(sid) = SID.get() {
        return Ok(sid);
    }
    let sid = query_current_sid()?;
    Ok(SID.get_or_init(|| sid))
}

fn query_current_sid() -> io::Result<String> {
    // SAFETY: the pseudo-handle of the current process needs no closing.
    process_user_sid(unsafe { GetCurrentProcess() })
}

/// The SID of the user the process behind `process` (opened with at least
/// `PROCESS_QUERY_LIMITED_INFORMATION`) runs as: its token's user. Also the
/// peer-owner lookup's last step ([`super::peer`]).
pub fn process_user_sid(process: HANDLE) -> io::Result<String> {
    let mut raw: HANDLE = std::ptr::null_mut();
    // SAFETY: `process` is a valid process handle (caller); `raw` receives
    // a token handle we then own.
    if unsafe { OpenProcessToken(process, TOKEN_QUERY, &mut raw) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a handle just opened for us, closed once by OwnedHandle.
    let token = unsafe { OwnedHandle::from_raw_handle(raw) };
    let mut len = 0u32;
    // SAFETY: a size query (null buffer, length 0); it fails by design
    // with ERROR_INSUFFICIENT_BUFFER and sets `len`.
    unsafe {
        GetTokenInformation(
            token.as_raw_handle(),
            TokenUser,
            std::ptr::null_mut(),
            0,
            &mut len,
        )
    };
    // u64s: aligned for TOKEN_USER's pointer.
    let mut buf = vec![0u64; (len as usize).div_ceil(8).max(1)];
    // SAFETY: `buf` holds at least `len` bytes.
    if unsafe {
        GetTokenInformation(
            token.as_raw_handle(),
            TokenUser,
            buf.as_mut_ptr().cast(),
            len,
            &mut len,
        )
    } == 0
    {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the call filled `buf` with a TOKEN_USER whose SID points
    // into `buf`, which lives until the end of this function.
    unsafe {
        let user = &*(buf.as_ptr().cast::<TOKEN_USER>());
        sid_string(user.User.Sid)
    }
}

/// The security descriptor taskflowd creates its files and folders with
/// ([`acl::private_sddl`]): owner the user, a protected DACL granting only
/// the user.
pub struct PrivateDescriptor {
    sd: LocalMem,
}

impl PrivateDescriptor {
    /// For a file (`folder == false`) or a folder (its entry is inherited).
    pub fn new(folder: bool) -> io::Result<Self> {
        let sddl: Vec<u16> = acl::private_sddl(current_sid()?, folder)
            .encode_utf16()
            .chain([0])
            .collect();
        let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: `sddl` is NUL-terminated; `sd` receives a LocalAlloc'd descriptor.
        if unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                std::ptr::null_mut(),
            )
        } == 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(Self { sd: LocalMem(sd) })
    }

    /// The attributes for `CreateFileW` / `CreateDirectoryW`; valid while
    /// `self` lives.
    pub fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.sd.0,
            bInheritHandle: 0,
        }
    }

    /// Replaces the DACL of the existing `path` by this one, protected from
    /// inheritance (the Windows `chmod 700`).
    pub fn apply_dacl(&self, path: &Path) -> io::Result<()> {
        let mut present = 0;
        let mut defaulted = 0;
        let mut dacl: *mut ACL = std::ptr::null_mut();
        // SAFETY: `self.sd` is a valid descriptor; `dacl` points into it.
        if unsafe { GetSecurityDescriptorDacl(self.sd.0, &mut present, &mut dacl, &mut defaulted) }
            == 0
        {
            return Err(io::Error::last_os_error());
        }
        let name = wide(path);
        // SAFETY: `name` is NUL-terminated; `dacl` is valid while `self` lives.
        let status = unsafe {
            SetNamedSecurityInfoW(
                name.as_ptr(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                dacl,
                std::ptr::null(),
            )
        };
        win32(status)
    }
}

fn win32(status: u32) -> io::Result<()> {
    if status == ERROR_SUCCESS {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(status as i32))
    }
}

/// The verdict on an opened file or folder (`handle` needs `READ_CONTROL`,
/// which `GENERIC_READ` includes).
pub fn verdict_of_handle(handle: HANDLE) -> io::Result<Verdict> {
    let mut owner: PSID = std::ptr::null_mut();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: out-pointers to locals; `sd` is LocalAlloc'd and owns the rest.
    let status = unsafe {
        GetSecurityInfo(
            handle,
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut sd,
        )
    };
    // SAFETY: as the call above filled them.
    unsafe { verdict_of_descriptor(status, owner, dacl, sd) }
}

/// The verdict on `path` (following links), without opening it — a folder
/// opens only with `FILE_FLAG_BACKUP_SEMANTICS`, which this avoids.
pub fn verdict_of_path(path: &Path) -> io::Result<Verdict> {
    let name = wide(path);
    let mut owner: PSID = std::ptr::null_mut();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: as in `verdict_of_handle`; `name` is NUL-terminated.
    let status = unsafe {
        GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut sd,
        )
    };
    // SAFETY: as the call above filled them.
    unsafe { verdict_of_descriptor(status, owner, dacl, sd) }
}

/// What `GetSecurityInfo` / `GetNamedSecurityInfoW` returned (`status`, and
/// the owner and DACL pointing into the LocalAlloc'd `sd`), as a verdict;
/// frees `sd`.
///
/// # Safety
/// `owner`, `dacl` and `sd` come from one such call that returned `status`.
unsafe fn verdict_of_descriptor(
    status: u32,
    owner: PSID,
    dacl: *mut ACL,
    sd: PSECURITY_DESCRIPTOR,
) -> io::Result<Verdict> {
    win32(status)?;
    let sd = LocalMem(sd);
    // SAFETY: `owner` and `dacl` point into `sd`, alive until the end.
    let verdict = unsafe { decide(owner, dacl) };
    drop(sd);
    verdict
}

/// Reads the owner and the entries into plain data and applies the rule.
///
/// # Safety
/// `owner` must be a valid SID and `dacl` null or a valid ACL.
unsafe fn decide(owner: PSID, dacl: *const ACL) -> io::Result<Verdict> {
    // SAFETY: valid per the caller.
    let owner = unsafe { sid_string(owner) }?;
    let aces = if dacl.is_null() {
        None
    } else {
        // SAFETY: valid per the caller.
        let count = unsafe { (*dacl).AceCount };
        let mut aces = Vec::with_capacity(count.into());
        for i in 0..u32::from(count) {
            let mut ace: *mut c_void = std::ptr::null_mut();
            // SAFETY: `i` < AceCount; `ace` points into the ACL.
            if unsafe { GetAce(dacl, i, &mut ace) } == 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: every ACE starts with an ACE_HEADER.
            let header = unsafe { &*(ace.cast::<ACE_HEADER>()) };
            let kind = match header.AceType {
                0 => AceKind::Allow,
                1 => AceKind::Deny,
                other => AceKind::Other(other),
            };
            let (mask, sid) = if matches!(kind, AceKind::Other(_)) {
                (0, String::new())
            } else {
                // SAFETY: allowed and denied ACEs share ACCESS_ALLOWED_ACE's
                // layout; the SID starts at `SidStart` inside the ACE.
                unsafe {
                    let body = &*(ace.cast::<ACCESS_ALLOWED_ACE>());
                    let sid = std::ptr::addr_of!(body.SidStart).cast_mut().cast();
                    (body.Mask, sid_string(sid)?)
                }
            };
            aces.push(Ace {
                kind,
                flags: header.AceFlags,
                mask,
                sid,
            });
        }
        Some(aces)
    };
    Ok(acl::dacl_verdict(&owner, aces.as_deref(), current_sid()?))
}
